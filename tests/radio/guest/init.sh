#!/bin/busybox sh
# PID 1 of the radio test VM: mount the basics, run /scenario/run.sh, report, power off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
/bin/busybox --install -s /bin
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
# The kernel loads crypto modules (ccm, cmac, gcm, ...) on demand through this helper.
echo /sbin/modprobe > /proc/sys/kernel/modprobe
ip link set lo up
stty -F /dev/ttyS1 raw -echo 2>/dev/null
. /radio/lib.sh
emit boot uptime_ms "$(now_ms)"
if [ -f /scenario/run.sh ]; then
    ( . /scenario/run.sh ) > /tmp/scenario.out 2>&1
    emit scenario rc "$?"
    emit scenario output "$(tail -c 20000 /tmp/scenario.out)"
fi
stop_all
emit_logs
emit end uptime_ms "$(now_ms)"
printf '@END\n' > "$RESULTS"
sync
poweroff -f
