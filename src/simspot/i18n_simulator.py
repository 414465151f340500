"""The simulator's sentences (simspot.simulator), English and Simplified Chinese, merged into
`simspot.i18n`'s catalogue (MESSAGE_MODULES there); kept outside the simulator package so a real
daemon, which loads the catalogue, loads no simulator code."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- the simulated AT modem and ModemManager modem (atmodem.py, modem.py) --------------------
    "simulator.dialect.unknown": (
        "unknown modem dialect '{name}'; known: {known:list}",
        "未知的调制解调器方言 '{name}'；已知的有：{known:list}",
    ),
    "simulator.modem.no-slot.one": (
        "no SIM slot {slot}; this modem has one slot (1)",
        "没有 SIM 卡槽 {slot}；该调制解调器只有一个卡槽（1）",
    ),
    "simulator.modem.no-slot.two": (
        "no SIM slot {slot}; this modem has slots 1 and 2",
        "没有 SIM 卡槽 {slot}；该调制解调器有卡槽 1 和 2",
    ),
    "simulator.modem.sim-locked": (
        "cannot connect: the SIM is locked and needs its PIN",
        "无法连接：SIM 卡已锁定，需要输入 PIN",
    ),
    "simulator.modem.not-registered": (
        "cannot connect: the modem is not registered to a network",
        "无法连接：调制解调器未注册到网络",
    ),
    # -- the virtual eUICC as a component of the daemon (profile.py) -----------------------------
    "simulator.euicc.setup-failed": (
        "cannot set up the virtual eUICC in {directory}: {error}",
        "无法在 {directory} 中建立虚拟 eUICC：{error}",
    ),
    "simulator.euicc.identity": (
        "esim.virtual_identity: {error:said}",
        "esim.virtual_identity：{error:said}",
    ),
    "simulator.euicc.no-pki": (
        "internal: the virtual eUICC has no PKI",
        "内部错误：虚拟 eUICC 没有 PKI",
    ),
    # -- the virtual eUICC (euicc.py) ------------------------------------------------------------
    "simulator.euicc.state-unreadable": (
        "cannot read the virtual eUICC state {path}: {error}",
        "无法读取虚拟 eUICC 的状态文件 {path}：{error}",
    ),
    "simulator.euicc.state-damaged": (
        "the virtual eUICC state {path} is damaged: {error}",
        "虚拟 eUICC 的状态文件 {path} 已损坏：{error}",
    ),
    "simulator.euicc.state-unwritable": (
        "cannot write the virtual eUICC state {path}: {error}",
        "无法写入虚拟 eUICC 的状态文件 {path}：{error}",
    ),
    "simulator.euicc.state-other-eid": (
        "the eUICC state {path} belongs to EID {state_eid}, not to this card's EID {eid}",
        "eUICC 状态文件 {path} 属于 EID {state_eid}，而不是本卡的 EID {eid}",
    ),
    "simulator.euicc.no-profile": (
        "no profile with ICCID {iccid} on the virtual eUICC",
        "虚拟 eUICC 上没有 ICCID 为 {iccid} 的配置文件",
    ),
    "simulator.card.channel-refused": (
        "the card refused to open a logical channel (SW {sw})",
        "卡拒绝打开逻辑通道（SW {sw}）",
    ),
    "simulator.card.no-application": (
        "the card has no application {aid} (SW {sw})",
        "卡上没有应用 {aid}（SW {sw}）",
    ),
    "simulator.card.not-connected": (
        "the virtual card is not connected",
        "虚拟卡未连接",
    ),
    "simulator.card.reset": (
        "the card was reset (power cycle) during the command",
        "执行命令期间卡被复位（断电重启）",
    ),
    "simulator.card.link-failed": (
        "the link to the card failed",
        "与卡的连接中断",
    ),
    # -- sample profiles (profiles.py) -----------------------------------------------------------
    "simulator.profile.iccid-prefix": (
        "the ICCID prefix must leave room for 12 index digits",
        "ICCID 前缀必须为 12 位序号留出位置",
    ),
    "simulator.profile.sample-size": (
        "a sample profile is between 1 KiB and 1 MiB",
        "示例配置文件的大小必须在 1 KiB 到 1 MiB 之间",
    ),
    "simulator.profile.sample-internal": (
        "internal: sample profile came out {size} bytes, not {wanted}",
        "内部错误：生成的示例配置文件为 {size} 字节，而不是 {wanted} 字节",
    ),
    # -- the virtual card in a vpcd reader (vpcd.py) ---------------------------------------------
    "simulator.vpcd.atr": (
        "an ATR offers T=0 and/or T=1 and has at most 15 historical bytes",
        "ATR 只能提供 T=0 和/或 T=1，且历史字节最多 15 个",
    ),
    "simulator.vpcd.address": (
        "not a HOST:PORT address: '{text}'",
        "不是 HOST:PORT 格式的地址：'{text}'",
    ),
    "simulator.vpcd.port-range": (
        "port {port} is outside 1-65535",
        "端口 {port} 不在 1-65535 范围内",
    ),
    "simulator.vpcd.unreachable": (
        "cannot reach vpcd at {host}:{port} (is pcscd running with vsmartcard-vpcd?): {error}",
        "无法连接 {host}:{port} 上的 vpcd（pcscd 是否已带 vsmartcard-vpcd 运行？）：{error}",
    ),
    "simulator.vpcd.not-connected": (
        "the virtual card is not connected to vpcd",
        "虚拟卡未连接到 vpcd",
    ),
    "simulator.vpcd.pcscd-failed": (
        "the private pcscd did not start:\n{log}",
        "私有 pcscd 未能启动：\n{log}",
    ),
    "simulator.vpcd.no-port-pair": (
        "no free port pair for vpcd",
        "找不到可供 vpcd 使用的一对空闲端口",
    ),
    # -- the test SM-DP+ (smdp.py) ---------------------------------------------------------------
    "simulator.smdp.bind": (
        "the test SM-DP+ cannot start: {error:said}",
        "测试 SM-DP+ 无法启动：{error:said}",
    ),
    "simulator.smdp.no-profiles-dir": (
        "profiles directory {directory} does not exist",
        "配置文件目录 {directory} 不存在",
    ),
    "simulator.smdp.sidecar-unreadable": (
        "cannot read {path}: {error}",
        "无法读取 {path}：{error}",
    ),
    "simulator.smdp.sidecar-unknown-keys": (
        "{path}: unknown keys {keys:list}",
        "{path}：未知的键 {keys:list}",
    ),
    "simulator.smdp.no-order": (
        "no order with matching ID '{matching_id}'",
        "没有 matching ID 为 '{matching_id}' 的订单",
    ),
    "simulator.smdp.announce-needs-smds": (
        "announcing an order needs an SM-DS and a started SM-DP+",
        "发布订单需要一个 SM-DS 和一个已启动的 SM-DP+",
    ),
    "simulator.smdp.order-no-eid": (
        "order '{matching_id}' names no EID to announce it for",
        "订单 '{matching_id}' 没有指定要发布给哪个 EID",
    ),
    "simulator.smdp.smds-refused": (
        "the SM-DS refused the event: {error:said}",
        "SM-DS 拒绝了该事件：{error:said}",
    ),
    "simulator.smdp.no-address": (
        "the SM-DP+ has no address yet; start it first",
        "SM-DP+ 还没有地址；请先启动它",
    ),
    # -- the test PKI and identities from files (pki.py) -----------------------------------------
    "simulator.pki.key-unparsable": (
        "a certificate's public key cannot be parsed",
        "无法解析证书的公钥",
    ),
    "simulator.pki.no-ec-key": (
        "certificate {subject} has no EC public key",
        "证书 {subject} 没有 EC 公钥",
    ),
    "simulator.pki.bad-extensions": (
        "a certificate has malformed extensions",
        "证书的扩展格式错误",
    ),
    "simulator.pki.no-ski": (
        "certificate {subject} has no subjectKeyIdentifier",
        "证书 {subject} 没有 subjectKeyIdentifier",
    ),
    "simulator.pki.eid-subject": (
        "the eUICC certificate's subject does not parse",
        "无法解析 eUICC 证书的 subject",
    ),
    "simulator.pki.no-eid": (
        "the eUICC certificate has no serialNumber (EID) in its subject",
        "eUICC 证书的 subject 中没有 serialNumber（EID）",
    ),
    "simulator.pki.wrong-role": (
        "the certificate is not a {role} one",
        "该证书不是 {role} 证书",
    ),
    "simulator.pki.no-aki": (
        "certificate '{subject}' has no authorityKeyIdentifier",
        "证书 '{subject}' 没有 authorityKeyIdentifier",
    ),
    "simulator.pki.untrusted": (
        "certificate '{subject}' is not issued by a trusted CI (key id {key_id})",
        "证书 '{subject}' 不是由受信任的 CI 签发的（密钥 ID {key_id}）",
    ),
    "simulator.pki.not-ca": (
        "certificate '{subject}' is not a CA",
        "证书 '{subject}' 不是 CA 证书",
    ),
    "simulator.pki.bad-signature": (
        "the signature on certificate '{subject}' does not verify",
        "证书 '{subject}' 的签名验证失败",
    ),
    "simulator.pki.chain-loops": (
        "the chain of certificate '{subject}' is too long or loops",
        "证书 '{subject}' 的证书链过长或存在循环",
    ),
    "simulator.pki.validity": (
        "certificate '{subject}' is expired or not yet valid",
        "证书 '{subject}' 已过期或尚未生效",
    ),
    "simulator.pki.eid-prefix": (
        "an EID starts with 30 digits before its 2 check digits",
        "EID 由 30 位数字加 2 位校验位组成",
    ),
    "simulator.pki.key-mismatch": (
        "the key in {key_path} does not belong to the certificate {cert_path}",
        "{key_path} 中的密钥与证书 {cert_path} 不匹配",
    ),
    "simulator.pki.cert-unreadable": (
        "cannot read certificate {path}: {error}",
        "无法读取证书 {path}：{error}",
    ),
    "simulator.pki.not-cert": (
        "{path} is not a PEM or DER certificate",
        "{path} 不是 PEM 或 DER 格式的证书",
    ),
    "simulator.pki.key-unreadable": (
        "cannot read key {path}: {error}",
        "无法读取密钥 {path}：{error}",
    ),
    "simulator.pki.not-key": (
        "{path} is not an unencrypted PEM or DER private key",
        "{path} 不是未加密的 PEM 或 DER 格式私钥",
    ),
    "simulator.pki.not-ec-private-key": (
        "{path} is not an EC private key",
        "{path} 不是 EC 私钥",
    ),
    # what an identity directory holds (IDENTITY_FILES), said inside the sentences below
    "simulator.pki.identity-files.euicc": (
        "ci.pem (one or more CI certificates, or ci-*.pem), eum.pem, euicc.pem, euicc.key",
        "ci.pem（一个或多个 CI 证书，或 ci-*.pem）、eum.pem、euicc.pem、euicc.key",
    ),
    "simulator.pki.identity-files.smdp": (
        "ci.pem (or ci-*.pem), dpauth.pem + .key, dppb.pem + .key, dptls.pem + .key "
        "(dptls.pem may carry its intermediates after the leaf)",
        "ci.pem（或 ci-*.pem）、dpauth.pem + .key、dppb.pem + .key、dptls.pem + .key"
        "（dptls.pem 可在终端证书之后附带中间证书）",
    ),
    "simulator.pki.identity-files.smds": (
        "ci.pem (or ci-*.pem), dsauth.pem + .key, dstls.pem + .key",
        "ci.pem（或 ci-*.pem）、dsauth.pem + .key、dstls.pem + .key",
    ),
    "simulator.pki.no-identity-dir": (
        "identity directory {directory} does not exist; it holds {holds:said}",
        "身份目录 {directory} 不存在；该目录应包含 {holds:said}",
    ),
    "simulator.pki.identity-missing": (
        "{directory} has no {file}; an identity directory holds {holds:said}",
        "{directory} 中没有 {file}；身份目录应包含 {holds:said}",
    ),
    "simulator.pki.identity-no-ci": (
        "{directory} has no CI certificate (ci.pem); an identity directory holds {holds:said}",
        "{directory} 中没有 CI 证书（ci.pem）；身份目录应包含 {holds:said}",
    ),
    "simulator.pki.not-ci": (
        "certificate '{subject}' in {directory} is not a CI certificate",
        "{directory} 中的证书 '{subject}' 不是 CI 证书",
    ),
    "simulator.pki.cert-eid-invalid": (
        "the eUICC certificate names '{eid}', which is not a valid EID",
        "eUICC 证书中的 '{eid}' 不是有效的 EID",
    ),
    "simulator.pki.dp-chain": (
        "dpauth.pem and dppb.pem must each hold one certificate issued by the CI",
        "dpauth.pem 和 dppb.pem 必须各自只包含一个由 CI 签发的证书",
    ),
    "simulator.pki.ds-chain": (
        "dsauth.pem must hold one certificate issued by the CI",
        "dsauth.pem 必须只包含一个由 CI 签发的证书",
    ),
    "simulator.pki.eid-invalid": (
        "'{eid}' is not a valid EID (32 digits, mod 97 check)",
        "'{eid}' 不是有效的 EID（32 位数字，mod 97 校验）",
    ),
    "simulator.pki.write-failed": (
        "cannot write the PKI to {directory}: {error}",
        "无法将 PKI 写入 {directory}：{error}",
    ),
    "simulator.pki.no-dir": (
        "PKI directory {directory} does not exist",
        "PKI 目录 {directory} 不存在",
    ),
}
