"""The esim package's sentences, English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id.

These are the card transports' (AT, QMI, MBIM, PC/SC, the proxy link) and the card backends'.
Parts of a sentence that come from a code table (a status word, an MBIM status, a QMI error, the
step a transport was at) are messages of their own, given as ``{"id", "params"}`` in a
``{name:msglist}`` parameter, so they are translated too.
"""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- what the raw-pipe transports share (simspot.esim.transport) ------------------------------
    "esim.transport.no-sw": (
        "the card answered {count} byte(s), no status word",
        "卡片只应答了 {count} 字节，没有状态字",
    ),
    "esim.transport.channel-refused": (
        "the card refused to open a logical channel: {status:msglist}",
        "卡片拒绝打开逻辑通道：{status:msglist}",
    ),
    "esim.transport.channel-range": (
        "the card opened logical channel {channel}, outside 1-19",
        "卡片打开的逻辑通道 {channel} 超出了 1-19 的范围",
    ),
    "esim.transport.select-failed": (
        "SELECT of AID {aid} failed: {status:msglist}",
        "对 AID {aid} 的 SELECT 失败：{status:msglist}",
    ),
    # status words (sw_part): one per known meaning, else the bare SW
    "esim.transport.sw": ("SW {sw}", "状态字 SW {sw}"),
    "esim.transport.sw.6881": (
        "SW 6881 (logical channels not supported)",
        "状态字 SW 6881（不支持逻辑通道）",
    ),
    "esim.transport.sw.6a81": (
        "SW 6A81 (function not supported (no free logical channel))",
        "状态字 SW 6A81（功能不受支持（没有空闲的逻辑通道））",
    ),
    "esim.transport.sw.6a82": (
        "SW 6A82 (application not found)",
        "状态字 SW 6A82（未找到应用）",
    ),
    "esim.transport.sw.6d00": (
        "SW 6D00 (instruction not supported)",
        "状态字 SW 6D00（不支持该指令）",
    ),
    "esim.transport.sw.6e00": (
        "SW 6E00 (class not supported)",
        "状态字 SW 6E00（不支持该 CLA 类别）",
    ),
    # what the QMI and MBIM transports refuse alike, and the AT transport's APDU check
    "esim.transport.device-path": (
        "{protocol} device must be an absolute path such as /dev/cdc-wdm0, not {value}",
        "{protocol} 设备必须是绝对路径（例如 /dev/cdc-wdm0），而不是 {value}",
    ),
    "esim.transport.slot-range": (
        "{protocol} slot must be a number from 1 to {last}, not {value}",
        "{protocol} 卡槽必须是 1 到 {last} 之间的数字，而不是 {value}",
    ),
    "esim.transport.timeout": (
        "{protocol} timeout must be positive, not {value}",
        "{protocol} 超时必须为正数，而不是 {value}",
    ),
    "esim.transport.aid-length": (
        "an AID has 5 to 16 bytes, not {count}",
        "AID 应为 5 到 16 字节，而不是 {count} 字节",
    ),
    "esim.transport.apdu-short": (
        "an APDU has at least 4 bytes, not {count}",
        "APDU 至少有 4 字节，而不是 {count} 字节",
    ),
    "esim.transport.card-sw": (" (card answered SW {sw})", "（卡片应答 SW {sw}）"),
    # -- the AT transport (simspot.esim.at) --------------------------------------------------------
    "esim.at.unexpected-line": (
        "unexpected line from the modem after {command}: {line}",
        "调制解调器在 {command} 之后发来了意外的行：{line}",
    ),
    "esim.at.malformed": (
        "malformed answer to {command}: {answer}",
        "{command} 的应答格式错误：{answer}",
    ),
    "esim.at.hex-length": (
        "answer to {command} announces {length} hex digits but has {count}",
        "{command} 的应答声明有 {length} 个十六进制数字，实际有 {count} 个",
    ),
    "esim.at.lines": (
        "{command} answered {count} information lines, not 1",
        "{command} 应答了 {count} 行信息，而不是 1 行",
    ),
    "esim.at.port-open": (
        "cannot open the modem port {port}: {error}",
        "无法打开调制解调器端口 {port}：{error}",
    ),
    "esim.at.port-failed": (
        "the modem port {port} failed: {error}",
        "调制解调器端口 {port} 出错：{error}",
    ),
    "esim.at.timeout": (
        "the modem on {port} did not answer {command} within {seconds} s",
        "{port} 上的调制解调器未在 {seconds} 秒内应答 {command}",
    ),
    "esim.at.silent": (
        "the modem on {port} does not answer AT any more",
        "{port} 上的调制解调器不再应答 AT",
    ),
    "esim.at.endless-line": (
        "the modem on {port} sends a line without end",
        "{port} 上的调制解调器发送了一行没有结尾的数据",
    ),
    "esim.at.not-connected": ("the AT transport is not connected", "AT 传输未连接"),
    "esim.at.refused": (
        "the modem refused {command}: {error}",
        "调制解调器拒绝了 {command}：{error}",
    ),
    "esim.at.no-dialect": (
        "the modem on {port} supports neither AT+CCHO/AT+CGLA nor AT+CSIM",
        "{port} 上的调制解调器既不支持 AT+CCHO/AT+CGLA，也不支持 AT+CSIM",
    ),
    "esim.at.channel-refused": (
        "the modem could not open a channel to AID {aid}: {error}",
        "调制解调器无法打开到 AID {aid} 的通道：{error}",
    ),
    "esim.at.no-channel": (
        "no open logical channel {channel} on the modem (AT+CCHO)",
        "调制解调器上没有已打开的逻辑通道 {channel}（AT+CCHO）",
    ),
    "esim.at.no-refresh": (
        "no ModemManager modem and no AT port: cannot refresh the modem",
        "既没有 ModemManager 管理的调制解调器，也没有 AT 端口：无法让调制解调器重新读卡",
    ),
    "esim.at.reset-refused": (
        "ModemManager refused to reset modem {path}: {error}",
        "ModemManager 拒绝重置调制解调器 {path}：{error}",
    ),
    # -- the socket to qmi-proxy / mbim-proxy (simspot.esim.proxylink) ----------------------------
    "esim.proxy.not-running": (
        "no {socket} is running: cannot reach the {protocol} modem {device} ({error})",
        "{socket} 未运行：无法连接 {protocol} 调制解调器 {device}（{error}）",
    ),
    "esim.proxy.not-installed": (
        "no {socket} is running and {program} is not installed: cannot reach the {protocol} "
        "modem {device} ({error})",
        "{socket} 未运行，且未安装 {program}：无法连接 {protocol} 调制解调器 {device}（{error}）",
    ),
    "esim.proxy.not-listening": (
        "started {program} but it does not listen on @{socket} after {seconds} s ({error})",
        "已启动 {program}，但 {seconds} 秒后它仍未在 @{socket} 上监听（{error}）",
    ),
    "esim.proxy.not-connected": (
        "the {protocol} modem {device}: not connected",
        "{protocol} 调制解调器 {device}：未连接",
    ),
    "esim.proxy.no-answer": (
        "the {protocol} modem {device} did not answer {doing:msglist} within {seconds} s",
        "{protocol} 调制解调器 {device} 未在 {seconds} 秒内应答 {doing:msglist}",
    ),
    "esim.proxy.gone-while": (
        "the {protocol} modem {device} went away while {doing:msglist}: {error}",
        "{protocol} 调制解调器 {device} 在处理 {doing:msglist} 时断开：{error}",
    ),
    "esim.proxy.gone": (
        "the {protocol} modem {device} went away: {error}",
        "{protocol} 调制解调器 {device} 已断开：{error}",
    ),
    "esim.proxy.gone-closed": (
        "the {protocol} modem {device} went away: {socket} closed the connection (the device "
        "was unplugged or reset, or the proxy refused it)",
        "{protocol} 调制解调器 {device} 已断开：{socket} 关闭了连接（设备被拔出或复位，"
        "或代理拒绝了该设备）",
    ),
    "esim.proxy.framing": (
        "the {protocol} modem {device}: broken framing: {error}",
        "{protocol} 调制解调器 {device}：帧格式损坏：{error}",
    ),
    "esim.proxy.refused-device": (
        "{proxy} refused {device}: {status:msglist}",
        "{proxy} 拒绝了 {device}：{status:msglist}",
    ),
    "esim.proxy.open-refused": (
        "{proxy} could not open {device}: {reason:msglist}",
        "{proxy} 无法打开 {device}：{reason:msglist}",
    ),
    "esim.proxy.reason.missing": ("it does not exist", "该设备不存在"),
    "esim.proxy.reason.root": (
        "{proxy} serves only root unless built otherwise (this is uid {uid})",
        "{proxy} 默认只为 root 服务，除非编译时另行设置（当前 uid 为 {uid}）",
    ),
    "esim.proxy.reason.not-device": (
        "it is not a {protocol} device, or it does not answer",
        "它不是 {protocol} 设备，或者没有应答",
    ),
    # -- the QMI transport (simspot.esim.qmi) ------------------------------------------------------
    "esim.qmi.no-result": (
        "QMI message 0x{message} has no valid Result TLV",
        "QMI 消息 0x{message} 没有有效的 Result TLV",
    ),
    "esim.qmi.too-long": (
        "a QMI message is at most 65535 bytes, not {count}",
        "QMI 消息最多 65535 字节，而不是 {count} 字节",
    ),
    "esim.qmi.field-too-long": (
        "at most 255 bytes fit here, not {count}",
        "此处最多容纳 255 字节，而不是 {count} 字节",
    ),
    "esim.qmi.malformed-tlv": (
        "malformed {what} TLV from the modem",
        "调制解调器发来的 {what} TLV 格式错误",
    ),
    "esim.qmi.not-connected": (
        "the QMI modem {device}: the QMI transport is not connected",
        "QMI 调制解调器 {device}：QMI 传输未连接",
    ),
    "esim.qmi.no-cid": (
        "the QMI modem {device}: no UIM client id allocated",
        "QMI 调制解调器 {device}：尚未分配 UIM 客户端 ID",
    ),
    "esim.qmi.malformed": (
        "the QMI modem {device}: malformed QMI response: {error}",
        "QMI 调制解调器 {device}：QMI 响应格式错误：{error}",
    ),
    "esim.qmi.cid-refused": (
        "the QMI modem {device} refused a UIM client id: {error:msglist}",
        "QMI 调制解调器 {device} 拒绝分配 UIM 客户端 ID：{error:msglist}",
    ),
    "esim.qmi.malformed-cid": (
        "the QMI modem {device}: malformed Allocate CID answer",
        "QMI 调制解调器 {device}：Allocate CID 的应答格式错误",
    ),
    "esim.qmi.channel-refused": (
        "the QMI modem {device} could not open a channel to AID {aid} in slot {slot}: "
        "{error:msglist}{card:said}",
        "QMI 调制解调器 {device} 无法在卡槽 {slot} 中打开到 AID {aid} 的通道："
        "{error:msglist}{card:said}",
    ),
    "esim.qmi.bad-channel": (
        "the QMI modem {device}: Open Logical Channel gave no valid channel",
        "QMI 调制解调器 {device}：Open Logical Channel 没有给出有效的通道",
    ),
    "esim.qmi.no-channel": (
        "no open logical channel {channel} on the QMI modem {device}",
        "QMI 调制解调器 {device} 上没有已打开的逻辑通道 {channel}",
    ),
    "esim.qmi.apdu-failed": (
        "the QMI modem {device} could not send an APDU: {error:msglist}",
        "QMI 调制解调器 {device} 无法发送 APDU：{error:msglist}",
    ),
    "esim.qmi.no-response-tlv": (
        "the QMI modem {device}: Send APDU answered without a response TLV",
        "QMI 调制解调器 {device}：Send APDU 的应答中没有响应 TLV",
    ),
    "esim.qmi.no-sw": (
        "the QMI modem {device}: an APDU response without status word",
        "QMI 调制解调器 {device}：APDU 响应中没有状态字",
    ),
    "esim.qmi.doing.request": ("QMI request 0x{message}", "QMI 请求 0x{message}"),
    # QMI protocol errors (error_part): one per known code, else the bare code
    "esim.qmi.error": ("QMI error 0x{code}", "QMI 错误 0x{code}"),
    "esim.qmi.error.0001": (
        "QMI error 0x0001 (malformed message)",
        "QMI 错误 0x0001（消息格式错误）",
    ),
    "esim.qmi.error.0003": ("QMI error 0x0003 (internal error)", "QMI 错误 0x0003（内部错误）"),
    "esim.qmi.error.0005": (
        "QMI error 0x0005 (client ids exhausted)",
        "QMI 错误 0x0005（客户端 ID 已用尽）",
    ),
    "esim.qmi.error.0007": (
        "QMI error 0x0007 (invalid client id)",
        "QMI 错误 0x0007（客户端 ID 无效）",
    ),
    "esim.qmi.error.0011": (
        "QMI error 0x0011 (missing argument)",
        "QMI 错误 0x0011（缺少参数）",
    ),
    "esim.qmi.error.0025": (
        "QMI error 0x0025 (UIM not initialized)",
        "QMI 错误 0x0025（UIM 未初始化）",
    ),
    "esim.qmi.error.0030": (
        "QMI error 0x0030 (invalid argument)",
        "QMI 错误 0x0030（参数无效）",
    ),
    "esim.qmi.error.0034": (
        "QMI error 0x0034 (device not ready)",
        "QMI 错误 0x0034（设备未就绪）",
    ),
    "esim.qmi.error.0044": (
        "QMI error 0x0044 (insufficient resources)",
        "QMI 错误 0x0044（资源不足）",
    ),
    "esim.qmi.error.0047": (
        "QMI error 0x0047 (invalid QMI command)",
        "QMI 错误 0x0047（无效的 QMI 命令）",
    ),
    "esim.qmi.error.005e": ("QMI error 0x005E (not supported)", "QMI 错误 0x005E（不支持）"),
    # -- the MBIM transport (simspot.esim.mbim) ----------------------------------------------------
    "esim.mbim.not-connected": (
        "the MBIM modem {device}: the MBIM transport is not connected",
        "MBIM 调制解调器 {device}：MBIM 传输未连接",
    ),
    "esim.mbim.malformed": (
        "the MBIM modem {device}: malformed MBIM message: {error}",
        "MBIM 调制解调器 {device}：MBIM 消息格式错误：{error}",
    ),
    "esim.mbim.refused": (
        "the MBIM modem {device} refused {doing:msglist}: {status:msglist}",
        "MBIM 调制解调器 {device} 拒绝了 {doing:msglist}：{status:msglist}",
    ),
    "esim.mbim.unexpected-type": (
        "the MBIM modem {device} answered {doing:msglist} with message 0x{type}",
        "MBIM 调制解调器 {device} 用消息 0x{type} 应答了 {doing:msglist}",
    ),
    "esim.mbim.malformed-answer": (
        "the MBIM modem {device}: malformed answer to {doing:msglist}: {error}",
        "MBIM 调制解调器 {device}：{doing:msglist} 的应答格式错误：{error}",
    ),
    "esim.mbim.other-command": (
        "the MBIM modem {device} answered {doing:msglist} for another command",
        "MBIM 调制解调器 {device} 对 {doing:msglist} 的应答属于另一个命令",
    ),
    "esim.mbim.open-refused": (
        "the MBIM modem {device} refused OPEN: {status:msglist}",
        "MBIM 调制解调器 {device} 拒绝了 OPEN：{status:msglist}",
    ),
    "esim.mbim.message-type": ("message {type}", "消息 {type}"),
    "esim.mbim.malformed-slots": (
        "the MBIM modem {device}: malformed slot mapping: {error}",
        "MBIM 调制解调器 {device}：卡槽映射格式错误：{error}",
    ),
    "esim.mbim.slot-kept": (
        "the MBIM modem {device} kept slot {kept} mapped when asked for slot {slot}",
        "要求映射卡槽 {slot} 时，MBIM 调制解调器 {device} 仍映射着卡槽 {kept}",
    ),
    "esim.mbim.slot-unmapped": (
        "the MBIM modem {device} kept slot none mapped when asked for slot {slot}",
        "要求映射卡槽 {slot} 时，MBIM 调制解调器 {device} 没有映射任何卡槽",
    ),
    "esim.mbim.channel-refused": (
        "the MBIM modem {device} could not open a channel to AID {aid}: "
        "{status:msglist}{card:said}",
        "MBIM 调制解调器 {device} 无法打开到 AID {aid} 的通道：{status:msglist}{card:said}",
    ),
    "esim.mbim.malformed-open": (
        "the MBIM modem {device}: malformed Open Channel answer: {error}",
        "MBIM 调制解调器 {device}：Open Channel 的应答格式错误：{error}",
    ),
    "esim.mbim.channel-range": (
        "the MBIM modem {device} opened logical channel {channel}, outside 1-19",
        "MBIM 调制解调器 {device} 打开的逻辑通道 {channel} 超出了 1-19 的范围",
    ),
    "esim.mbim.no-channel": (
        "no open logical channel {channel} on the MBIM modem {device}",
        "MBIM 调制解调器 {device} 上没有已打开的逻辑通道 {channel}",
    ),
    "esim.mbim.apdu-failed": (
        "the MBIM modem {device} could not send an APDU: {status:msglist}",
        "MBIM 调制解调器 {device} 无法发送 APDU：{status:msglist}",
    ),
    "esim.mbim.malformed-apdu": (
        "the MBIM modem {device}: malformed APDU answer: {error}",
        "MBIM 调制解调器 {device}：APDU 应答格式错误：{error}",
    ),
    # the steps an MBIM error names ("refused {doing}")
    "esim.mbim.doing.command": ("{name}", "{name} 请求"),
    "esim.mbim.doing.proxy-open": (
        "the proxy's open request (MBIM OPEN)",
        "代理的打开请求（MBIM OPEN）",
    ),
    "esim.mbim.doing.slot-query": ("the slot mapping query", "卡槽映射查询"),
    "esim.mbim.doing.map-slot": ("mapping slot {slot}", "映射卡槽 {slot}"),
    # MBIM status codes (status_part): one per known code, else the bare code
    "esim.mbim.status": ("MBIM status 0x{status}", "MBIM 状态 0x{status}"),
    "esim.mbim.status.00000000": (
        "MBIM status 0x00000000 (success)",
        "MBIM 状态 0x00000000（成功）",
    ),
    "esim.mbim.status.00000001": ("MBIM status 0x00000001 (busy)", "MBIM 状态 0x00000001（忙）"),
    "esim.mbim.status.00000002": (
        "MBIM status 0x00000002 (failure)",
        "MBIM 状态 0x00000002（失败）",
    ),
    "esim.mbim.status.00000003": (
        "MBIM status 0x00000003 (SIM not inserted)",
        "MBIM 状态 0x00000003（未插入 SIM 卡）",
    ),
    "esim.mbim.status.00000004": (
        "MBIM status 0x00000004 (bad SIM)",
        "MBIM 状态 0x00000004（SIM 卡损坏）",
    ),
    "esim.mbim.status.00000009": (
        "MBIM status 0x00000009 (no device support)",
        "MBIM 状态 0x00000009（设备不支持）",
    ),
    "esim.mbim.status.0000000e": (
        "MBIM status 0x0000000E (not initialized)",
        "MBIM 状态 0x0000000E（未初始化）",
    ),
    "esim.mbim.status.00000015": (
        "MBIM status 0x00000015 (invalid parameters)",
        "MBIM 状态 0x00000015（参数无效）",
    ),
    "esim.mbim.status.87430001": (
        "MBIM status 0x87430001 (no free logical channel)",
        "MBIM 状态 0x87430001（没有空闲的逻辑通道）",
    ),
    "esim.mbim.status.87430002": (
        "MBIM status 0x87430002 (SELECT failed)",
        "MBIM 状态 0x87430002（SELECT 失败）",
    ),
    "esim.mbim.status.87430003": (
        "MBIM status 0x87430003 (invalid logical channel)",
        "MBIM 状态 0x87430003（逻辑通道无效）",
    ),
    # MBIM protocol errors (FUNCTION_ERROR; error_part)
    "esim.mbim.error": ("MBIM error {code} (unknown)", "MBIM 错误 {code}（未知）"),
    "esim.mbim.error.1": ("MBIM error 1 (fragment timeout)", "MBIM 错误 1（分片超时）"),
    "esim.mbim.error.2": (
        "MBIM error 2 (fragment out of sequence)",
        "MBIM 错误 2（分片顺序错乱）",
    ),
    "esim.mbim.error.3": ("MBIM error 3 (length mismatch)", "MBIM 错误 3（长度不符）"),
    "esim.mbim.error.4": (
        "MBIM error 4 (duplicated transaction id)",
        "MBIM 错误 4（事务 ID 重复）",
    ),
    "esim.mbim.error.5": ("MBIM error 5 (not opened)", "MBIM 错误 5（未打开）"),
    "esim.mbim.error.6": ("MBIM error 6 (unknown)", "MBIM 错误 6（未知）"),
    "esim.mbim.error.7": ("MBIM error 7 (cancel)", "MBIM 错误 7（已取消）"),
    "esim.mbim.error.8": (
        "MBIM error 8 (maximum transfer exceeded)",
        "MBIM 错误 8（超过最大传输长度）",
    ),
    # -- the PC/SC transport (simspot.esim.pcsc): PC/SC return codes in words (translate) -------
    "esim.pcsc.no-service": (
        "no PC/SC reader: is pcscd running and a reader plugged in? ({detail})",
        "没有 PC/SC 读卡器：pcscd 是否在运行、读卡器是否已插入？（{detail}）",
    ),
    "esim.pcsc.reader-gone": (
        "the reader is gone or unknown ({detail})",
        "读卡器已不存在或未知（{detail}）",
    ),
    "esim.pcsc.reader-gone.named": (
        "the reader {reader} is gone or unknown ({detail})",
        "读卡器 {reader} 已不存在或未知（{detail}）",
    ),
    "esim.pcsc.card-removed": (
        "the card{where:said} was removed or reset while {doing:msglist} ({detail})",
        "卡片{where:said}在 {doing:msglist} 时被移除或复位（{detail}）",
    ),
    "esim.pcsc.no-card": (
        "no card{where:said} (or it does not answer) ({detail})",
        "没有卡片{where:said}（或卡片没有应答）（{detail}）",
    ),
    "esim.pcsc.busy": (
        "the card{where:said} is in use by another program (PC/SC exclusive access) ({detail})",
        "卡片{where:said}正被其他程序使用（PC/SC 独占访问）（{detail}）",
    ),
    "esim.pcsc.protocol": (
        "the card{where:said} does not speak the requested protocol ({detail})",
        "卡片{where:said}不支持所请求的协议（{detail}）",
    ),
    "esim.pcsc.failed": (
        "PC/SC failed while {doing:msglist}{where:said}: {detail}",
        "PC/SC 在 {doing:msglist} 时失败{where:said}：{detail}",
    ),
    "esim.pcsc.where": (" in reader {reader}", "（读卡器 {reader}）"),
    "esim.pcsc.doing.pcscd": ("connecting to pcscd", "连接 pcscd"),
    "esim.pcsc.doing.readers": ("listing readers", "列出读卡器"),
    "esim.pcsc.doing.card": ("connecting to the card", "连接卡片"),
    "esim.pcsc.doing.apdu": ("exchanging an APDU", "交换 APDU"),
    "esim.pcsc.removed-apdu": (
        "the card in reader {reader} was removed while exchanging an APDU",
        "读卡器 {reader} 中的卡片在交换 APDU 时被移除",
    ),
    "esim.pcsc.mute": (
        "the card in reader {reader} stopped answering mid-APDU (mute or removed)",
        "读卡器 {reader} 中的卡片在 APDU 交换中途停止应答（无响应或已被移除）",
    ),
}
