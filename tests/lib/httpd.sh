# tests/lib/httpd.sh - a real web server on loopback for the download
# tests (sourced after env.sh and ports.sh).  start_httpd DIR runs nginx
# (Debian's, as the tests install it) serving DIR over HTTP on
# $HTTP_PORT and HTTPS on $HTTPS_PORT, with a certificate made here for
# 127.0.0.1 whose CA is $HTTPD_CA (no system store trusts it):
#
#   /files/NAME     DIR/NAME as nginx serves files: ranges, ETag,
#                   Last-Modified, If-None-Match / If-Modified-Since
#   /slow/NAME      the same at $HTTPD_RATE per connection (default 4m)
#   /e500/NAME      500 Internal Server Error, every time
#   /fault/MODE/NAME  through to tests/lib/faultsrv.py, unbuffered: a
#                   connection cut mid-body, a wrong length, a stall, a
#                   server without ranges
#
# Its access log ($HTTPD_LOG) has one line per request:
#   METHOD URI|STATUS|RANGE|IF-RANGE|BYTES SENT
# The servers' pids are in $T, so env.sh's cleanup stops them.
start_httpd() {
	local dir=$1 h=$T/httpd user=
	mkdir -p "$h/tmp"
	HTTPD_CA=$h/cert.pem
	HTTPD_LOG=$h/access.log
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$h/key.pem" -out "$HTTPD_CA" -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		>"$h/openssl.log" 2>&1 || { cat "$h/openssl.log"; return 1; }
	python3 "$top_srcdir/tests/lib/faultsrv.py" "$dir" "$h/fault.port" \
		2>"$h/fault.log" &
	echo $! >"$T/faultsrv.pid"
	wait_for 10 test -s "$h/fault.port" || return 1
	local base
	base=$(free_base 2) || return 1
	HTTP_PORT=$base HTTPS_PORT=$((base + 1))
	[ "$(id -u)" -eq 0 ] && user="user root;"
	cat >"$h/nginx.conf" <<CONF
$user
worker_processes 2;
pid $T/nginx.pid;
error_log $h/error.log;
events { worker_connections 256; }
http {
	access_log off;
	log_format t '\$request|\$status|\$http_range|\$http_if_range|\$body_bytes_sent';
	client_body_temp_path $h/tmp/body;
	proxy_temp_path $h/tmp/proxy;
	fastcgi_temp_path $h/tmp/fastcgi;
	uwsgi_temp_path $h/tmp/uwsgi;
	scgi_temp_path $h/tmp/scgi;
	sendfile on;
	server {
		listen 127.0.0.1:$HTTP_PORT;
		listen 127.0.0.1:$HTTPS_PORT ssl;
		ssl_certificate $h/cert.pem;
		ssl_certificate_key $h/key.pem;
		access_log $HTTPD_LOG t;
		location /files/ { alias $dir/; }
		location /slow/ { alias $dir/; limit_rate ${HTTPD_RATE:-4m}; }
		location /e500/ { return 500; }
		location /fault/ {
			proxy_pass http://127.0.0.1:$(cat "$h/fault.port");
			proxy_buffering off;
			proxy_http_version 1.1;
			proxy_read_timeout 600s;
		}
	}
}
CONF
	nginx -p "$h" -c "$h/nginx.conf" -e "$h/error.log" \
		>"$h/start.log" 2>&1 || { cat "$h/start.log" "$h/error.log"; return 1; }
	wait_for 10 httpd_answers || { cat "$h/error.log"; return 1; }
}

httpd_answers() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:$HTTP_PORT/e500/x")" = 500 ]
}
