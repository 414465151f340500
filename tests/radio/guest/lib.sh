# Shell helpers for radio test scenarios (busybox ash). Results go to the second serial port as
# "@R <step> <field> <base64 value>" lines; the host turns them into StepResult objects.
RESULTS=/dev/ttyS1
CTRL_AP=/run/hostapd
POLL=${POLL:-0.25}  # seconds between checks (each check forks; the emulated CPU is slow)
mkdir -p /tmp/logs /run/ns "$CTRL_AP"

now_ms() {
    read -r up _ < /proc/uptime
    echo $(( ${up%.*} * 1000 + 1${up#*.}0 - 1000 ))
}

emit() {  # emit STEP FIELD VALUE
    printf '@R %s %s %s\n' "$1" "$2" "$(printf '%s' "$3" | base64 -w0)" > "$RESULTS"
}

# wait_log FILE OK_REGEX FAIL_REGEX TIMEOUT_S -> prints ok|failed|timeout
wait_log() {
    _deadline=$(( $(now_ms) + $4 * 1000 ))
    while :; do
        if [ -f "$1" ] && grep -Eq "$2" "$1"; then echo ok; return; fi
        if [ -n "$3" ] && [ -f "$1" ] && grep -Eq "$3" "$1"; then echo failed; return; fi
        [ "$(now_ms)" -ge "$_deadline" ] && { echo timeout; return; }
        sleep "$POLL"
    done
}

# hwsim N: N simulated radios wlan0..wlan(N-1), all on one simulated medium.
hwsim() {
    modprobe mac80211_hwsim radios="$1" > /tmp/logs/modprobe.log 2>&1
    _last=$(( $1 - 1 ))
    _t0=$(now_ms)
    while [ ! -e "/sys/class/net/wlan$_last" ]; do
        [ $(( $(now_ms) - _t0 )) -gt 20000 ] && break
        sleep "$POLL"
    done
    emit hwsim radios "$(ls /sys/class/net | grep -c '^wlan')"
    emit hwsim modprobe "$(cat /tmp/logs/modprobe.log)"
}

# ns_for IFACE: a network namespace (held by a sleeping process) holding IFACE's radio, so every
# client is a separate host (own routes and ARP) as a real phone would be.
ns_for() {
    _if=$1
    [ -f "/run/ns/$_if" ] && return
    unshare -n sleep 100000 &
    _pid=$!
    echo "$_pid" > "/run/ns/$_if"
    _phy=$(cat "/sys/class/net/$_if/phy80211/name")
    # Until the child has unshared, its PID still names this namespace: wait for the new one.
    _root=$(readlink /proc/1/ns/net)
    _i=0
    while [ "$(readlink "/proc/$_pid/ns/net")" = "$_root" ] && [ $_i -lt 100 ]; do
        _i=$((_i + 1)); sleep 0.05
    done
    iw phy "$_phy" set netns "$_pid"
    in_ns "$_if" ip link set lo up
}

in_ns() {  # in_ns IFACE CMD...: run CMD in IFACE's namespace (or here, if it has none)
    _if=$1; shift
    if [ -f "/run/ns/$_if" ]; then nsenter -t "$(cat "/run/ns/$_if")" -n "$@"; else "$@"; fi
}

# start_ap NAME IFACE CONF [ADDR]: start hostapd on IFACE with CONF (wait_aps waits for it).
start_ap() {
    _name=$1 _if=$2 _conf=$3
    [ -n "$4" ] && ip addr add "$4" dev "$_if"
    now_ms > "/run/ap-$_name.t0"
    hostapd -t "$_conf" > "/tmp/logs/ap-$_name.log" 2>&1 &
    echo $! > "/run/ap-$_name.pid"
}

# wait_aps NAME...: wait until each AP is enabled (or failed); report ap.NAME status/elapsed_ms.
wait_aps() {
    for _n in "$@"; do
        _st=$(wait_log "/tmp/logs/ap-$_n.log" 'AP-ENABLED' 'AP-DISABLED|Failed|failed|Could not|Invalid|Line [0-9]+:' 60)
        emit "ap.$_n" status "$_st"
        emit "ap.$_n" elapsed_ms $(( $(now_ms) - $(cat "/run/ap-$_n.t0") ))
    done
}

ap() {  # ap NAME IFACE CONF [ADDR]: start_ap and wait_aps in one
    start_ap "$@"
    wait_aps "$1"
}

ap_cli() {  # ap_cli IFACE ARGS...: hostapd_cli against the AP on IFACE
    _if=$1; shift
    hostapd_cli -p "$CTRL_AP" -i "$_if" "$@"
}

_JOIN_OK='CTRL-EVENT-CONNECTED'
_JOIN_FAIL='CTRL-EVENT-SSID-TEMP-DISABLED|CTRL-EVENT-ASSOC-REJECT|CTRL-EVENT-AUTH-REJECT|CTRL-EVENT-NETWORK-NOT-FOUND|Failed to initialize|Line [0-9]+:|Failed to read'

_ap_connects() {  # _ap_connects MAC: how often any AP has announced MAC as connected
    cat /tmp/logs/ap-*.log 2>/dev/null | grep -c "AP-STA-CONNECTED $1"
}

# start_join NAME IFACE CONF [ADDR] [EXPECT]: start wpa_supplicant for NAME in IFACE's own
# namespace. EXPECT "refused": a refusal ends the wait; otherwise only a connection (or the
# timeout) does, since a slow emulated CPU can make a good client fail once and then retry.
start_join() {
    _name=$1 _if=$2 _conf=$3
    echo "${5:-connected}" > "/run/join-$_name.expect"
    ns_for "$_if"
    [ -n "$4" ] && in_ns "$_if" ip addr add "$4" dev "$_if"
    echo "$_if" > "/run/join-$_name.if"
    _mac=$(in_ns "$_if" ip -o link show "$_if" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
    echo "$_mac" > "/run/join-$_name.mac"
    _ap_connects "$_mac" > "/run/join-$_name.seen"
    now_ms > "/run/join-$_name.t0"
    in_ns "$_if" wpa_supplicant -t -i "$_if" -D nl80211 -c "$_conf" > "/tmp/logs/join-$_name.log" 2>&1 &
    echo $! > "/run/join-$_name.pid"
}

# wait_joins TIMEOUT_S NAME...: wait for every join to connect or fail; report each. Connected
# means both sides agree: the supplicant completed and the AP announced AP-STA-CONNECTED for it.
wait_joins() {
    _timeout=$1; shift
    _deadline=$(( $(now_ms) + _timeout * 1000 ))
    _pending="$*"
    while [ -n "$_pending" ]; do
        _left=""
        for _n in $_pending; do
            _log="/tmp/logs/join-$_n.log"
            if grep -Eq "$_JOIN_OK" "$_log" 2>/dev/null \
                && [ "$(_ap_connects "$(cat "/run/join-$_n.mac")")" -gt "$(cat "/run/join-$_n.seen")" ]
            then _finish_join "$_n" connected
            elif [ "$(cat "/run/join-$_n.expect")" = refused ] && {
                grep -Eq "$_JOIN_FAIL" "$_log" 2>/dev/null \
                || cat /tmp/logs/ap-*.log | grep -q "AP-STA-POSSIBLE-PSK-MISMATCH $(cat "/run/join-$_n.mac")"
            }
            then _finish_join "$_n" failed
            elif [ "$(now_ms)" -ge "$_deadline" ]; then _finish_join "$_n" timeout
            else _left="$_left $_n"; fi
        done
        _pending=$_left
        [ -n "$_pending" ] && sleep "$POLL"
    done
}

_finish_join() {
    _n=$1 _st=$2
    _if=$(cat "/run/join-$_n.if")
    emit "join.$_n" status "$_st"
    emit "join.$_n" elapsed_ms $(( $(now_ms) - $(cat "/run/join-$_n.t0") ))
    emit "join.$_n" wpa_status "$(in_ns "$_if" wpa_cli -p /run/wpa_supplicant -i "$_if" status 2>&1)"
    # A refused client stops trying (its retries would only load the emulated CPU), unless the
    # scenario asked it to keep going (KEEP_TRYING="name ...").
    case " $KEEP_TRYING " in *" $_n "*) ;; *) [ "$_st" = connected ] || leave "$_n" ;; esac
    emit "join.$_n" mac "$(cat "/run/join-$_n.mac")"
}

join() {  # join NAME IFACE CONF TIMEOUT_S [ADDR] [EXPECT]
    start_join "$1" "$2" "$3" "$5" "$6"
    wait_joins "$4" "$1"
}

leave() {  # leave NAME: stop NAME's wpa_supplicant (it disassociates)
    if [ -f "/run/join-$1.pid" ]; then
        kill "$(cat "/run/join-$1.pid")" 2>/dev/null
        wait "$(cat "/run/join-$1.pid")" 2>/dev/null
        rm -f "/run/join-$1.pid"
    fi
}

step() {  # step NAME CMD...: run CMD, report its output and exit status
    _name=$1; shift
    _out=$("$@" 2>&1)
    _rc=$?
    emit "$_name" rc "$_rc"
    emit "$_name" output "$_out"
}

stop_all() {
    for _p in /run/join-*.pid /run/ap-*.pid; do
        [ -f "$_p" ] && kill "$(cat "$_p")" 2>/dev/null
    done
    sleep 0.2
}

# emit_gz STEP FIELD: stdin gzip'd as field FIELD.gz (the host unpacks it). Every byte to the
# emulated serial port is a VM exit, so logs go compressed: several times fewer bytes.
emit_gz() {
    printf '@R %s %s.gz %s\n' "$1" "$2" "$(gzip -c | base64 -w0)" > "$RESULTS"
}

emit_logs() {
    for _f in /tmp/logs/*.log; do
        [ -f "$_f" ] || continue
        _b=${_f##*/}
        tail -c 30000 "$_f" | emit_gz "log.${_b%.log}" text
    done
    dmesg | tail -n 200 | emit_gz log.dmesg text
}
