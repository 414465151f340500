"""The esim package's sentences (cardmessages.py), English and Simplified Chinese, merged into `simspot.i18n`'s
catalogue (see MESSAGE_MODULES there) so errors made here carry a message id."""

from __future__ import annotations

# id -> (English, Simplified Chinese); both take the same parameters (tests/test_i18n.py).
MESSAGES: dict[str, tuple[str, str]] = {
    # -- ES10 over APDUs (esim/apdu.py) -----------------------------------------------------------
    "esim.apdu.block-size": (
        "APDU block size must be {min}-{max} bytes, not {size}",
        "APDU 分块大小必须为 {min}-{max} 字节，而不是 {size}",
    ),
    "esim.apdu.empty-command": (
        "an ES10 command cannot be empty",
        "ES10 命令不能为空",
    ),
    "esim.apdu.too-many-blocks": (
        "ES10 command of {size} bytes needs more than 256 blocks",
        "{size} 字节的 ES10 命令需要超过 256 个分块",
    ),
    "esim.apdu.no-aid": ("no ISD-R AID to try", "没有可尝试的 ISD-R AID"),
    "esim.apdu.endless-response": (
        "the card's answer did not end within {limit:bytes} (it keeps saying more is waiting) "
        "(SW {sw})",
        "卡的响应超过 {limit:bytes} 仍未结束（它一直表示还有数据）（SW {sw}）",
    ),
    "esim.apdu.channel-range": (
        "logical channel {channel} is outside 0-19",
        "逻辑通道 {channel} 超出 0-19 的范围",
    ),
    "esim.apdu.too-short": (
        "the card answered {count} bytes, too short for a status word",
        "卡只返回了 {count} 字节，不足以构成状态字",
    ),
    "esim.apdu.no-isdr": (
        "no ISD-R answered on this card (is it an eUICC? add its vendor AID to "
        "esim.extra_isdr_aids); tried {tried:msgs}",
        "这张卡上没有 ISD-R 应答（它是 eUICC 吗？请把厂商的 AID 加入 esim.extra_isdr_aids）；"
        "已尝试 {tried:msgs}",
    ),
    "esim.apdu.aid-refused": ("{aid}: {error:said}", "{aid}：{error:said}"),
    "esim.apdu.early-answer": (
        "the card answered block {block} of {count} before the command was complete",
        "命令尚未发送完整，卡就对分块 {block}（共 {count} 个）作出了应答",
    ),
    "esim.apdu.block-refused": (
        "STORE DATA block {block} refused: {reason:msglist} (SW {sw})",
        "STORE DATA 分块 {block} 被拒绝：{reason:msglist}（SW {sw}）",
    ),
    "esim.apdu.command-refused": (
        "ES10 command refused: {reason:msglist} (SW {sw})",
        "ES10 命令被拒绝：{reason:msglist}（SW {sw}）",
    ),
    "esim.apdu.not-open": ("the ISD-R channel is not open", "ISD-R 通道未打开"),
    # Error status words (apdu.sw_message): ISO 7816-4 / GlobalPlatform.
    "esim.apdu.sw.6581": ("memory problem on the card", "卡内存故障"),
    "esim.apdu.sw.6700": ("wrong length", "长度错误"),
    "esim.apdu.sw.6881": ("logical channel not supported", "不支持逻辑通道"),
    "esim.apdu.sw.6882": ("secure messaging not supported", "不支持安全报文"),
    "esim.apdu.sw.6982": ("security status not satisfied", "安全状态不满足"),
    "esim.apdu.sw.6985": ("conditions of use not satisfied", "使用条件不满足"),
    "esim.apdu.sw.6a80": (
        "the card refused the data (incorrect parameters in the data field)",
        "卡拒绝了数据（数据域中的参数不正确）",
    ),
    "esim.apdu.sw.6a81": ("function not supported", "不支持该功能"),
    "esim.apdu.sw.6a82": ("application or file not found", "未找到应用或文件"),
    "esim.apdu.sw.6a84": ("not enough memory space on the card", "卡上存储空间不足"),
    "esim.apdu.sw.6a86": ("incorrect P1/P2", "P1/P2 不正确"),
    "esim.apdu.sw.6a88": ("referenced data not found", "未找到引用的数据"),
    "esim.apdu.sw.6d00": ("instruction not supported", "不支持该指令"),
    "esim.apdu.sw.6e00": ("class not supported", "不支持该 CLA"),
    "esim.apdu.sw.6f00": ("the card reported an unspecified error", "卡报告了未指明的错误"),
    "esim.apdu.sw.63xx": ("verification failed", "验证失败"),
    "esim.apdu.sw.64xx": (
        "the card's state did not change (execution error)",
        "卡的状态未改变（执行错误）",
    ),
    "esim.apdu.sw.6cxx": ("wrong Le", "Le 错误"),
    "esim.apdu.sw.other": ("the card refused the command", "卡拒绝了该命令"),
    # -- BSP / SCP03t (esim/bsp.py) ---------------------------------------------------------------
    "esim.bsp.bad-point": (
        "the peer's one-time public key is not a valid curve point",
        "对端的一次性公钥不是有效的曲线点",
    ),
    "esim.bsp.bad-padding": (
        "the decrypted segment has invalid padding",
        "解密后的分段填充无效",
    ),
    "esim.bsp.key-length": ("BSP keys must be 16 bytes each", "BSP 密钥必须各为 16 字节"),
    "esim.bsp.plaintext-too-long": (
        "a BSP segment carries at most {max} bytes",
        "一个 BSP 分段最多承载 {max} 字节",
    ),
    "esim.bsp.mac-only-too-long": (
        "a MAC-only BSP segment carries at most {max} bytes",
        "一个仅 MAC 的 BSP 分段最多承载 {max} 字节",
    ),
    "esim.bsp.segment-too-long": (
        "a BSP segment is at most {max} bytes",
        "一个 BSP 分段最多 {max} 字节",
    ),
    "esim.bsp.malformed": (
        "a BPP segment is malformed: {error:said}",
        "BPP 分段格式错误：{error:said}",
    ),
    "esim.bsp.wrong-tag": (
        "expected one segment with tag {tag}",
        "应为一个标签为 {tag} 的分段",
    ),
    "esim.bsp.shorter-than-mac": (
        "the segment is shorter than its MAC",
        "该分段比其 MAC 还短",
    ),
    "esim.bsp.mac-failed": (
        "a BPP segment failed its MAC check",
        "BPP 分段未通过 MAC 校验",
    ),
    "esim.bsp.not-whole-blocks": (
        "the encrypted segment is not a whole number of AES blocks",
        "加密分段的长度不是 AES 分组的整数倍",
    ),
    "esim.bsp.ppk-pair": (
        "ReplaceSessionKeys needs both its request and the PPK",
        "ReplaceSessionKeys 需要同时提供其请求和 PPK",
    ),
    # -- DER codec and BER-TLV (esim/codec.py) ----------------------------------------------------
    "esim.codec.unknown-type": ("unknown ASN.1 type '{type}'", "未知的 ASN.1 类型 '{type}'"),
    "esim.codec.cannot-encode": (
        "cannot encode {type}: {error}",
        "无法编码 {type}：{error}",
    ),
    "esim.codec.trailing": (
        "{type}: {count} unexpected bytes after the value",
        "{type}：值之后有 {count} 个多余字节",
    ),
    "esim.codec.no-data": ("{type}: no data", "{type}：没有数据"),
    "esim.codec.too-deep": ("{type}: nesting too deep", "{type}：嵌套层级过深"),
    "esim.codec.invalid": ("{type}: {error}", "{type} 解码失败：{error}"),
    "esim.codec.past-end": (
        "{type}: value runs past the end of the data",
        "{type}：值超出了数据末尾",
    ),
    "esim.codec.unknown-alternative": (
        "{type}: unknown alternative (tag {tag})",
        "{type}：未知的 CHOICE 选项（标签 {tag}）",
    ),
    "esim.codec.unknown-alternative-in": (
        "{type}: unknown alternative in {field}",
        "{type}：{field} 中有未知的 CHOICE 选项",
    ),
    "esim.codec.tlv.no-data": ("TLV: no data", "TLV：没有数据"),
    "esim.codec.tlv.tag-past-end": ("TLV: tag runs past the end", "TLV：标签超出了数据末尾"),
    "esim.codec.tlv.tag-too-long": ("TLV: tag longer than 4 bytes", "TLV：标签超过 4 字节"),
    "esim.codec.tlv.no-length": ("TLV: missing length", "TLV：缺少长度字段"),
    "esim.codec.tlv.indefinite": (
        "TLV: indefinite length is not allowed in DER",
        "TLV：DER 中不允许不定长度",
    ),
    "esim.codec.tlv.bad-length": ("TLV: bad length field", "TLV：长度字段无效"),
    "esim.codec.tlv.past-end": (
        "TLV {tag}: length {length} runs past the end of the data",
        "TLV {tag}：长度 {length} 超出了数据末尾",
    ),
    # -- ES10 commands (esim/es10.py) -------------------------------------------------------------
    "esim.es10.not-bpp": (
        "not a Bound Profile Package (expected one BF36 TLV)",
        "不是 Bound Profile Package（应为一个 BF36 TLV）",
    ),
    "esim.es10.bpp-order": (
        "Bound Profile Package parts out of order: {tags}",
        "Bound Profile Package 各部分顺序错误：{tags}",
    ),
    "esim.es10.bpp-unexpected-tag": (
        "unexpected tag {tag} inside {parent} of the Bound Profile Package",
        "Bound Profile Package 的 {parent} 中出现意外的标签 {tag}",
    ),
    "esim.es10.notification-trailing": (
        "RetrieveNotificationsList: trailing bytes in the notification list",
        "RetrieveNotificationsList：通知列表末尾有多余字节",
    ),
    "esim.es10.notification-operation": (
        "notification operation must be one of {choices:list}",
        "通知操作必须是 {choices:list} 之一",
    ),
    "esim.es10.isdp-aid-length": ("an ISD-P AID is 1-16 bytes", "ISD-P AID 的长度为 1-16 字节"),
    # -- ICCIDs and BCD (esim/iccid.py) -----------------------------------------------------------
    "esim.iccid.digits": (
        "an ICCID is 18-20 digits, not {value}",
        "ICCID 应为 18-20 位数字，而不是 {value}",
    ),
    "esim.iccid.bcd-fit": (
        "{value} does not fit {length} bytes of BCD",
        "{value} 无法放入 {length} 字节的 BCD",
    ),
}
