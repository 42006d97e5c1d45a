/* t_tcp.c - the TCP transport against a loopback peer: round trip,
 * timeouts, refused connections, a peer that closes, bad addresses. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "err.h"
#include "transport.h"

struct peer {
	int lfd;
	int port;
	int mode;		/* 0 echo, 1 silent, 2 close at once */
	pthread_t th;
};

static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	char buf[65536];
	ssize_t n;
	int fd = accept(p->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (p->mode == 2) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (p->mode == 0 && write(fd, buf, (size_t)n) != n)
			break;
	close(fd);
	return NULL;
}

static void
peer_start(struct peer *p, int mode)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->lfd >= 0);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->lfd, 1), 0);
	getsockname(p->lfd, (struct sockaddr *)&sa, &len);
	p->port = ntohs(sa.sin_port);
	p->mode = mode;
	pthread_create(&p->th, NULL, peer_main, p);
}

static void
peer_stop(struct peer *p)
{
	shutdown(p->lfd, SHUT_RDWR);
	close(p->lfd);
	pthread_join(p->th, NULL);
}

static void
test_echo(void **state)
{
	struct transport t = { 0 };
	struct peer p;
	char addr[64], *big, *back;
	size_t n = 3u << 20;

	(void)state;
	peer_start(&p, 0);
	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%d", p.port);
	assert_int_equal(transport_open(&t, addr), 0);
	big = malloc(n);
	back = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i * 31 + 7);
	assert_int_equal(transport_write(&t, big, n, 5000), (int)n);
	assert_int_equal(transport_read_full(&t, back, n, 5000), (int)n);
	assert_memory_equal(big, back, n);
	free(big);
	free(back);
	transport_close(&t);
	peer_stop(&p);
}

static void
test_timeout_and_close(void **state)
{
	struct transport t = { 0 };
	struct peer p;
	char addr[64], buf[16];

	(void)state;
	peer_start(&p, 1);
	snprintf(addr, sizeof(addr), "tcp:localhost:%d", p.port);
	assert_int_equal(transport_open(&t, addr), 0);
	assert_int_equal(transport_write(&t, "ping", 4, 1000), 4);
	assert_int_equal(transport_read(&t, buf, sizeof(buf), 100),
	    DM_ETIMEOUT);
	assert_non_null(strstr(t.errbuf, "no data for 100 ms"));
	transport_close(&t);
	peer_stop(&p);

	peer_start(&p, 2);
	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%d", p.port);
	assert_int_equal(transport_open(&t, addr), 0);
	assert_int_equal(transport_read_full(&t, buf, 4, 2000), DM_ECLOSED);
	assert_non_null(strstr(t.errbuf, "closed the connection"));
	transport_close(&t);
	peer_stop(&p);
}

static void
test_refused_and_bad(void **state)
{
	struct transport t = { 0 };
	struct peer p;
	char addr[64];
	int port;

	(void)state;
	peer_start(&p, 2);		/* learn a free port, then free it */
	port = p.port;
	peer_stop(&p);
	snprintf(addr, sizeof(addr), "tcp:127.0.0.1:%d", port);
	assert_int_equal(transport_open(&t, addr), DM_ECONN);
	assert_non_null(strstr(t.errbuf, "cannot connect"));
	assert_int_equal(transport_open(&t, "tcp:127.0.0.1"), DM_EINVAL);
	assert_int_equal(transport_open(&t, "tcp:127.0.0.1:12ab"), DM_EINVAL);
	assert_int_equal(transport_open(&t, "tcp:[::1"), DM_EINVAL);
	assert_int_equal(transport_open(&t, "serial:/dev/ttyS0"), DM_EINVAL);
	assert_non_null(strstr(t.errbuf, "unknown address"));
	assert_int_equal(transport_read(&t, addr, 1, 10), DM_ECLOSED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_timeout_and_close),
		cmocka_unit_test(test_refused_and_bad),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
