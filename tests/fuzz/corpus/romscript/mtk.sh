fastboot $* getvar product 2>&1 | grep "^product: *x"
if [ $? -ne 0 ] ; then echo "no"; exit 1; fi
CURRENT_ANTI_VER=3
SCRIPT_PATH=$(dirname $0)

handle_error()
{
    echo $@
    exit 2;
}
fastboot $* flash preloader ${SCRIPT_PATH}/images/p.bin || handle_error flash preloader error
fastboot $* oem lock
fastboot $* reboot
exit 0
