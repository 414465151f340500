"""The dataplane package's sentences, English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- running programs (nft.py, lab.py) --------------------------------------------------------
    "dataplane.cannot-run": ("cannot run {program}: {error}", "无法运行 {program}：{error}"),
    "dataplane.command-failed": (
        "{command} failed: {error:said}",
        "{command} 执行失败：{error:said}",
    ),
    "dataplane.command-error": ("{command}: {error}", "{command} 出错：{error}"),
    "dataplane.no-message": ("(no message)", "（无输出信息）"),
    # -- the nftables table (nft.py) --------------------------------------------------------------
    "dataplane.nft.foreign-table": (
        "a foreign nftables table '{family} {table}' exists; simspot only manages "
        "'{ours} {table}' and will not touch it (remove or rename it)",
        "已存在一个外来的 nftables 表 '{family} {table}'；simspot 只管理 '{ours} {table}'，"
        "不会改动该表（请删除或重命名它）",
    ),
    "dataplane.nft.not-ours": (
        "the nftables table '{family} {table}' exists but was not created by simspot "
        "(no '{mark}' mark); simspot will not modify or remove it",
        "nftables 表 '{family} {table}' 已存在，但不是 simspot 创建的（没有 '{mark}' 标记）；"
        "simspot 不会修改或删除它",
    ),
    "dataplane.nft.read-table": (
        "cannot read table {family} {table}: {error:said}",
        "无法读取表 {family} {table}：{error:said}",
    ),
    "dataplane.nft.read-counters": (
        "cannot read counters: {error:said}",
        "无法读取计数器：{error:said}",
    ),
    "dataplane.nft.refused": (
        "nft refused the ruleset: {error:said}",
        "nft 拒绝了该规则集：{error:said}",
    ),
    "dataplane.nft.read-back-missing": (
        "read-back: the table is missing after applying it",
        "回读校验：应用规则后该表不存在",
    ),
    "dataplane.nft.read-back-differs": (
        "read-back does not match: {problems:msgs}",
        "回读结果与预期不符：{problems:msgs}",
    ),
    "dataplane.nft.monitor-no-pipe": (
        "nft monitor has no output pipe",
        "nft monitor 没有输出管道",
    ),
    "dataplane.nft.monitor-exited": (
        "nft monitor exited (status {status})",
        "nft monitor 已退出（状态 {status}）",
    ),
    "dataplane.nft.no-list": (
        "nft -j gave no 'nftables' list",
        "nft -j 的输出中没有 'nftables' 列表",
    ),
    # -- what the read-back found different (nftrender.mismatches) --------------------------------
    "dataplane.mismatch.owner": ("the owner mark is missing", "缺少所有者标记"),
    "dataplane.mismatch.chains": ("chains differ: {names}", "链不一致：{names}"),
    "dataplane.mismatch.map": ("map {name} differs", "映射 {name} 不一致"),
    "dataplane.mismatch.set": ("set {name} differs", "集合 {name} 不一致"),
    "dataplane.mismatch.set-defs": (
        "sets or maps differ: {diff}",
        "集合或映射的定义不一致：{diff}",
    ),
    "dataplane.mismatch.quotas": (
        "quotas differ: want {want}, got {got}",
        "配额不一致：应为 {want}，实际为 {got}",
    ),
    "dataplane.mismatch.limits": (
        "limits differ: want {want}, got {got}",
        "限速不一致：应为 {want}，实际为 {got}",
    ),
    "dataplane.mismatch.counters": (
        "counters missing: {names}",
        "缺少计数器：{names}",
    ),
    "dataplane.mismatch.identity": (
        "the table identity counter is missing",
        "缺少表标识计数器",
    ),
    "dataplane.mismatch.rules": (
        "chain {chain}: {got} rules, want {want}",
        "链 {chain}：有 {got} 条规则，应为 {want} 条",
    ),
    # -- refused values of a spec (nftrender.py: nothing unchecked reaches the ruleset) -----------
    "dataplane.not-mac": ("not a MAC address: {value}", "不是 MAC 地址：{value}"),
    "dataplane.spec.list-mac": (
        "{field}: not a MAC address: {value}",
        "{field}：不是 MAC 地址：{value}",
    ),
    "dataplane.spec.lan-ifname": (
        "LAN interface: not a valid interface name: {name}",
        "LAN 接口：不是有效的接口名：{name}",
    ),
    "dataplane.spec.uplink-ifname": (
        "uplink interface: not a valid interface name: {name}",
        "上行接口：不是有效的接口名：{name}",
    ),
    "dataplane.spec.other-uplink-ifname": (
        "other uplink interface: not a valid interface name: {name}",
        "其他上行接口：不是有效的接口名：{name}",
    ),
    "dataplane.spec.same-interface": (
        "the LAN and the uplink are the same interface {name}",
        "LAN 和上行链路是同一个接口 {name}",
    ),
    "dataplane.spec.no-uplink-id": (
        "the uplink identity (ICCID) is empty",
        "上行链路标识（ICCID）为空",
    ),
    "dataplane.spec.other-no-id": (
        "other uplink {interface}: the uplink identity is empty",
        "其他上行链路 {interface}：上行链路标识为空",
    ),
    "dataplane.spec.other-is-lan": (
        "other uplink {interface} is the LAN interface",
        "其他上行链路 {interface} 是 LAN 接口",
    ),
    "dataplane.spec.interface-twice": (
        "uplink interface {interface} is listed twice",
        "上行接口 {interface} 被列出了两次",
    ),
    "dataplane.spec.uplink-twice": (
        "uplink {uplink} is listed twice",
        "上行链路 {uplink} 被列出了两次",
    ),
    "dataplane.spec.client-twice": (
        "client {mac} is listed twice",
        "客户端 {mac} 被列出了两次",
    ),
    "dataplane.spec.not-ip": (
        "client {mac}: not an IP address: {value}",
        "客户端 {mac}：不是 IP 地址：{value}",
    ),
    "dataplane.spec.wrong-family": (
        "client {mac}: {address} is in the wrong address family list",
        "客户端 {mac}：{address} 位于错误的地址族列表中",
    ),
    "dataplane.spec.address-twice": (
        "address {address} belongs to {owner} and {mac}",
        "地址 {address} 同时属于 {owner} 和 {mac}",
    ),
    "dataplane.spec.client-negative": (
        "client {mac}: {field} is negative ({value})",
        "客户端 {mac}：{field} 为负数（{value}）",
    ),
    "dataplane.spec.negative": ("{field} is negative ({value})", "{field} 为负数（{value}）"),
    "dataplane.spec.group-name": (
        "group name must be 1-16 of a-z and 0-9, got {name}",
        "组名必须由 1-16 个 a-z 和 0-9 字符组成，实际为 {name}",
    ),
    "dataplane.spec.group-twice": (
        "group {group} is listed twice",
        "组 {group} 被列出了两次",
    ),
    "dataplane.spec.group-negative": (
        "group {group}: {field} is negative ({value})",
        "组 {group}：{field} 为负数（{value}）",
    ),
    "dataplane.spec.group-until": (
        "group {group}: until is not a Unix time ({value})",
        "组 {group}：until 不是 Unix 时间（{value}）",
    ),
    "dataplane.spec.two-groups": (
        "{mac} is in groups {first} and {second}",
        "{mac} 同时属于组 {first} 和 {second}",
    ),
    "dataplane.spec.epoch": (
        "table epoch must be 16 hex digits, got {value}",
        "表纪元必须是 16 位十六进制数，实际为 {value}",
    ),
    "dataplane.spec.admin-port": (
        "admin port {port} is not a TCP port",
        "管理端口 {port} 不是有效的 TCP 端口",
    ),
    "dataplane.spec.uplink-port": (
        "uplink port {port} is not a TCP port",
        "上行端口 {port} 不是有效的 TCP 端口",
    ),
    "dataplane.spec.admin-port-on-uplink": (
        "port {port} is the admin page's: never open on an uplink",
        "端口 {port} 属于管理页面：绝不在上行链路上开放",
    ),
    "dataplane.spec.dns-port": (
        "dns_port {port} is not a port",
        "dns_port {port} 不是有效的端口",
    ),
    # -- the config (factories.py) ----------------------------------------------------------------
    "dataplane.config.admin-port-on-uplink": (
        "dataplane.uplink_allow_tcp: port {port} is the admin page's "
        "(daemon.lan_https_port / api_port); it is never opened on an uplink",
        "dataplane.uplink_allow_tcp：端口 {port} 属于管理页面"
        "（daemon.lan_https_port / api_port）；它绝不会在上行链路上开放",
    ),
    # -- applying to the system (real.py) ---------------------------------------------------------
    "dataplane.unknown-lan-interface": (
        "unknown LAN interface {name}",
        "未知的 LAN 接口 {name}",
    ),
    "dataplane.unknown-uplink-interface": (
        "unknown uplink interface {name}",
        "未知的上行接口 {name}",
    ),
    "dataplane.subnet-overlap": (
        "the LAN subnet {lan} overlaps the uplink {uplink}'s {network}: "
        "choose another dataplane.lan_address",
        "LAN 子网 {lan} 与上行接口 {uplink} 的 {network} 重叠：请另选一个 dataplane.lan_address",
    ),
    "dataplane.ipv6-prefix": (
        "uplink IPv6 prefix {prefix} is not an IPv6 network",
        "上行 IPv6 前缀 {prefix} 不是 IPv6 网络",
    ),
    # -- dnsmasq (dnsmasq.py) ---------------------------------------------------------------------
    "dataplane.dnsmasq.not-started": ("dnsmasq did not start", "dnsmasq 未能启动"),
    "dataplane.dnsmasq.exited": (
        "dnsmasq exited (status {status}): {log:said}",
        "dnsmasq 已退出（状态 {status}）：{log:said}",
    ),
    "dataplane.dnsmasq.cannot-start": (
        "cannot start dnsmasq: {error}",
        "无法启动 dnsmasq：{error}",
    ),
    "dataplane.dnsmasq.refused": (
        "dnsmasq refused to start: {log:said}",
        "dnsmasq 拒绝启动：{log:said}",
    ),
    "dataplane.dnsmasq.no-log": ("(no log)", "（无日志）"),
    "dataplane.leases.unreadable": (
        "cannot read leases {path}: {error}",
        "无法读取租约文件 {path}：{error}",
    ),
    # -- netlink (netlink.py) ---------------------------------------------------------------------
    "dataplane.netns.open": (
        "network namespace {netns}: {error}",
        "网络命名空间 {netns}：{error}",
    ),
    "dataplane.netns.setns": ("setns {netns}: {error}", "setns {netns} 失败：{error}"),
    "dataplane.netlink.open": (
        "cannot open a netfilter netlink socket: {error}",
        "无法打开 netfilter netlink 套接字：{error}",
    ),
    "dataplane.netlink.read": (
        "reading counters over netlink failed: {error}",
        "通过 netlink 读取计数器失败：{error}",
    ),
    "dataplane.netlink.closed": ("netlink socket closed", "netlink 套接字已关闭"),
    "dataplane.netlink.malformed": ("malformed netlink message", "netlink 消息格式错误"),
    "dataplane.netlink.error": ("netlink: {error}", "netlink 出错：{error}"),
    # -- the lab of network namespaces (lab.py) ---------------------------------------------------
    "dataplane.lab.needs-root": (
        "simspot lab needs root (network namespaces)",
        "simspot lab 需要 root 权限（用于网络命名空间）",
    ),
    "dataplane.lab.exists": (
        "a lab with prefix {prefix} exists: run 'lab down' first",
        "前缀为 {prefix} 的实验环境已存在：请先运行 'lab down'",
    ),
    "dataplane.lab.survivors": (
        "lab {prefix}: still running after down: {survivors:msgs}",
        "实验环境 {prefix}：执行 down 后仍在运行：{survivors:msgs}",
    ),
    "dataplane.lab.process-pidfile": (
        "{comm} (pid {pid}, {pidfile})",
        "{comm}（pid {pid}，{pidfile}）",
    ),
    "dataplane.lab.process-in": (
        "{comm} (pid {pid}, in {namespace})",
        "{comm}（pid {pid}，位于 {namespace}）",
    ),
    "dataplane.lab.process-deleted": (
        "{comm} (pid {pid}) in a deleted lab namespace",
        "{comm}（pid {pid}）位于一个已删除的实验环境命名空间中",
    ),
    "dataplane.lab.mount": (
        "a mount of a lab namespace at {path}",
        "实验环境命名空间在 {path} 的挂载",
    ),
    "dataplane.lab.namespace": ("namespace {namespace}", "命名空间 {namespace}"),
    "dataplane.lab.no-lease": (
        "client {client} got no DHCP lease in {seconds} s",
        "客户端 {client} 在 {seconds} 秒内未获得 DHCP 租约",
    ),
    "dataplane.lab.no-slaac": (
        "client {client} got no IPv6 address by SLAAC in {seconds} s",
        "客户端 {client} 在 {seconds} 秒内未通过 SLAAC 获得 IPv6 地址",
    ),
}
