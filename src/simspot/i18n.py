"""Sentences in the reader's language: one catalogue of message ids, in English and Chinese.

A sentence simspot makes for people is a ``Message``: an id from ``CATALOGUE`` and its parameters.
The API answers the id and the parameters next to the English text, so the web UI renders the
same sentence in the browser's language (it reads this catalogue from ``GET /api/v1/messages``),
the CLI in ``$LANG``'s and the notifier in ``plans.notify_language``'s.

Templates name their parameters ``{name}`` or ``{name:format}``; the formats are

    bytes   a byte count in SI units (``1.5 GB``); text such as ``400MB`` stays as it is
    when    a local time given as ISO 8601 with its offset: ``3 Dec 14:00`` / ``12月3日 14:00``
    list    a list, joined with commas
    term    a word from the catalogue (``term.<value>``), so enumerations are translated too
    reg     a network registration state (``reg.<value>``)
    mac     a MAC address (the web UI shows the device's name instead where it knows it)
    kbit    a speed in kbit/s, or "no cap" for none
    auto    a value where none means "automatic"
    lang    text the publisher gave in both languages: ``{reason:lang}`` takes ``reason_en``
            (or else ``reason``) and ``reason_zh`` from the parameters
    msgs    a list of messages (``{"id", "params"}``, see ``part``), each rendered, joined by "; "
    msglist the same, joined by commas (the parts of one sentence)
    said    an English text that may also be given by id: ``{error:said}`` renders the message
            ``error_said`` (``{"id", "params"}``) when the parameters have one, else ``error``

Both texts of a message take exactly the same parameters with the same formats (a test holds
every entry to this, and to having a Chinese text at all).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from simspot.units import format_bytes

if TYPE_CHECKING:
    from simspot.i18n_models import CatalogueOut, MessageOut

__all__ = ["CatalogueOut", "MessageOut"]  # loaded on first use (__getattr__ below), with the rest

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
Severity = Literal["info", "warning", "error"]
Param = str | int | float | bool | list[str] | None

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}")
FORMATS = frozenset(
    {
        "",
        "bytes",
        "when",
        "list",
        "term",
        "reg",
        "mac",
        "kbit",
        "auto",
        "lang",
        "msgs",
        "msglist",
        "said",
    }
)
_JOINS = {"msgs": ("; ", "；"), "msglist": (", ", "、")}
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

# id -> (English, Simplified Chinese)
CATALOGUE: dict[str, tuple[str, str]] = {
    # -- forecasts (plans/forecast.py) ----------------------------------------------------------
    "forecast.used-up": (
        "The allowance of {allowance:bytes} is used up; the cycle renews on {ends:when}.",
        "{allowance:bytes} 的流量已用完；周期将于 {ends:when} 重置。",
    ),
    "forecast.nothing": (
        "Nothing used so far this cycle, so nothing to project; it ends {ends:when}.",
        "本周期尚未使用流量，无法预测；周期于 {ends:when} 结束。",
    ),
    "forecast.unlimited": (
        "At about {rate:bytes} a day (recent days count more), this cycle will use about "
        "{projected:bytes} by {ends:when}; the plan is unlimited.",
        "按每天约 {rate:bytes}（近几天权重更高）计算，到 {ends:when} 本周期约用 "
        "{projected:bytes}；该套餐不限流量。",
    ),
    "forecast.runs-out": (
        "At about {rate:bytes} a day (recent days count more), the {allowance:bytes} allowance "
        "runs out around {runs_out:when}, before the cycle ends on {ends:when}.",
        "按每天约 {rate:bytes}（近几天权重更高）计算，{allowance:bytes} 的流量将在 "
        "{runs_out:when} 左右用完，早于周期结束（{ends:when}）。",
    ),
    "forecast.lasts": (
        "At about {rate:bytes} a day (recent days count more), you will have used about "
        "{projected:bytes} of {allowance:bytes} by {ends:when}, so the allowance lasts the cycle.",
        "按每天约 {rate:bytes}（近几天权重更高）计算，到 {ends:when} 将用约 {projected:bytes}"
        "（共 {allowance:bytes}），流量够用到周期结束。",
    ),
    # -- usage history ----------------------------------------------------------------------------
    "history.other": ("other devices", "其他设备"),
    # -- eSIM from a picture ------------------------------------------------------------------------
    "esim.scan.found": (
        "Found an activation code for {smdp_address}.",
        "已识别 {smdp_address} 的激活码。",
    ),
    "esim.scan.needs-code": (
        "Found an activation code for {smdp_address}; this operator also asks for a "
        "confirmation code.",
        "已识别 {smdp_address} 的激活码；该运营商还需要确认码。",
    ),
    "esim.scan.no-qr": ("No QR code found in the picture.", "图片中没有找到二维码。"),
    "esim.scan.not-activation": (
        "The QR code in the picture is not an eSIM activation code.",
        "图片中的二维码不是 eSIM 激活码。",
    ),
    "esim.scan.bad-image": (
        "The picture could not be read: {problem}.",
        "无法读取图片：{problem}。",
    ),
    # -- refused input (SimspotValueError with msg_id; the API answers it as "message") ----------
    "error.empty": ("{field}: must not be empty", "{field}：不能为空"),
    "error.ssid.too-long": (
        "{field}: is {bytes} bytes in UTF-8; a Wi-Fi network name is at most 32 bytes",
        "{field}：UTF-8 编码为 {bytes} 字节；Wi-Fi 网络名称最多 32 字节",
    ),
    # -- Wi-Fi uplinks simspot joins (simspot.uplink.wifi) -----------------------------------------
    "wifi.control-character": (
        "{field}: contains a control character",
        "{field}：包含控制字符",
    ),
    "wifi.ssid-length": (
        "{field}: must be 1-32 bytes, got {bytes}",
        "{field}：必须为 1-32 字节，实际为 {bytes} 字节",
    ),
    "wifi.passphrase-ascii": (
        "{field}: must be printable ASCII",
        "{field}：必须是可打印的 ASCII 字符",
    ),
    "wifi.passphrase-length": (
        "{field}: must be 8-63 characters (or 64 hex digits), got {length}",
        "{field}：必须为 8-63 个字符（或 64 个十六进制数字），实际为 {length} 个",
    ),
    "wifi.secret-unreadable": (
        "{field}: cannot read {path}: {reason}",
        "{field}：无法读取 {path}：{reason}",
    ),
    "wifi.name": (
        "{field}: {value} is not a name: use 1-32 lower-case letters, digits, _ or -",
        "{field}：{value} 不是有效名称：请使用 1-32 个小写字母、数字、_ 或 -",
    ),
    "wifi.ctrl-dir": (
        "{field}: {value} is not a plain absolute path",
        "{field}：{value} 不是普通的绝对路径",
    ),
    "wifi.no-answer": (
        "wpa_supplicant ({path}) did not answer in time",
        "wpa_supplicant（{path}）没有及时应答",
    ),
    "wifi.unreachable": (
        "cannot reach wpa_supplicant at {path}: {error}",
        "无法连接 {path} 上的 wpa_supplicant：{error}",
    ),
    "wifi.refused": (
        "wpa_supplicant refused {command}: {reply}",
        "wpa_supplicant 拒绝了 {command}：{reply}",
    ),
    "error.text.control-char": (
        "{field}: contains the control character {char}",
        "{field}：包含控制字符 {char}",
    ),
    "error.passphrase.not-ascii": (
        "{field}: character {pos} ({char}) is not printable ASCII; a WPA passphrase may only "
        "use the characters from space to '~'",
        "{field}：第 {pos} 个字符（{char}）不是可打印的 ASCII 字符；WPA 密码只能使用空格到 '~' "
        "之间的字符",
    ),
    "error.passphrase.length": (
        "{field}: is {length} characters; WPA needs 8 to 63 characters (or 64 hex digits)",
        "{field}：长度为 {length} 个字符；WPA 密码需要 8 到 63 个字符（或 64 位十六进制数）",
    ),
    "error.text.type": ("{field}: must be text", "{field}：必须是文本"),
    "error.text.unicode": (
        "{field}: is not valid Unicode text",
        "{field}：不是有效的 Unicode 文本",
    ),
    "error.interface": (
        "{field}: {value} is not a network interface name (1-15 letters, digits, '_', '.', '-')",
        "{field}：{value} 不是网络接口名（1 到 15 个字母、数字、'_'、'.'、'-'）",
    ),
    "error.country": (
        "{field}: {value} is not a two-letter country code like DE",
        "{field}：{value} 不是两个字母的国家代码（例如 CN）",
    ),
    "error.cidr4": (
        "{field}: {value} is not an IPv4 address with prefix (10.0.0.1/24)",
        "{field}：{value} 不是带前缀长度的 IPv4 地址（例如 10.0.0.1/24）",
    ),
    "error.path": (
        "{field}: {value} cannot be written into a config file",
        "{field}：{value} 不能写入配置文件",
    ),
    # -- passphrase policy (hotspot/passphrase.py): the reasons, then the findings -------------
    "error.passphrase.weak": ("{field}: {reasons:msgs}", "{field}：{reasons:msgs}"),
    "passphrase.short": (
        "it is {length} characters; use at least {min}",
        "只有 {length} 个字符；至少需要 {min} 个",
    ),
    "passphrase.guessable": (
        "it is too easy to guess (about {bits} bits, {needed} needed)",
        "太容易被猜到（约 {bits} 位强度，需要 {needed} 位）",
    ),
    "passphrase.guessable.contains": (
        "it is too easy to guess (about {bits} bits, {needed} needed): it contains {found:msglist}",
        "太容易被猜到（约 {bits} 位强度，需要 {needed} 位）：其中包含{found:msglist}",
    ),
    "passphrase.guessable.few": (
        "it is too easy to guess (about {bits} bits, {needed} needed): it uses too few "
        "different characters",
        "太容易被猜到（约 {bits} 位强度，需要 {needed} 位）：使用的不同字符太少",
    ),
    "passphrase.found.common": ("a common password or word ({text})", "常见密码或单词（{text}）"),
    "passphrase.found.ssid": ("the network name ({text})", "网络名称（{text}）"),
    "passphrase.found.keyboard": ("a keyboard pattern ({text})", "键盘上的连续按键（{text}）"),
    "passphrase.found.repeat": ("a repetition ({text})", "重复（{text}）"),
    "passphrase.found.sequence": ("a sequence ({text})", "连续序列（{text}）"),
    "passphrase.found.date": ("a date or year ({text})", "日期或年份（{text}）"),
    "error.mac": (
        "{field}: {value} is not a MAC address like 02:00:00:aa:bb:cc",
        "{field}：{value} 不是 MAC 地址（例如 02:00:00:aa:bb:cc）",
    ),
    "error.size.not-a-size": (
        "{field}: {value} is not a size (write e.g. 500MB, 5GB, 2GiB)",
        "{field}：{value} 不是流量大小（例如 500MB、5GB、2GiB）",
    ),
    "error.size.not-a-size-or-unlimited": (
        "{field}: {value} is not a size (write e.g. 500MB, 5GB, 2GiB or unlimited)",
        "{field}：{value} 不是流量大小（例如 500MB、5GB、2GiB 或 unlimited）",
    ),
    "error.size.negative": (
        "{field}: must be at least 0, got {value}",
        "{field}：不能小于 0，实际为 {value}",
    ),
    "error.size.too-large": (
        "{field}: must be at most {max} (1 EB), got {value}",
        "{field}：最大为 {max}（1 EB），实际为 {value}",
    ),
    "error.at-field": ("{field}: {problem:msgs}", "{field}：{problem:msgs}"),
    "error.tool-missing": ("{program} is not installed", "未安装 {program}"),
    "error.tool-missing.package": (
        "{program} is not installed (Debian package: {package})",
        "未安装 {program}（Debian 软件包：{package}）",
    ),
    # -- requests that do not fit the API's schema (pydantic's English; SCHEMA_ERRORS) -----------
    "schema.missing": ("{field}: Field required", "{field}：必填"),
    "schema.extra": ("{field}: Extra inputs are not permitted", "{field}：不允许的额外字段"),
    "schema.int": (
        "{field}: Input should be a valid integer, unable to parse string as an integer",
        "{field}：应为整数，无法把文本解析为整数",
    ),
    "schema.int-type": ("{field}: Input should be a valid integer", "{field}：应为整数"),
    "schema.int-from-float": (
        "{field}: Input should be a valid integer, got a number with a fractional part",
        "{field}：应为整数，但给出的数带有小数部分",
    ),
    "schema.int-size": (
        "{field}: Unable to parse input string as an integer, exceeded maximum size",
        "{field}：无法解析为整数，数字过大",
    ),
    "schema.float": (
        "{field}: Input should be a valid number, unable to parse string as a number",
        "{field}：应为数字，无法把文本解析为数字",
    ),
    "schema.float-type": ("{field}: Input should be a valid number", "{field}：应为数字"),
    "schema.string": ("{field}: Input should be a valid string", "{field}：应为文本"),
    "schema.bool": (
        "{field}: Input should be a valid boolean, unable to interpret input",
        "{field}：应为布尔值（true 或 false），无法识别输入",
    ),
    "schema.bool-type": ("{field}: Input should be a valid boolean", "{field}：应为布尔值"),
    "schema.list": ("{field}: Input should be a valid list", "{field}：应为列表"),
    "schema.dict": ("{field}: Input should be a valid dictionary", "{field}：应为对象（字典）"),
    "schema.object": (
        "{field}: Input should be a valid dictionary or object to extract fields from",
        "{field}：应为对象（字典）",
    ),
    "schema.literal": ("{field}: Input should be {expected}", "{field}：应为 {expected}"),
    "schema.ge": (
        "{field}: Input should be greater than or equal to {ge}",
        "{field}：应大于或等于 {ge}",
    ),
    "schema.le": (
        "{field}: Input should be less than or equal to {le}",
        "{field}：应小于或等于 {le}",
    ),
    "schema.gt": ("{field}: Input should be greater than {gt}", "{field}：应大于 {gt}"),
    "schema.lt": ("{field}: Input should be less than {lt}", "{field}：应小于 {lt}"),
    "schema.string-short": (
        "{field}: String should have at least {min_length} characters",
        "{field}：至少需要 {min_length} 个字符",
    ),
    "schema.string-long": (
        "{field}: String should have at most {max_length} characters",
        "{field}：最多 {max_length} 个字符",
    ),
    "schema.too-short": (
        "{field}: {field_type} should have at least {min_length} items after validation, "
        "not {actual_length}",
        "{field}：{field_type} 至少需要 {min_length} 项，实际为 {actual_length} 项",
    ),
    "schema.too-long": (
        "{field}: {field_type} should have at most {max_length} items after validation, "
        "not {actual_length}",
        "{field}：{field_type} 最多 {max_length} 项，实际为 {actual_length} 项",
    ),
    "schema.json": ("{field}: JSON decode error", "{field}：JSON 格式错误"),
    "schema.date": (
        "{field}: Input should be a valid date or datetime, {error}",
        "{field}：应为日期或日期时间，{error}",
    ),
    "schema.datetime": (
        "{field}: Input should be a valid datetime or date, {error}",
        "{field}：应为日期时间或日期，{error}",
    ),
    "schema.tag": (
        "{field}: Input tag {tag} found using {discriminator} does not match any of the expected "
        "tags: {expected_tags}",
        "{field}：按 {discriminator} 找到的类型 {tag} 不是以下之一：{expected_tags}",
    ),
    # -- plans (plans/model.py, ledger.py, capability.py, api.py) ---------------------------------
    "error.unknown-field": ("{field}: unknown field", "{field}：未知字段"),
    "error.required": ("{field}: required", "{field}：必填"),
    "error.number-too-large": ("{field}: the number is too large", "{field}：数字太大"),
    "error.at-least": (
        "{field}: must be at least {min}, got {value}",
        "{field}：不能小于 {min}，实际为 {value}",
    ),
    "error.at-most": (
        "{field}: must be at most {max}, got {value}",
        "{field}：不能大于 {max}，实际为 {value}",
    ),
    "plan.refused.plan": ("plan refused: {problems:msgs}", "套餐未被接受：{problems:msgs}"),
    "plan.refused.client-limit": (
        "client limit refused: {problems:msgs}",
        "设备限额未被接受：{problems:msgs}",
    ),
    "plan.iccid.digits": (
        "{value} is not an ICCID (18 to 20 digits)",
        "{value} 不是 ICCID（应为 18 到 20 位数字）",
    ),
    "plan.iccid.prefix": (
        "{iccid} does not start with 89 (the telecom prefix of every ICCID)",
        "{iccid} 不是以 89 开头（所有 ICCID 的电信前缀）",
    ),
    "plan.iccid.luhn": (
        "{iccid} has a wrong check digit (Luhn); is there a typo?",
        "{iccid} 的校验位（Luhn）不对；是否输错了？",
    ),
    "plan.iccid.unseen": (
        "{field}: {iccid} has not been seen on any SIM slot or eSIM profile of this modem; insert "
        "the SIM (or install the profile) first",
        "{field}：这台调制解调器的 SIM 卡槽和 eSIM 配置文件中都没有出现过 {iccid}；请先插入 SIM 卡"
        "（或安装配置文件）",
    ),
    "plan.iccid.taken": (
        "{field}: {iccid} already has a plan; edit it instead",
        "{field}：{iccid} 已有套餐；请修改现有套餐",
    ),
    "plan.iccid.fixed": (
        "{field}: a plan stays with its SIM; delete it and add a new one",
        "{field}：套餐与 SIM 卡绑定；请删除后重新添加",
    ),
    "plan.name.taken": (
        "{field}: a plan called {name} exists already",
        "{field}：已有名为 {name} 的套餐",
    ),
    "plan.name.printable": (
        "must be printable text without leading or trailing spaces",
        "必须是可打印文本，首尾不能有空格",
    ),
    "plan.time.no-offset": (
        "needs a time zone offset, e.g. 2026-12-31T23:59:00+01:00",
        "需要时区偏移，例如 2026-12-31T23:59:00+08:00",
    ),
    "plan.time.range": ("must be between {first} and {last}", "必须在 {first} 到 {last} 之间"),
    "plan.prepaid.order": (
        "expires must be after start",
        "到期时间（expires）必须晚于开始时间（start）",
    ),
    "plan.currency": (
        "{value} is not an ISO 4217 currency code (e.g. EUR, USD, GBP)",
        "{value} 不是 ISO 4217 货币代码（例如 CNY、EUR、USD）",
    ),
    "plan.timezone": (
        "{value} is not an IANA time zone (e.g. Europe/Berlin)",
        "{value} 不是 IANA 时区（例如 Asia/Shanghai）",
    ),
    "plan.mcc": (
        "{value} is not a mobile country code (3 digits, 200-799)",
        "{value} 不是移动国家代码（3 位数字，200-799）",
    ),
    "plan.throttle.needs-speed": (
        "action 'throttle' needs throttle_kbit (the speed at the limit)",
        "处理方式 'throttle' 需要 throttle_kbit（达到上限后的速度）",
    ),
    "plan.throttle.unused": (
        "throttle_kbit is only used with action 'throttle'",
        "throttle_kbit 只用于处理方式 'throttle'",
    ),
    "plan.mac": (
        "{value} is not a MAC address (aa:bb:cc:dd:ee:ff)",
        "{value} 不是 MAC 地址（例如 aa:bb:cc:dd:ee:ff）",
    ),
    "plan.history.mac": ("{field}: {value} is not a MAC address", "{field}：{value} 不是 MAC 地址"),
    "plan.size.type": (
        "must be a number of bytes or a size such as 5GB",
        "必须是字节数或流量大小，例如 5GB",
    ),
    "plan.size.whole": ("must be a whole number of bytes", "必须是整数字节"),
    "plan.size.length": (
        "must be a size such as 5GB, 500 MiB (1 to 40 characters)",
        "必须是流量大小，例如 5GB、500 MiB（1 到 40 个字符）",
    ),
    "plan.unknown": (
        "no plan {ref} (give its id, ICCID or name; see `simspot plan list`)",
        "没有套餐 {ref}（请给出编号、ICCID 或名称；见 `simspot plan list`）",
    ),
    "plan.no-cycle": (
        "plan {plan} has no current cycle (prepaid, expired or not started)",
        "套餐 {plan} 当前不在任何周期内（预付费、已过期或尚未开始）",
    ),
    "plan.correct.nothing": (
        "give used_bytes and/or tethering_used_bytes",
        "请给出 used_bytes 和/或 tethering_used_bytes",
    ),
    "plan.no-month": ("no calendar month", "没有日历月份"),
    "plan.no-store": ("the daemon's store is not open", "守护进程的数据库未打开"),
    # -- activation codes and QR images (esim/activation.py) ------------------------------------
    "esim.code.address-empty": ("the SM-DP+ address is empty", "SM-DP+ 地址为空"),
    "esim.code.address-url": (
        "the SM-DP+ address must be a host name such as smdp.example.com, not a URL ({address})",
        "SM-DP+ 地址必须是主机名（例如 smdp.example.com），不能是网址（{address}）",
    ),
    "esim.code.address-port": (
        "the SM-DP+ address has a bad port: {address}",
        "SM-DP+ 地址的端口无效：{address}",
    ),
    "esim.code.address-host": (
        "the SM-DP+ address is not a valid host name: {address}",
        "SM-DP+ 地址不是有效的主机名：{address}",
    ),
    "esim.code.empty": ("the activation code is empty", "激活码为空"),
    "esim.code.not-code": (
        "this is not an activation code: it should look like LPA:1$smdp.example.com$MATCHING-ID",
        "这不是激活码：激活码形如 LPA:1$smdp.example.com$MATCHING-ID",
    ),
    "esim.code.format": (
        "unsupported activation code format {format} (only format 1 exists, SGP.22 4.1)",
        "不支持的激活码格式 {format}（只有格式 1，见 SGP.22 4.1）",
    ),
    "esim.code.no-matching-id": (
        "the activation code has no matching ID field (expected 1$<SM-DP+ address>$<matching ID>)",
        "激活码缺少匹配 ID 字段（应为 1$<SM-DP+ 地址>$<匹配 ID>）",
    ),
    "esim.code.fields": (
        "the activation code has {fields} fields; at most 6 are allowed",
        "激活码有 {fields} 个字段；最多允许 6 个",
    ),
    "esim.code.matching-id-long": (
        "the matching ID is longer than {max} characters",
        "匹配 ID 超过 {max} 个字符",
    ),
    "esim.code.matching-id-chars": (
        "the matching ID may only contain letters, digits, '-', '_' and '.' (check for spaces or characters lost when copying)",
        "匹配 ID 只能包含字母、数字、'-'、'_' 和 '.'（请检查是否有空格或复制时丢失的字符）",
    ),
    "esim.code.oid": (
        "the SM-DP+ OID {oid} is not a dotted object identifier",
        "SM-DP+ OID {oid} 不是以点分隔的对象标识符",
    ),
    "esim.code.cc-flag": (
        "the confirmation-code-required flag must be 1 (or absent), not {value}",
        "“需要确认码”标志必须为 1（或省略），而不是 {value}",
    ),
    "esim.code.ci-pkid": (
        "the CI public key identifier must be hexadecimal",
        "CI 公钥标识符必须是十六进制",
    ),
    "esim.qr.unreadable": (
        "cannot read the QR image {path}: {problem}",
        "无法读取二维码图片 {path}：{problem}",
    ),
    "esim.qr.none": ("no QR code found in the image", "图片中没有找到二维码"),
    "esim.qr.format": (
        "unsupported image format: give a PNG (or PGM/PPM) image of the QR code",
        "不支持的图片格式：请提供二维码的 PNG（或 PGM/PPM）图片",
    ),
    "esim.qr.pnm-malformed": ("malformed PGM/PPM image", "PGM/PPM 图片格式错误"),
    "esim.qr.pnm-16bit": ("16-bit PGM/PPM images are not supported", "不支持 16 位 PGM/PPM 图片"),
    "esim.qr.pnm-truncated": ("truncated PGM/PPM image", "PGM/PPM 图片不完整"),
    "esim.qr.png-header": ("malformed PNG image (no header)", "PNG 图片格式错误（没有文件头）"),
    "esim.qr.png-interlaced": (
        "interlaced PNG images are not supported; save it without interlacing",
        "不支持隔行扫描的 PNG 图片；请以非隔行方式保存",
    ),
    "esim.qr.png-unsupported": ("unsupported PNG image", "不支持的 PNG 图片"),
    "esim.qr.png-data": ("malformed PNG image data", "PNG 图片数据错误"),
    "esim.qr.png-truncated": ("truncated PNG image", "PNG 图片不完整"),
    "esim.qr.png-filter": ("malformed PNG image (bad filter)", "PNG 图片格式错误（过滤器无效）"),
    "esim.qr.not-code": (
        "the QR code does not hold an eSIM activation code: {problem:msgs}",
        "二维码中不是 eSIM 激活码：{problem:msgs}",
    ),
    # -- the LPA (esim/errors.py, lpa.py) ---------------------------------------------------------
    "esim.confirmation-required": (
        "a confirmation code is required for this profile; ask the operator for it and pass it "
        "with --confirmation-code",
        "该配置文件需要确认码；请向运营商索取，并用 --confirmation-code 提供",
    ),
    "euicc.result": ("{command}: {sentence:msgs}", "{command}：{sentence:msgs}"),
    "euicc.undefined": ("the eUICC reported an undefined error", "eUICC 报告了未定义的错误"),
    "euicc.code": ("the eUICC answered error code {code}", "eUICC 返回错误码 {code}"),
    "euicc.install": (
        "{command}: the eUICC refused the profile at {step}: {problem:msgs}",
        "{command}：eUICC 在 {step} 步骤拒绝了该配置文件：{problem:msgs}",
    ),
    "install.code": ("installation error code {code}", "安装错误码 {code}"),
    "sgp22.generic": (
        "{function}: {subject:msgs} {reason:msgs} (subject {subject_code}, reason "
        "{reason_code}{extra})",
        "{function}：{subject:msgs} {reason:msgs}（主题 {subject_code}，原因 {reason_code}{extra}）",
    ),
    "sgp22.subject.unknown": ("the server (subject {code})", "服务器（主题 {code}）"),
    "sgp22.reason.unknown": ("failed (reason {code})", "失败（原因 {code}）"),
    # -- warnings of plans (plans/thresholds.py: the notification's text) ---------------------
    "plan.warning.threshold": (
        "{plan}: {percent}% of the {of:term} used ({used_bytes:bytes} of {allowance_bytes:bytes})",
        "套餐 {plan}：{of:term}已用 {percent}%（{used_bytes:bytes}，共 {allowance_bytes:bytes}）。",
    ),
    "plan.warning.limit.stop": (
        "{plan}: the allowance is used up; sharing is stopped until the cycle renews",
        "套餐 {plan}：流量已用完；共享已停止，直到周期重置。",
    ),
    "plan.warning.limit.throttle": (
        "{plan}: the allowance is used up; clients are slowed to {throttle_kbit} kbit/s",
        "套餐 {plan}：流量已用完；设备已限速到 {throttle_kbit} kbit/s。",
    ),
    "plan.warning.limit.switch": (
        "{plan}: the allowance is used up; switching to another uplink is advised",
        "套餐 {plan}：流量已用完；建议切换到其他上网 SIM。",
    ),
    "plan.warning.switch-uplink": (
        "{plan}: allowance used up, switch the uplink",
        "套餐 {plan}：流量已用完，请切换上网 SIM。",
    ),
    # -- the CLI's own sentences (cli/*.py, rendered by $LANG) ---------------------------------
    "cli.error": ("error:", "错误："),
    "cli.client.blocked": ("{mac} blocked", "已拉黑 {mac}"),
    "cli.client.unblocked": ("{mac} unblocked", "已解除拉黑 {mac}"),
    "cli.device.approved": ("{mac} approved", "已允许 {mac}"),
    "cli.device.unapproved": ("{mac} no longer approved", "已取消允许 {mac}"),
    "cli.devices.approval-on": (
        "approval on: new devices wait for approval; DHCP pool {used} of {size} addresses in use",
        "需要允许：新设备要等待允许；DHCP 地址已用 {used} / {size}",
    ),
    "cli.devices.approval-off": (
        "approval off; DHCP pool {used} of {size} addresses in use",
        "无需允许；DHCP 地址已用 {used} / {size}",
    ),
    "cli.devices.drops": (
        "dropped from the LAN: {spoofed_packets} spoofed, {unknown_packets} from unknown MACs, {learn_limited_packets} over the IPv6 learning rate (packets)",
        "局域网丢弃的数据包：伪造地址 {spoofed_packets} 个，来自未知 MAC {unknown_packets} 个，超过 IPv6 学习速率 {learn_limited_packets} 个",
    ),
    "cli.plan.deleted": ("deleted plan {id} ({name})", "已删除套餐 {id}（{name}）"),
    "cli.modem.none": ("modem: none found", "调制解调器：未找到"),
    "cli.sim.switched": ("slot {active} is now active", "现在使用卡槽 {active}"),
    "cli.sim.unlocked": ("SIM unlocked", "SIM 卡已解锁"),
    "cli.sim.still-locked": ("the SIM still needs {needs}", "SIM 卡仍需要 {needs}"),
    "cli.sms.none": ("no messages", "没有短信"),
    "cli.esim.no-profiles": ("no profiles on the eUICC", "eUICC 上没有配置文件"),
    "cli.esim.profile-state": ("profile {profile}: {state}", "配置文件 {profile}：{state}"),
    "cli.esim.notification-removed": ("removed notification {seq}", "已移除通知 {seq}"),
    "cli.esim.no-notifications": ("no pending notifications", "没有待发送的通知"),
    "cli.esim.no-events": (
        "no profiles are waiting for this eUICC",
        "没有等待此 eUICC 下载的配置文件",
    ),
    "cli.esim.reset-confirm": (
        "a memory reset deletes every profile; pass --yes-delete-all-profiles",
        "存储重置会删除所有配置文件；请加上 --yes-delete-all-profiles",
    ),
    "cli.esim.reset": ("the eUICC was reset", "eUICC 已重置"),
    "cli.esim.no-reader": ("no PC/SC reader found ({why})", "没有找到 PC/SC 读卡器（{why}）"),
    "cli.esim.no-reader-hint": (
        "no PC/SC reader found (is pcscd running and the reader plugged in?)",
        "没有找到 PC/SC 读卡器（pcscd 是否在运行、读卡器是否已插好？）",
    ),
    "cli.esim.no-modem-port": (
        "no QMI or MBIM modem control port found (/dev/cdc-wdm*, /dev/wwan*)",
        "没有找到 QMI 或 MBIM 调制解调器控制端口（/dev/cdc-wdm*、/dev/wwan*）",
    ),
    "cli.usage.nothing": ("nothing counted yet", "还没有流量记录"),
    "cli.usage.no-limits": ("no client limits", "没有设备限额"),
    "cli.backup.written": ("backup of {state} written to {file}", "{state} 的备份已写入 {file}"),
    "cli.backup.restored": ("restored {file} into {state}", "已将 {file} 恢复到 {state}"),
    "cli.backup.kept": ("the state it replaced is kept at {kept}", "被替换的状态保存在 {kept}"),
    "cli.wrote": ("wrote {path}", "已写入 {path}"),
    # -- more refusals: hotspot settings, eSIM service, PIN, login, CLI ----------------------
    "hotspot.channel": (
        "channel {channel} is not a {band} GHz channel ({low}-{high})",
        "信道 {channel} 不是 {band} GHz 信道（{low}-{high}）",
    ),
    "hotspot.nm-transition": (
        'security: NetworkManager cannot offer the WPA2/WPA3 transition mode; with backend = "networkmanager" choose security = "wpa2" or "wpa3"',
        'security：NetworkManager 不支持 WPA2/WPA3 过渡模式；backend = "networkmanager" 时请选择 security = "wpa2" 或 "wpa3"',
    ),
    "hotspot.open-passphrase": (
        'passphrase is set but security = "open" would not use it',
        '设置了密码，但 security = "open" 不会使用它',
    ),
    "hotspot.nm-address": (
        'nm_address is for backend = "networkmanager", not {backend} (the data plane puts dataplane.lan_address on the interface)',
        'nm_address 只用于 backend = "networkmanager"，不用于 {backend}（数据平面会把 dataplane.lan_address 设置到接口上）',
    ),
    "hotspot.mac-overlap": (
        "mac_deny repeats entries of mac_allow: {macs}",
        "mac_deny 与 mac_allow 有重复项：{macs}",
    ),
    "hotspot.band5-country": (
        "band 5 needs country (a two-letter code such as DE) for its rules",
        "5 GHz 频段需要设置国家（两个字母的代码，例如 CN）以适用当地规则",
    ),
    "hotspot.hex-key-wpa3": (
        "passphrase: a 64-hex-digit key works only with security wpa2 (WPA3's SAE needs a passphrase)",
        "passphrase：64 位十六进制密钥只能用于 security wpa2（WPA3 的 SAE 需要密码）",
    ),
    "guest.name-long": (
        "{field}: is {length} characters; at most {max}",
        "{field}：有 {length} 个字符；最多 {max} 个",
    ),
    "guest.needed": ("{field}: is needed", "{field}：必填"),
    "guest.bytes": ("{field}: must be 1 to {max} bytes", "{field}：必须在 1 到 {max} 字节之间"),
    "guest.rate": (
        "{field}: must be 8 to {max} kbit/s (or unset)",
        "{field}：必须在 8 到 {max} kbit/s 之间（或不设置）",
    ),
    "guest.until.type": ("{field}: must be a time", "{field}：必须是时间"),
    "guest.until.past": ("{field}: is in the past", "{field}：已经过去了"),
    "guest.until.far": ("{field}: is more than {days} days away", "{field}：超过 {days} 天之后"),
    "guest.period": ("{field}: must be one of {periods}", "{field}：必须是 {periods} 之一"),
    "guest.too-many": (
        "{field}: {max} passes are active; revoke one first",
        "{field}：已有 {max} 个有效通行证；请先撤销一个",
    ),
    "guest.key-taken": (
        "{field}: is already in use by another key (or has '|')",
        "{field}：已被其他密钥使用（或包含 '|'）",
    ),
    "guest.revoked": (
        "{field}: pass {id} was revoked; add a new one",
        "{field}：通行证 {id} 已撤销；请添加新的",
    ),
    "guest.extend.nothing": (
        "{field}: nothing to change (give until, topup or allowance)",
        "{field}：没有要修改的内容（请给出 until、topup 或 allowance）",
    ),
    "guest.ended.until": (
        "{field}: pass {id} has ended; give a new end time",
        "{field}：通行证 {id} 已到期；请给出新的结束时间",
    ),
    "guest.ended.qr": (
        "{field}: pass {id} has ended; its key no longer joins",
        "{field}：通行证 {id} 已到期；其密钥不能再加入网络",
    ),
    "guest.unknown": ("{field}: no guest pass {id}", "{field}：没有访客通行证 {id}"),
    "config.simulated-live": (
        "{key} = {value} is the built-in simulator, which runs only with `simspot serve "
        "--simulate` or `simspot demo`; on a real box choose one of: {choices}",
        "{key} = {value} 是内置模拟器，只能在 `simspot serve --simulate` 或 `simspot demo` 中运行；"
        "在真实设备上请选择：{choices}",
    ),
    "config.simulated-ap": (
        'hotspot.backend = "simulated": the simulated AP\'s clients exist only in the simulated '
        'data plane; with dataplane.backend = "nft" use hotspot.backend = "none" (wired sharing) '
        "or a real AP",
        'hotspot.backend = "simulated"：模拟接入点的设备只存在于模拟数据平面中；'
        'dataplane.backend = "nft" 时请使用 hotspot.backend = "none"（有线共享）或真实接入点',
    ),
    "config.no-simulator": (
        "the simulator is not running (start with --simulate)",
        "模拟器未运行（请用 --simulate 启动）",
    ),
    "state.private": (
        "cannot make the state directory {path} private: {problem}",
        "无法把状态目录 {path} 设为私有：{problem}",
    ),
    "state.open": (
        "cannot open state database {path}: {problem}",
        "无法打开状态数据库 {path}：{problem}",
    ),
    "state.newer": (
        "state database {path} has {namespace} schema version {version}, newer than this simspot "
        "knows ({known}): a newer simspot used it. Upgrade simspot again, or to roll back restore "
        "the backup made before the upgrade (simspot restore FILE); its tables were left as they "
        "are",
        "状态数据库 {path} 的 {namespace} 结构版本为 {version}，比此 simspot 所知的（{known}）更新："
        "它被更新版本的 simspot 使用过。请再次升级 simspot；若要回退，请恢复升级前的备份"
        "（simspot restore FILE）；数据库中的表保持原样",
    ),
    "state.migration": (
        "{namespace} migration {number} failed: {problem}",
        "{namespace} 迁移 {number} 失败：{problem}",
    ),
    "state.unreadable": ("cannot read {path}: {problem}", "无法读取 {path}：{problem}"),
    "hotspot.secret-damaged": (
        "{path} is damaged; delete it to get a new passphrase",
        "{path} 已损坏；删除它即可生成新密码",
    ),
    "hotspot.secret-unwritable": (
        "cannot keep the passphrase in {path}",
        "无法把密码保存到 {path}",
    ),
    "hotspot.nothing": ("{field}: nothing to change", "{field}：没有要修改的内容"),
    "error.needs-timezone": (
        "{field}: needs a time zone (e.g. 2026-12-02T23:00:00+08:00)",
        "{field}：需要时区（例如 2026-12-02T23:00:00+08:00）",
    ),
    "hotspot.not-runtime": (
        "{field}: cannot be changed at run time (edit the config file)",
        "{field}：运行时不能修改（请编辑配置文件）",
    ),
    "hotspot.rate": (
        "{field}: must be 8 to 10000000 kbit/s (or unset)",
        "{field}：必须在 8 到 10000000 kbit/s 之间（或不设置）",
    ),
    "esim.imei": ("an IMEI is 15 digits, not {value}", "IMEI 是 15 位数字，而不是 {value}"),
    "esim.tac": ("a TAC is 8 digits, not {value}", "TAC 是 8 位数字，而不是 {value}"),
    "esim.reset-confirm": (
        "eUICC memory reset deletes every profile; it needs an explicit confirmation",
        "eUICC 存储重置会删除所有配置文件；需要明确确认",
    ),
    "esim.package.unreadable": (
        "cannot read the kept package {path}: {problem}",
        "无法读取保存的配置包 {path}：{problem}",
    ),
    "esim.package.unwritable": (
        "cannot keep the downloaded package at {path}: {problem}",
        "无法把下载的配置包保存到 {path}：{problem}",
    ),
    "esim.oid-mismatch": (
        "the activation code is for the SM-DP+ with OID {wanted}, but this server's certificate names {names}",
        "激活码对应的 SM-DP+ OID 是 {wanted}，但该服务器证书中是 {names}",
    ),
    "esim.card-busy": (
        "the card is in use by {who}; wait for it to finish or stop it",
        "卡片正被 {who} 使用；请等待其完成或停止它",
    ),
    "esim.profile-ref": (
        "name a profile by its ICCID (digits) or its ISD-P AID (hex), not {value}",
        "请用 ICCID（数字）或 ISD-P AID（十六进制）指定配置文件，而不是 {value}",
    ),
    "esim.not-running": (
        "the eSIM service is not running (the card is not open yet)",
        "eSIM 服务未运行（卡片尚未打开）",
    ),
    "esim.package.nul": (
        "package: a file name has no NUL character",
        "package：文件名中不能有 NUL 字符",
    ),
    "esim.package.not-kept": (
        "only packages kept in {dir} can be retried through the daemon",
        "只有保存在 {dir} 中的配置包才能通过守护进程重试",
    ),
    "esim.no-card-configured": (
        'no eUICC is configured (esim.transport = "none"); set esim.transport to "pcsc" for a removable eUICC in a reader or "at" for a modem\'s eUICC',
        '没有配置 eUICC（esim.transport = "none"）；读卡器中的可插拔 eUICC 请把 esim.transport 设为 "pcsc"，调制解调器内的 eUICC 请设为 "at"',
    ),
    "esim.at-port": (
        'esim.at_port must name the modem\'s AT port for transport = "at"',
        'transport = "at" 时 esim.at_port 必须指定调制解调器的 AT 端口',
    ),
    "esim.nickname-long": (
        "a profile nickname is at most 64 bytes of UTF-8",
        "配置文件备注名最多 64 字节（UTF-8）",
    ),
    "esim.reset-confirm-card": (
        "eUICC memory reset deletes profiles; it needs an explicit confirmation",
        "eUICC 存储重置会删除配置文件；需要明确确认",
    ),
    "esim.reset-nothing": (
        "memory reset with nothing selected to reset",
        "存储重置没有选择任何要重置的内容",
    ),
    "esim.install.early-success": (
        "the eUICC reported success before the whole package was sent",
        "配置包尚未全部发送，eUICC 就报告了成功",
    ),
    "esim.install.no-result": (
        "the eUICC sent no ProfileInstallationResult after the last segment",
        "发送最后一段后 eUICC 没有返回 ProfileInstallationResult",
    ),
    "auth.throttled.address": (
        "too many failed logins from this address; try again in {seconds} s",
        "此地址登录失败次数过多；请 {seconds} 秒后再试",
    ),
    "auth.throttled": (
        "too many login attempts; try again in {seconds} s",
        "登录尝试过于频繁；请 {seconds} 秒后再试",
    ),
    "modem.none": (
        "no modem: ModemManager is not running or sees no modem",
        "没有调制解调器：ModemManager 未运行或没有检测到调制解调器",
    ),
    "modem.single-slot": (
        "this modem has a single SIM slot; there is nothing to switch",
        "该调制解调器只有一个 SIM 卡槽；无需切换",
    ),
    "modem.no-slot": (
        "no SIM slot {slot}; this modem has slots {slots}",
        "没有 SIM 卡槽 {slot}；该调制解调器的卡槽为 {slots}",
    ),
    "modem.slot-empty": ("SIM slot {slot} is empty", "SIM 卡槽 {slot} 是空的"),
    "modem.no-interface": (
        "connected with APN {apn} but the bearer has no interface",
        "已用 APN {apn} 连接，但承载没有网络接口",
    ),
    "modem.puk": (
        "the SIM needs {lock}, which simspot does not enter; use the operator's PUK with another tool",
        "SIM 卡需要 {lock}，simspot 不会输入；请用其他工具输入运营商提供的 PUK",
    ),
    "modem.no-sim-to-unlock": (
        "the modem shows no SIM to unlock",
        "调制解调器上没有可解锁的 SIM 卡",
    ),
    "modem.pin-rejected": (
        "the SIM rejected the PIN; {left} attempt(s) left for {lock}",
        "SIM 卡拒绝了 PIN；{lock} 还剩 {left} 次尝试机会",
    ),
    "qr.open-password-id": (
        "{field}: an open network has no password identifier",
        "{field}：开放网络没有密码标识",
    ),
    "qr.needs-passphrase": (
        "{field}: is needed for a {security} QR code",
        "{field}：{security} 二维码需要密码",
    ),
    "qr.not-wifi": (
        "{field}: not a Wi-Fi QR payload (it must start with WIFI:)",
        "{field}：不是 Wi-Fi 二维码内容（必须以 WIFI: 开头）",
    ),
    "qr.field": ("{field}: field without ':' in {text}", "{field}：{text} 中有缺少 ':' 的字段"),
    "es9.no-header": ("{function}: the answer has no header", "{function}：响应没有 header"),
    "es9.no-status": (
        "{function}: the answer has no functionExecutionStatus",
        "{function}：响应没有 functionExecutionStatus",
    ),
    "es9.lacks": ("{function}: the answer lacks {name}", "{function}：响应缺少 {name}"),
    "es9.no-transaction": (
        "{function}: the answer lacks transactionId",
        "{function}：响应缺少 transactionId",
    ),
    "es9.transaction-size": (
        "{function}: transactionId must be 1-16 bytes",
        "{function}：transactionId 必须为 1-16 字节",
    ),
    "es9.other-transaction": (
        "{function}: the SM-DP+ answered for another transaction",
        "{function}：SM-DP+ 回应的是另一个交易",
    ),
    "es9.events-not-list": (
        "{function}: eventEntries is not a list",
        "{function}：eventEntries 不是列表",
    ),
    "es9.ci-unreadable": (
        "cannot read the CI certificate {path}: {problem}",
        "无法读取 CI 证书 {path}：{problem}",
    ),
    "es9.ci-invalid": (
        "{path} is not a CI certificate with a subjectKeyIdentifier: {problem}",
        "{path} 不是带 subjectKeyIdentifier 的 CI 证书：{problem}",
    ),
    "es9.ca-unreadable": (
        "cannot load the trusted CA file {path}: {problem}",
        "无法加载受信任的 CA 文件 {path}：{problem}",
    ),
    "es9.not-base64": (
        "{function}: {name} is not valid base64",
        "{function}：{name} 不是有效的 base64",
    ),
    "es9.transaction-hex": (
        "{function}: transactionId is not hexadecimal",
        "{function}：transactionId 不是十六进制",
    ),
    "es9.event-not-object": (
        "{function}: an event entry is not an object",
        "{function}：事件条目不是对象",
    ),
    "es9.event-fields": (
        "{function}: an event entry lacks eventId or rspServerAddress",
        "{function}：事件条目缺少 eventId 或 rspServerAddress",
    ),
    "lpa.signed2-transaction": (
        "smdpSigned2 names another transaction",
        "smdpSigned2 指向另一个交易",
    ),
    "lpa.signed1-transaction": (
        "initiateAuthentication: serverSigned1 names another transaction",
        "initiateAuthentication：serverSigned1 指向另一个交易",
    ),
    "lpa.challenge": (
        "initiateAuthentication: the server signed a different eUICC challenge",
        "initiateAuthentication：服务器签名的是另一个 eUICC 挑战",
    ),
    "lpa.server-address": (
        "initiateAuthentication: the server calls itself {named}, not {address}",
        "initiateAuthentication：服务器自称 {named}，而不是 {address}",
    ),
    "lpa.no-oid": (
        "initiateAuthentication: the SM-DP+ certificate has no usable OID ({problem})",
        "initiateAuthentication：SM-DP+ 证书中没有可用的 OID（{problem}）",
    ),
    "esim.lock.open": (
        "cannot open the card lock {path}: {problem}",
        "无法打开卡片锁 {path}：{problem}",
    ),
    "esim.lock.lock": ("cannot lock {path}: {problem}", "无法锁定 {path}：{problem}"),
    "plan.db.open": (
        "cannot open the plans database {path}: {problem}",
        "无法打开套餐数据库 {path}：{problem}",
    ),
    "plan.db.failed": ("plans database: {problem}", "套餐数据库：{problem}"),
    "auth.setup": (
        "cannot set up credentials in {path}: {problem}",
        "无法在 {path} 中设置登录凭据：{problem}",
    ),
    "pcsc.not-installed": (
        "PC/SC support is not installed (pip install 'simspot[pcsc]', Debian: pcscd)",
        "未安装 PC/SC 支持（pip install 'simspot[pcsc]'，Debian：pcscd）",
    ),
    "pcsc.not-connected": ("the PC/SC transport is not connected", "PC/SC 传输未连接"),
    "pcsc.no-reader": (
        "no PC/SC reader found: is pcscd running and the reader plugged in?",
        "没有找到 PC/SC 读卡器：pcscd 是否在运行、读卡器是否已插好？",
    ),
    "pcsc.no-card-any": (
        "no card in any reader ({readers})",
        "所有读卡器中都没有卡片（{readers}）",
    ),
    "pcsc.no-reader-number": (
        "no reader number {index}; readers are {readers}",
        "没有编号为 {index} 的读卡器；读卡器有：{readers}",
    ),
    "pcsc.none-match": (
        "no reader matches {spec}; readers are {readers}",
        "没有读卡器匹配 {spec}；读卡器有：{readers}",
    ),
    "pcsc.several-match": (
        "several readers match {spec}; readers are {readers}",
        "有多个读卡器匹配 {spec}；读卡器有：{readers}",
    ),
    "pcsc.no-card": ("no card in reader {reader}", "读卡器 {reader} 中没有卡片"),
    "pin.retries-unknown": (
        "the modem does not report how many PIN attempts are left; not trying, so the SIM cannot end up PUK-locked (enter the PIN with another tool, or allow unknown retries)",
        "调制解调器没有报告剩余的 PIN 尝试次数；为避免 SIM 卡被 PUK 锁定，不进行尝试（请用其他工具输入 PIN，或允许未知的剩余次数）",
    ),
    "pin.too-few.attempt": (
        "only {retries} PIN attempt left; simspot does not spend the last one(s), since a wrong PIN would lock the SIM until its PUK is entered",
        "只剩 {retries} 次 PIN 尝试机会；simspot 不会用掉最后的机会，因为输错 PIN 会锁定 SIM 卡，直到输入 PUK",
    ),
    "pin.too-few.attempts": (
        "only {retries} PIN attempts left; simspot does not spend the last one(s), since a wrong PIN would lock the SIM until its PUK is entered",
        "只剩 {retries} 次 PIN 尝试机会；simspot 不会用掉最后的机会，因为输错 PIN 会锁定 SIM 卡，直到输入 PUK",
    ),
    "pin.format": ("a SIM PIN is 4 to 8 digits", "SIM 卡 PIN 码为 4 到 8 位数字"),
    "auth.wrong-password": ("wrong password", "密码错误"),
    "cli.token.root": (
        "cannot read {path}: the CLI token is root-only; run as root",
        "无法读取 {path}：CLI 令牌只有 root 可读；请以 root 身份运行",
    ),
    "cli.token.unreadable": (
        "cannot read the CLI token {path}: {problem}",
        "无法读取 CLI 令牌 {path}：{problem}",
    ),
    "cli.daemon.not-running": (
        "no simspot daemon is running for {state_dir} (start one with `simspot serve`, or try `simspot demo`)",
        "{state_dir} 没有正在运行的 simspot 守护进程（用 `simspot serve` 启动，或试试 `simspot demo`）",
    ),
    "cli.daemon.no-answer": (
        "the simspot daemon at {url} does not answer",
        "{url} 上的 simspot 守护进程没有响应",
    ),
    "cli.daemon.failed": (
        "talking to the daemon at {url} failed: {problem}",
        "与 {url} 上的守护进程通信失败：{problem}",
    ),
    "cli.esim.one-source": (
        "give exactly one of: an activation code, --qr FILE, --smdp ADDRESS or --retry-package FILE",
        "请只给出以下之一：激活码、--qr 文件、--smdp 地址或 --retry-package 文件",
    ),
    "cli.esim.delete-confirm": (
        "deleting a profile cannot be undone; pass --yes",
        "删除配置文件后无法恢复；请加上 --yes",
    ),
    "cli.esim.process-or-remove": (
        "use --process or --remove, not both",
        "请使用 --process 或 --remove，不能同时使用",
    ),
    "cli.hotspot.nothing": (
        "nothing to change (see simspot hotspot set --help)",
        "没有要修改的内容（见 simspot hotspot set --help）",
    ),
    "cli.cannot-write": ("cannot write {path}: {problem}", "无法写入 {path}：{problem}"),
    "cli.demo.stopped": ("demo stopped", "演示已停止"),
    "cli.not-sharing": ("not sharing: {why}", "未共享：{why}"),
    "cli.guest.empty": ("{field}: is empty", "{field}：为空"),
    "cli.guest.duration": ("{field}: a duration must be more than 0", "{field}：时长必须大于 0"),
    "cli.guest.time-of-day": (
        "{field}: {value} is not a time of day",
        "{field}：{value} 不是一天中的时间",
    ),
    "cli.guest.time": (
        "{field}: {value} is not a time (When the pass ends: 23:00 (today, or tomorrow once "
        "past), tonight (23:00), 2h, 90m, 3d, weekend (Sunday 23:59), or 2026-12-24T18:00 (local "
        "time unless a zone is given).)",
        "{field}：{value} 不是时间（通行证何时结束：23:00（今天，已过则为明天）、tonight（23:00）、"
        "2h、90m、3d、weekend（周日 23:59）或 2026-12-24T18:00（未给时区则为本地时间）。）",
    ),
    "cli.guest.nothing": (
        "nothing to extend: give --until, --topup, --allowance or --cap",
        "没有要延长的内容：请给出 --until、--topup、--allowance 或 --cap",
    ),
    "cli.plan.one-cycle": (
        "give only one of --monthly-day, --every-days and --expires",
        "--monthly-day、--every-days 和 --expires 只能给出一个",
    ),
    "cli.plan.needs-start": (
        "--every-days needs --start (the first day of a cycle)",
        "--every-days 需要 --start（周期的第一天）",
    ),
    "cli.plan.price": (
        "a price needs both --price and --currency",
        "价格需要同时给出 --price 和 --currency",
    ),
    # -- talking to an SM-DP+ or SM-DS (esim/es9.py); backups (backup.py) ----------------------
    "es9.redirect": (
        "{function}: the {peer} at {address} answered with a redirect (HTTP {status} to {location}); redirects are not followed",
        "{function}：{address} 上的 {peer} 返回了重定向（HTTP {status} 到 {location}）；不会跟随重定向",
    ),
    "es9.too-large": (
        "{function}: the {peer}'s answer is larger than {max} bytes",
        "{function}：{peer} 的响应超过 {max} 字节",
    ),
    "es9.timeout": (
        "{function}: the {peer} at {address} did not answer within {seconds} s",
        "{function}：{address} 上的 {peer} 在 {seconds} 秒内没有响应",
    ),
    "es9.dropped": (
        "{function}: the connection to the {peer} at {address} was dropped ({problem})",
        "{function}：与 {address} 上的 {peer} 的连接中断（{problem}）",
    ),
    "es9.http-failure": (
        "{function}: HTTP failure talking to {address}: {problem}",
        "{function}：与 {address} 通信时 HTTP 出错：{problem}",
    ),
    "es9.http-status": (
        "{function}: the {peer} at {address} answered HTTP {status}",
        "{function}：{address} 上的 {peer} 返回 HTTP {status}",
    ),
    "es9.not-json": (
        "{function}: the {peer}'s answer is not JSON",
        "{function}：{peer} 的响应不是 JSON",
    ),
    "es9.not-object": (
        "{function}: the {peer}'s answer is not a JSON object",
        "{function}：{peer} 的响应不是 JSON 对象",
    ),
    "es9.ci-unlisted": (
        "{function}: the {peer} at {address} proves itself with a certificate of the CI '{ci}' (key id {key_id}), which this eUICC does not list in euiccCiPKIdListForVerification; the card could not verify this server, so simspot refuses it",
        "{function}：{address} 上的 {peer} 使用 CI“{ci}”（密钥 ID {key_id}）签发的证书，而该 eUICC 的 euiccCiPKIdListForVerification 中没有这个 CI；卡片无法验证该服务器，因此 simspot 拒绝连接",
    ),
    "es9.untrusted": (
        "{function}: the {peer} certificate of {address} is not trusted ({problem}); simspot trusts only the GSMA CI certificates and the CA files listed in esim.extra_ca_files",
        "{function}：{address} 的 {peer} 证书不受信任（{problem}）；simspot 只信任 GSMA CI 证书和 esim.extra_ca_files 中列出的 CA 文件",
    ),
    "es9.tls-failed": (
        "{function}: TLS with {address} failed: {problem}",
        "{function}：与 {address} 的 TLS 连接失败：{problem}",
    ),
    "es9.untrusted-short": (
        "{function}: the {peer} certificate of {address} is not trusted ({problem})",
        "{function}：{address} 的 {peer} 证书不受信任（{problem}）",
    ),
    "es9.connect": (
        "{function}: cannot connect to the {peer} at {address}: {problem}",
        "{function}：无法连接 {address} 上的 {peer}：{problem}",
    ),
    "backup.no-state": (
        "{state_dir} holds no simspot state ({db} is missing)",
        "{state_dir} 中没有 simspot 状态（缺少 {db}）",
    ),
    "backup.copy": (
        "cannot copy the database {path}: {problem}",
        "无法复制数据库 {path}：{problem}",
    ),
    "backup.daemon-running": (
        "a simspot daemon (pid {pid}) uses {state_dir}: stop it first",
        "simspot 守护进程（pid {pid}）正在使用 {state_dir}：请先停止它",
    ),
    "backup.not-empty": (
        "{state_dir} is not empty: give --force to replace it (it is kept)",
        "{state_dir} 不是空的：加上 --force 才会替换（原内容会保留）",
    ),
    "backup.not-backup": (
        "{archive} is not a simspot backup: {problem}",
        "{archive} 不是 simspot 备份：{problem}",
    ),
    "backup.incomplete": (
        "{archive} is not a simspot backup (no {manifest} or {db})",
        "{archive} 不是 simspot 备份（没有 {manifest} 或 {db}）",
    ),
    "backup.member": ("{archive}: refusing the member {member}", "{archive}：拒绝其中的 {member}"),
    "backup.format": ("{archive}: unknown backup format", "{archive}：未知的备份格式"),
    "backup.missing": ("{name} is missing from the backup", "备份中缺少 {name}"),
    "backup.damaged": (
        "the backup's database is damaged: {problem}",
        "备份中的数据库已损坏：{problem}",
    ),
    # -- why sharing is held (daemon/runtime.py SharingSwitch.hold's callers) -----------------------
    "sharing.why.no-tethering": (
        "plan {plan} does not allow tethering",
        "套餐 {plan} 不允许共享网络",
    ),
    "sharing.why.expired": (
        "the allowance of plan {plan} has expired",
        "套餐 {plan} 的流量已过期",
    ),
    "sharing.why.used-up": (
        "the allowance of plan {plan} is used up",
        "套餐 {plan} 的流量已用完",
    ),
    "sharing.why.battery": (
        "battery at {percent}%, below {stop_percent}% and not charging",
        "电池电量 {percent}%，低于 {stop_percent}% 且未在充电",
    ),
    "sharing.why.idle": (
        "no clients for {minutes} minutes",
        "已有 {minutes} 分钟没有设备连接",
    ),
    "sharing.why.user": (
        "turned off with simspot hotspot down",
        "已通过 simspot hotspot down 关闭",
    ),
    "sharing.held-off": ("held off by {held:msglist}", "共享已暂停：{held:msglist}"),
    "sharing.held-by": ("{reason:lang} ({why:said})", "{reason:lang}（{why:said}）"),
    "notify.http-status": (
        "the server answered HTTP {status}",
        "服务器返回 HTTP {status}",
    ),
    # -- notifications (plans/notify.py, ntfy titles) ------------------------------------------------
    "notify.title.threshold": (
        "simspot: {plan} at {percent}%",
        "simspot：套餐 {plan} 已用 {percent}%",
    ),
    "notify.title.limit": ("simspot: {plan} used up", "simspot：套餐 {plan} 已用完"),
    "notify.title.switch": (
        "simspot: {plan}: switch uplink",
        "simspot：套餐 {plan}：请切换上网 SIM",
    ),
    # -- words used inside other sentences ------------------------------------------------------------
    "term.allowance": ("allowance", "流量"),
    "term.tethering": ("tethering allowance", "热点共享流量"),
    "term.usage": ("usage", "用量"),  # the fleet outbox's channels
    "term.events": ("event", "事件"),
    "term.uplink": ("uplink decision", "上网链路决策"),
    "term.result": ("command result", "命令结果"),
    "term.live": ("live", "实机"),  # the daemon's mode
    "term.demo": ("demo", "演示"),
    "term.day": ("day", "每天"),  # a guest pass's allowance period
    "term.cycle": ("cycle", "每个计费周期"),
    "term.total": ("total", "总计"),
    "term.hot": ("hot", "热切换"),  # how the uplink was switched
    "term.slot": ("slot", "切换卡槽"),
    "term.profile": ("profile", "启用配置文件"),
    "term.join": ("join", "加入网络"),
    "term.none": ("none", "无"),
    "term.pin": ("pin", "手动指定"),  # the uplink policy's rules (what decided)
    "term.keep": ("keep", "保持不变"),
    "term.usable-plan": ("usable-plan", "套餐可用"),
    "term.present": ("present", "可用"),
    "term.healthy": ("healthy", "连接正常"),
    "term.signal-floor": ("signal-floor", "信号下限"),
    "term.prefer-wired": ("prefer-wired", "优先有线"),
    "term.avoid-roaming": ("avoid-roaming", "避免漫游"),
    "term.cheapest": ("cheapest", "最便宜"),
    "term.preferred": ("preferred", "首选"),
    "term.battery": ("low battery", "电量低"),
    "term.idle": ("idle, no clients", "长时间无设备连接"),
    "term.plan": ("the plan's limit", "套餐限制"),
    "term.user": ("turned off by you", "已被你关闭"),
    "term.stop": ("stop", "停止"),
    "term.throttle": ("slow down", "限速"),
    "term.switch": ("switch the uplink", "切换上网 SIM"),
    "term.unknown": ("unknown", "未知"),
    "term.allowance used up": ("allowance used up", "流量已用完"),  # plan.switch-uplink's reason
    # the stages of an eSIM download (esim/lpa.py Progress.stage)
    "term.authenticating": ("authenticating", "正在认证"),
    "term.downloading": ("downloading", "正在下载"),
    "term.installing": ("installing", "正在安装"),
    "term.notifying": ("notifying", "正在发送通知"),
    "term.done": ("done", "完成"),
    "reg.home": ("home network", "本地网络"),
    "reg.roaming": ("roaming", "漫游"),
    "reg.searching": ("searching", "正在搜索"),
    "reg.idle": ("not registered", "未注册"),
    "reg.denied": ("denied", "被拒绝"),
    "reg.unknown": ("unknown", "未知"),
    "term.yes": ("yes", "是"),
    "term.no": ("no", "否"),
    # -- events (daemon/events.py: one sentence per kind) --------------------------------------------
    "event.battery.low": (
        "Battery low: {percent} % (warning at {warn_percent} %).",
        "电量低：{percent}%（低于 {warn_percent}% 时提醒）。",
    ),
    "event.client.joined": ("{mac:mac} joined the hotspot.", "{mac:mac} 加入了热点。"),
    "event.client.left": ("{mac:mac} left the hotspot.", "{mac:mac} 离开了热点。"),
    "event.component.failed": (
        "{component} failed: {error:said}; restarting in {restart_in_s} s.",
        "{component} 出错：{error:said}；{restart_in_s} 秒后重启。",
    ),
    "event.daemon.started": (
        "simspot {version} started ({mode:term}).",
        "simspot {version} 已启动（{mode:term}）。",
    ),
    "event.dataplane.address-conflict": (
        "{claimant:mac} tried to use {address}, which belongs to {owner:mac}; the owner keeps it.",
        "{claimant:mac} 试图使用属于 {owner:mac} 的地址 {address}；地址仍归原设备。",
    ),
    "event.demo.scenario": (
        "Demo scenario {scenario}: {say:lang}",
        "演示场景 {scenario}：{say:lang}",
    ),
    "event.demo.seeded": (
        "Demo data is ready: {plans} plans.",
        "演示数据已就绪：{plans} 个套餐。",
    ),
    "event.device.approved": ("{mac:mac} was approved.", "已批准 {mac:mac}。"),
    "event.device.new": (
        "A device never seen before joined: {mac:mac} ({vendor}).",
        "新设备加入：{mac:mac}（{vendor}）。",
    ),
    "event.device.unapproved": ("{mac:mac} is no longer approved.", "已取消批准 {mac:mac}。"),
    "event.esim.download.failed": (
        "Downloading an eSIM profile from {smdp_address} failed: {error:said}",
        "从 {smdp_address} 下载 eSIM 配置文件失败：{error:said}",
    ),
    "event.esim.download.progress": (
        "eSIM download: {stage:term} ({done}/{total}).",
        "eSIM 下载：{stage:term}（{done}/{total}）。",
    ),
    "event.esim.profile.deleted": (
        "eSIM profile {profile} was deleted.",
        "已删除 eSIM 配置文件 {profile}。",
    ),
    "event.esim.profile.disabled": (
        "eSIM profile {profile} was disabled.",
        "已停用 eSIM 配置文件 {profile}。",
    ),
    "event.esim.profile.enabled": (
        "eSIM profile {profile} was enabled.",
        "已启用 eSIM 配置文件 {profile}。",
    ),
    "event.esim.profile.installed": (
        "eSIM profile {name} ({iccid}) was installed.",
        "已安装 eSIM 配置文件 {name}（{iccid}）。",
    ),
    "event.esim.ready": ("The eSIM is ready ({transport}).", "eSIM 已就绪（{transport}）。"),
    "event.esim.reset": ("The eSIM's memory was reset.", "eSIM 存储已重置。"),
    "guest.refusal.no-keys": (
        "guest passes need an access point that gives each guest its own key and names the key a "
        "device joined with (the hostapd backend); {backend} has no per-device keys, so a pass "
        "could not be told apart from the main password",
        "访客通行证需要能给每位访客单独密钥、并能说出设备用哪个密钥加入的接入点（hostapd 后端）；"
        "{backend} 没有按设备区分的密钥，无法把通行证和主密码区分开",
    ),
    "guest.refusal.wpa3-only": (
        "guest passes need WPA2 (security wpa2 or wpa2-wpa3): on a WPA3-only network hostapd "
        "cannot name the key a device used, so a guest could not be counted under the pass",
        "访客通行证需要 WPA2（加密方式 wpa2 或 wpa2-wpa3）：在仅 WPA3 的网络上 hostapd "
        "无法说出设备使用的密钥，访客的流量无法计入其通行证",
    ),
    "guest.refusal.open": (
        "guest passes need a WPA2 network: an open network has no keys",
        "访客通行证需要 WPA2 网络：开放网络没有密钥",
    ),
    "guest.clients-note": (
        "Guest keys are WPA2 keys. On a wpa2-wpa3 network a phone that prefers WPA3 (most do) is "
        "refused with the guest key until it is set to WPA2 for this network; WPA2-only devices "
        "join as they are.",
        "访客密钥是 WPA2 密钥。在 wpa2-wpa3 网络上，优先使用 WPA3 的手机（大多数如此）用访客密钥"
        "会被拒绝，需在该网络上改用 WPA2；只支持 WPA2 的设备可直接加入。",
    ),
    "error.guests.refused": ("{field}: {reason:lang}", "{field}：{reason:lang}"),
    "event.guest.added": (
        "Guest pass {name} ({id}) was added: {allowance_bytes:bytes} ({period:term}), until "
        "{until:when}.",
        "已添加访客通行证 {name}（{id}）：{allowance_bytes:bytes}（{period:term}），有效至 "
        "{until:when}。",
    ),
    "event.guest.depleted": (
        "Guest pass {name} ({id}) has used its allowance.",
        "访客通行证 {name}（{id}）的流量已用完。",
    ),
    "event.guest.device": (
        "{mac:mac} joined with guest pass {name} ({id}) and is counted under it.",
        "{mac:mac} 使用访客通行证 {name}（{id}）加入，按该通行证计量。",
    ),
    "event.guest.expired": (
        "Guest pass {name} ({id}) has ended.",
        "访客通行证 {name}（{id}）已到期。",
    ),
    "event.guest.extended": (
        "Guest pass {name} ({id}) now lasts until {until:when} with {allowance_bytes:bytes}.",
        "访客通行证 {name}（{id}）现有效至 {until:when}，流量 {allowance_bytes:bytes}。",
    ),
    "event.guest.renewed": (
        "Guest pass {name} ({id}) starts a new period with its whole allowance.",
        "访客通行证 {name}（{id}）进入新周期，流量已重置。",
    ),
    "event.guest.revoked": (
        "Guest pass {name} ({id}) was revoked; its devices were disconnected.",
        "访客通行证 {name}（{id}）已撤销，其设备已断开。",
    ),
    "event.hotspot.client-rule": (
        "Rules for {mac:mac} changed: blocked {blocked:term}, speed cap down "
        "{rate_down_kbit:kbit}, up {rate_up_kbit:kbit}.",
        "{mac:mac} 的规则已更改：拉黑 {blocked:term}，限速 下载 {rate_down_kbit:kbit}、"
        "上传 {rate_up_kbit:kbit}。",
    ),
    "event.hotspot.down": (
        "The hotspot is off (held by: {held_by:list}).",
        "热点已关闭（原因：{held_by:list}）。",
    ),
    "event.hotspot.settings": (
        "Hotspot settings changed: {changed:list}.",
        "热点设置已更改：{changed:list}。",
    ),
    "event.hotspot.station-connected": (
        "{mac:mac} connected to the Wi-Fi.",
        "{mac:mac} 已连接 Wi-Fi。",
    ),
    "event.hotspot.station-connected.guest": (
        "{mac:mac} joined the Wi-Fi with {guest}'s pass.",
        "{mac:mac} 使用 {guest} 的访客通行证连接了 Wi-Fi。",
    ),
    "event.hotspot.station-disconnected.guest": (
        "{mac:mac} ({guest}'s pass) left the Wi-Fi.",
        "{mac:mac}（{guest} 的访客通行证）已断开 Wi-Fi。",
    ),
    "event.hotspot.station-disconnected": (
        "{mac:mac} disconnected from the Wi-Fi.",
        "{mac:mac} 已断开 Wi-Fi。",
    ),
    "event.hotspot.up": (
        "The hotspot {ssid} is on ({security}).",
        "热点 {ssid} 已开启（{security}）。",
    ),
    "event.modem.absent": ("No modem is present.", "没有检测到调制解调器。"),
    "event.modem.unavailable": (
        "No uplink from the modem: {why:lang}",
        "调制解调器无法上网：{why:lang}",
    ),
    # Why the modem cannot carry the uplink (status, doctor, the event above): one cause each.
    "dbus.unreachable": (
        "cannot connect to D-Bus at {where}: {error} (is D-Bus running? sudo systemctl start dbus)",
        "无法连接 D-Bus（{where}）：{error}（D-Bus 是否在运行？sudo systemctl start dbus）",
    ),
    "modem.why.no-bus": (
        "the system D-Bus cannot be reached (sudo systemctl start dbus)",
        "无法连接系统 D-Bus（sudo systemctl start dbus）",
    ),
    "modem.why.no-manager": (
        "ModemManager is not running (sudo systemctl start ModemManager)",
        "ModemManager 未运行（sudo systemctl start ModemManager）",
    ),
    "modem.why.no-modem": (
        "ModemManager runs but sees no modem (check the cable or HAT; mmcli -L lists modems)",
        "ModemManager 在运行，但没有发现调制解调器（请检查数据线或扩展板；mmcli -L 可列出调制解调器）",
    ),
    "modem.why.sim-locked": (
        "the SIM is locked ({lock}, attempts left: {retries}): simspot sim unlock --pin PIN",
        "SIM 卡已锁定（{lock}，剩余尝试次数：{retries}）：simspot sim unlock --pin PIN",
    ),
    "event.modem.added": ("A modem appeared ({path}).", "检测到调制解调器（{path}）。"),
    "event.modem.manager-started": ("ModemManager is running.", "ModemManager 已运行。"),
    "event.modem.manager-stopped": ("ModemManager stopped.", "ModemManager 已停止。"),
    "event.modem.present": ("The modem {id} is present.", "调制解调器 {id} 已就绪。"),
    "event.modem.registration": (
        "Network registration changed from {from:reg} to {to:reg} ({operator}).",
        "网络注册状态从 {from:reg} 变为 {to:reg}（{operator}）。",
    ),
    "event.modem.removed": ("A modem went away ({path}).", "调制解调器已移除（{path}）。"),
    "event.modem.uplink": ("The uplink SIM is now {iccid}.", "上网 SIM 已变为 {iccid}。"),
    "event.notify.failed": (
        "A notification to {to} failed: {error:said}",
        "发送通知到 {to} 失败：{error:said}",
    ),
    "event.plan.added": ("Plan {plan} was added.", "已添加套餐 {plan}。"),
    "event.plan.corrected": (
        "The usage of plan {id} was corrected to {used:bytes}.",
        "套餐 {id} 的用量已校正为 {used:bytes}。",
    ),
    "event.plan.deleted": ("Plan {plan} was deleted.", "已删除套餐 {plan}。"),
    "event.plan.edited": ("Plan {plan} was changed.", "已修改套餐 {plan}。"),
    "event.plan.limit": (
        "Plan {plan} reached its limit ({used_bytes:bytes} used); action: {action:term}.",
        "套餐 {plan} 已达上限（已用 {used_bytes:bytes}）；处理方式：{action:term}。",
    ),
    "event.plan.switch-uplink": (
        "Plan {plan} is used up: switch the uplink ({reason:term}).",
        "套餐 {plan} 已用完：请切换上网 SIM（{reason:term}）。",
    ),
    "event.plan.threshold": (
        "Plan {plan}: {percent} % of the {of:term} used ({used_bytes:bytes} of "
        "{allowance_bytes:bytes}).",
        "套餐 {plan}：{of:term}已用 {percent}%（{used_bytes:bytes}，共 {allowance_bytes:bytes}）。",
    ),
    "event.sharing.held": (
        "Sharing is held: {reason:term} ({why:said}).",
        "共享已暂停：{reason:term}（{why:said}）。",
    ),
    "event.sharing.released": (
        "Sharing is no longer held by {reason:term}.",
        "共享不再因{reason:term}而暂停。",
    ),
    "event.sim.pin-rejected": (
        "The SIM refused the PIN; attempts left: {retries}.",
        "SIM 卡拒绝了 PIN 码；剩余尝试次数：{retries}。",
    ),
    "event.sim.switched": ("Switched to SIM slot {slot}.", "已切换到 SIM 卡槽 {slot}。"),
    "event.sim.unlock-refused": (
        "The SIM was not unlocked automatically: {why:said}",
        "未自动解锁 SIM 卡：{why:said}",
    ),
    "event.sim.unlocked": ("The SIM was unlocked.", "SIM 卡已解锁。"),
    "event.sms.received": (
        "A text message arrived ({id}).",
        "收到一条短信（{id}）。",
    ),
    "event.uplink.connected": (
        "Connected to the mobile network on {interface} (APN {apn}).",
        "已通过 {interface} 连接移动网络（APN {apn}）。",
    ),
    "event.uplink.decided": (
        "The uplink policy chose {chosen:auto} ({rule:term}): {reason:lang}",
        "上网策略选择了 {chosen:auto}（{rule:term}）：{reason:lang}",
    ),
    "event.uplink.pinned": ("The uplink is set to {id:auto}.", "上网链路已设为 {id:auto}。"),
    "fleet.token.format": (
        "token: expected v1.<box>.<password>[.<ca-pin>] as printed by 'simspot fleet add-box'",
        "令牌：应为 'simspot fleet add-box' 输出的 v1.<box>.<password>[.<ca-pin>]",
    ),
    "fleet.token.box": (
        "token: the box id part is not a valid box id",
        "令牌：设备编号部分不是有效的设备编号",
    ),
    "fleet.token.password": ("token: the password part is malformed", "令牌：密码部分格式不对"),
    "fleet.token.pin": ("token: the CA pin part is malformed", "令牌：CA 指纹部分格式不对"),
    "fleet.token.password-format": (
        "password: use 16-128 letters, digits, '-' and '_'",
        "密码：请使用 16 到 128 个字母、数字、'-' 和 '_'",
    ),
    "fleet.token.pin-size": (
        "ca pin: a SHA-256 digest is 32 bytes",
        "CA 指纹：SHA-256 摘要为 32 字节",
    ),
    "fleet.broker.scheme": (
        "broker url: use mqtts://host[:port] (boxes talk to the broker over TLS only)",
        "服务器地址：请使用 mqtts://host[:port]（设备只通过 TLS 与服务器通信）",
    ),
    "fleet.broker.port": (
        "broker url: the port is not a number 1-65535",
        "服务器地址：端口不是 1 到 65535 之间的数字",
    ),
    "fleet.broker.form": (
        "broker url: expected mqtts://host[:port] without user, path or query",
        "服务器地址：应为 mqtts://host[:port]，不带用户名、路径或查询参数",
    ),
    "fleet.join.ca-none": ("--ca: the file holds no PEM certificate", "--ca：文件中没有 PEM 证书"),
    "fleet.join.ca-bad": ("--ca: the certificate is not valid PEM", "--ca：证书不是有效的 PEM"),
    "fleet.join.ca-needed": (
        "--ca: this token pins the broker's CA; give its certificate with --ca FILE",
        "--ca：此令牌锁定了服务器的 CA；请用 --ca FILE 提供它的证书",
    ),
    "fleet.join.ca-mismatch": (
        "--ca: the certificate does not match the CA pinned in the token (another broker's CA?)",
        "--ca：证书与令牌中锁定的 CA 不符（是另一个服务器的 CA？）",
    ),
    "fleet.join.ca-unreadable": (
        "--ca: cannot read {path}: {error}",
        "--ca：无法读取 {path}：{error}",
    ),
    "fleet.join.config-form": (
        "config: [{section}] is written in a form this command does not edit; change it by hand",
        "配置：[{section}] 的写法本命令无法修改；请手动修改",
    ),
    "fleet.join.config-unreadable": (
        "{path}: cannot read the config: {error}",
        "{path}：无法读取配置：{error}",
    ),
    "fleet.join.refused": (
        "fleet join: the broker refused the login ({reason}); nothing was written",
        "加入设备群：服务器拒绝了登录（{reason}）；未写入任何内容",
    ),
    "fleet.join.unreachable": (
        "fleet join: cannot reach {broker} ({error}); nothing was written",
        "加入设备群：无法连接 {broker}（{error}）；未写入任何内容",
    ),
    "fleet.join.no-answer": (
        "fleet join: no answer from {broker} within {seconds} s; nothing was written",
        "加入设备群：{broker} 在 {seconds} 秒内没有应答；未写入任何内容",
    ),
    "fleet.credentials.missing": (
        "fleet: no credentials file {path}; run `simspot fleet join URL TOKEN`",
        "设备群：没有凭据文件 {path}；请运行 `simspot fleet join URL TOKEN`",
    ),
    "fleet.credentials.unreadable": (
        "fleet: cannot read the credentials file {path}: {error}",
        "设备群：无法读取凭据文件 {path}：{error}",
    ),
    "fleet.credentials.no-password": (
        "fleet: the credentials file {path} has no password",
        "设备群：凭据文件 {path} 中没有密码",
    ),
    "fleet.credentials.other-box": (
        "fleet: the credentials file {path} is for box {found}, the config says {box}",
        "设备群：凭据文件 {path} 属于设备 {found}，而配置中是 {box}",
    ),
    "fleet.command.bad-arg": (
        "args.{name}: missing or not a valid {name}",
        "args.{name}：缺失或不是有效的 {name}",
    ),
    "fleet.command.unknown-arg": ("args.{name}: unknown field", "args.{name}：未知字段"),
    "fleet.command.unknown-action": (
        "action: {action} is not known on this box",
        "action：本机不认识 {action}",
    ),
    "fleet.command.no-api": (
        "this box's version does not have that command's API",
        "本机的版本没有该命令的接口",
    ),
    "fleet.command.http-status": ("the box answered {status}", "本机的应答为 {status}"),
    "fleet.command.not-allowed": (
        "this box does not take {action} from the fleet (its [fleet] allow_commands does not "
        "list it)",
        "本机不接受设备群的 {action} 命令（[fleet] allow_commands 中没有列出）",
    ),
    "fleet.command.expired": (
        "the command expired at {expires} before it reached the box",
        "命令在到达本机之前已于 {expires} 过期",
    ),
    "fleet.command.no-runner": ("this box runs no commands", "本机不执行命令"),
    "fleet.command.interrupted": (
        "the box stopped while this command ran; check its state and send it again",
        "命令执行期间本机停止了；请检查其状态后重新发送",
    ),
    "event.fleet.connected": (
        "Connected to the fleet's broker {broker}.",
        "已连接到设备群的服务器 {broker}。",
    ),
    "event.fleet.disconnected": (
        "Not connected to the fleet's broker ({reason}); what is not sent yet waits on this box.",
        "未连接到设备群的服务器（{reason}）；尚未发送的数据保存在本机。",
    ),
    "event.fleet.command": (
        "The fleet asked for {action} (command {id}); running it.",
        "设备群要求执行 {action}（命令 {id}）；正在执行。",
    ),
    "event.fleet.refused": (
        "The fleet server will never store {rows} {channel:term} rows from this box, so they were "
        "dropped here: {reason}",
        "设备群服务器不会保存本机的 {rows} 条{channel:term}记录，已在本机删除：{reason}",
    ),
    "event.fleet.command-refused": (
        "Refused the fleet's command {action} ({id}): {why:said}",
        "已拒绝设备群的命令 {action}（{id}）：{why:said}",
    ),
    "event.fleet.command-done": (
        "The fleet's command {action} ({id}) is done.",
        "设备群的命令 {action}（{id}）已完成。",
    ),
    "event.fleet.command-done.failed": (
        "The fleet's command {action} ({id}) failed: {error:said}",
        "设备群的命令 {action}（{id}）失败：{error:said}",
    ),
    "event.fleet.outbox-full": (
        "The fleet outbox is full ({channel:term}, {dropped} dropped): usage waits in the ledger, the "
        "oldest events are dropped until the broker can be reached.",
        "设备群发件箱已满（{channel:term}，丢弃 {dropped} 条）：用量保留在账本中，在能连上服务器之前"
        "最早的事件会被丢弃。",
    ),
    "event.uplink.rolled-back": (
        "Switching the uplink to {target} failed, back on {back_to:auto}: {why:said}",
        "切换上网链路到 {target} 失败，已恢复为 {back_to:auto}：{why:said}",
    ),
    "event.uplink.switched": (
        "The uplink switched from {previous:auto} to {to:auto} ({how:term}): {reason:lang}",
        "上网链路已从 {previous:auto} 切换到 {to:auto}（{how:term}）：{reason:lang}",
    ),
    "event.usage.quota-depleted": (
        "The data quota of {uplink} is used up; its traffic stops.",
        "{uplink} 的流量配额已用完，流量已停止。",
    ),
    "event.usage.reconciled": (
        "Counted {bytes:bytes} used while simspot was not running.",
        "已补记 simspot 未运行期间使用的 {bytes:bytes}。",
    ),
}

# SGP.22 5.2.6 status code pairs with a specific meaning: the English sentence is the one in
# esim/errors.py (SMDP_PAIRS, one home); the Chinese is here. A test holds the two tables together.
SGP22_ZH: dict[tuple[str, str], str] = {
    ("8.8.1", "3.8"): "SM-DP+ 地址对该服务器无效",
    ("8.8.2", "3.1"): "SM-DP+ 不支持该 eUICC 的任何安全配置",
    ("8.8.3", "3.1"): "SM-DP+ 不支持该 eUICC 的 SGP.22 版本",
    ("8.8.4", "3.7"): "SM-DP+ 没有该 eUICC 能验证的证书",
    ("8.1.2", "6.1"): "eUICC 制造商证书无效",
    ("8.1.2", "6.3"): "eUICC 制造商证书已过期",
    ("8.1.3", "6.1"): "eUICC 证书无效",
    ("8.1.3", "6.3"): "eUICC 证书已过期",
    ("8.1", "6.1"): "SM-DP+ 无法验证 eUICC 的签名",
    ("8.2.6", "3.8"): "SM-DP+ 不认识该激活码（匹配 ID 被拒绝）",
    ("8.2.6", "3.9"): "SM-DP+ 不认识该激活码（匹配 ID 未知）",
    ("8.1.1", "3.8"): "该配置文件是为另一个 eUICC 预留的（EID 不匹配）",
    ("8.2", "1.2"): "该配置文件尚未开放下载",
    ("8.2", "3.7"): "该配置文件已被下载过",
    ("8.2.5", "4.3"): "SM-DP+ 上没有适合该 eUICC 或设备的配置文件",
    ("8.8.5", "4.10"): "该激活码的使用次数已超过上限",
    ("8.8.5", "6.4"): "该配置文件已被下载过（激活码只能使用一次）",
    ("8.8", "3.10"): "SM-DP+ 不认识请求中它自己的标识",
    ("8.8.5", "4.8"): "下载订单已过期",
    ("8.11.1", "3.9"): "SM-DP+ 不认识该 eUICC 的任何证书颁发者",
    ("8.10.1", "3.9"): "SM-DP+ 不认识该会话（可能已过期）；请重新开始",
    ("8.2.7", "2.2"): "需要确认码",
    ("8.2.7", "3.8"): "确认码错误",
    ("8.2.7", "6.4"): "确认码错误次数过多；订单已锁定",
    ("8.9.1", "3.8"): "SM-DS 地址对该服务器无效",
    ("8.9.5", "3.9"): "SM-DS 上没有该 eUICC 的事件",
    ("8.1", "4.8"): "eUICC 存储空间已满",
    ("8.2.1", "3.9"): "SM-DP+ 不认识该 ICCID",
    ("8.2.1", "3.3"): "该配置文件已安装在 eUICC 上",
}


# The words of SGP.22 5.2.6 subject and reason codes (esim/errors.py _SUBJECTS, _REASONS), for the
# status pairs without a sentence of their own ("sgp22.generic").
SGP22_SUBJECTS_ZH: dict[str, str] = {
    "8.1": "该 eUICC",
    "8.1.1": "EID（eUICC 标识）",
    "8.1.2": "EUM 证书",
    "8.1.3": "eUICC 证书",
    "8.2": "配置文件",
    "8.2.1": "配置文件 ICCID",
    "8.2.5": "配置文件类型",
    "8.2.6": "匹配 ID",
    "8.2.7": "确认码",
    "8.8": "该 SM-DP+",
    "8.8.1": "SM-DP+ 地址",
    "8.8.2": "安全配置",
    "8.8.3": "规范版本",
    "8.8.4": "SM-DP+ 证书",
    "8.8.5": "下载订单",
    "8.9": "该 SM-DS",
    "8.9.1": "SM-DS 地址",
    "8.9.5": "事件记录",
    "8.10.1": "交易 ID",
    "8.11.1": "CI 公钥",
}
SGP22_REASONS_ZH: dict[str, str] = {
    "1.1": "调用方无权操作",
    "1.2": "不被允许",
    "1.3": "不受支持",
    "2.1": "无效",
    "2.2": "缺失",
    "2.3": "缺失",
    "3.1": "不受支持",
    "3.3": "已存在",
    "3.4": "已被使用",
    "3.7": "不可用",
    "3.8": "被拒绝",
    "3.9": "未知",
    "4.2": "所处状态不允许此操作",
    "4.3": "没有符合条件的匹配",
    "4.8": "空间或时间已用尽",
    "4.10": "超过尝试次数",
    "5.1": "超时",
    "6.1": "验证失败",
    "6.3": "已过期",
    "6.4": "超过尝试次数",
    "8.1": "因未知原因失败",
}

# ES10 result codes (esim/errors.py _EUICC_RESULTS): command -> code -> Chinese.
EUICC_RESULTS_ZH: dict[str, dict[int, str]] = {
    "AuthenticateServer": {
        1: "eUICC 不接受 SM-DP+ 的证书",
        2: "eUICC 无法验证 SM-DP+ 的签名",
        3: "eUICC 不支持 SM-DP+ 使用的曲线",
        4: "eUICC 上没有这次下载的会话",
        5: "SM-DP+ 证书带有 eUICC 拒绝的 OID",
        6: "SM-DP+ 回应的是另一个 eUICC 挑战",
        7: "eUICC 不认识 SM-DP+ 的证书颁发者",
    },
    "PrepareDownload": {
        1: "eUICC 不接受 SM-DP+ 的证书",
        2: "eUICC 无法验证 SM-DP+ 的签名",
        3: "eUICC 不支持 SM-DP+ 使用的曲线",
        4: "eUICC 上没有这次下载的会话",
        5: "交易 ID 与会话不符",
    },
    "EnableProfile": {
        1: "没有该 ICCID 或 AID 的配置文件",
        2: "该配置文件已经启用",
        3: "配置文件的策略规则禁止此操作",
        4: "该配置文件现在不能重新启用",
        5: "卡片忙（CAT busy）；请重试",
    },
    "DisableProfile": {
        1: "没有该 ICCID 或 AID 的配置文件",
        2: "该配置文件未启用",
        3: "配置文件的策略规则禁止此操作",
        5: "卡片忙（CAT busy）；请重试",
    },
    "DeleteProfile": {
        1: "没有该 ICCID 或 AID 的配置文件",
        2: "该配置文件已启用；请先停用",
        3: "配置文件的策略规则禁止此操作",
    },
    "SetNickname": {1: "没有该 ICCID 的配置文件"},
    "EuiccMemoryReset": {1: "没有可删除的内容", 5: "卡片忙（CAT busy）"},
    "RemoveNotificationFromList": {1: "没有该序号的通知"},
    "CancelSession": {5: "交易 ID 与会话不符"},
    "GetProfilesInfo": {1: "搜索条件被拒绝"},
    "RetrieveNotificationsList": {1: "没有这条通知"},
    "LoadCRL": {
        1: "CRL 签名无效",
        2: "CRL 格式无效",
        3: "eUICC 没有空间存放 CRL",
        4: "eUICC 不认识 CRL 颁发者的密钥",
    },
}

# ProfileInstallationResult errorReason (esim/errors.py _INSTALL_ERRORS).
INSTALL_ERRORS_ZH: dict[int, str] = {
    1: "输入值错误",
    2: "签名验证失败",
    3: "交易 ID 不符",
    4: "不支持该密钥参数",
    5: "不支持该远程操作类型",
    6: "不支持该配置文件类别",
    7: "受保护的数据包格式错误（SCP03t 结构错误）",
    8: "数据包分段完整性校验失败（SCP03t 安全错误）",
    9: "eUICC 上已有该 ICCID 的配置文件",
    10: "eUICC 存储空间已满",
    11: "安装被中断",
    12: "eUICC 无法处理配置文件元素",
    13: "数据包中的 ICCID 与元数据不符",
    14: "测试配置文件的网络密钥无效",
    15: "该 eUICC 不允许此配置文件的策略规则",
    127: "eUICC 报告了未知的安装错误",
}


def _esim_tables() -> dict[str, tuple[str, str]]:
    """The eSIM code tables (English in esim/errors.py, Chinese above) as catalogue messages."""
    from simspot.esim import errors

    out: dict[str, tuple[str, str]] = {}
    for code, en in errors._SUBJECTS.items():
        out[f"sgp22.subject.{code}"] = (en, SGP22_SUBJECTS_ZH.get(code, ""))
    for code, en in errors._REASONS.items():
        out[f"sgp22.reason.{code}"] = (en, SGP22_REASONS_ZH.get(code, ""))
    for command, table in errors._EUICC_RESULTS.items():
        for number, en in table.items():
            out[f"euicc.{command}.{number}"] = (
                en,
                EUICC_RESULTS_ZH.get(command, {}).get(number, ""),
            )
    for number, en in errors._INSTALL_ERRORS.items():
        out[f"install.{number}"] = (en, INSTALL_ERRORS_ZH.get(number, ""))
    return out


def _sgp22_messages() -> dict[str, tuple[str, str]]:
    from simspot.esim.errors import SMDP_PAIRS

    out = {}
    for (subject, reason), en in SMDP_PAIRS.items():
        zh = SGP22_ZH.get((subject, reason), "")
        out[f"sgp22.{subject}-{reason}"] = (
            f"{{function}}: {en} (subject {subject}, reason {reason}{{extra}})",
            f"{{function}}：{zh}（主题 {subject}，原因 {reason}{{extra}}）" if zh else "",
        )
    return out


CATALOGUE |= _sgp22_messages() | _esim_tables()


# Packages that keep their own sentences next to their code, each in ``<package>/messages.py``
# as ``MESSAGES`` (same shape as CATALOGUE). An id may be defined once only.
MESSAGE_MODULES = (
    "simspot.fleet.messages",  # the fleet server's alerts, refusals and command delivery
    "simspot.esim.messages",  # the eUICC's transports (AT, QMI, MBIM, PC/SC, proxy link)
    "simspot.esim.cardmessages",  # what the card says (APDUs, BER-TLV codec, ES10, BSP, ICCIDs)
    "simspot.dataplane.messages",  # nftables, dnsmasq, netlink
    "simspot.hotspot.messages",  # hostapd, NetworkManager, guest passes
    "simspot.modem.messages",  # ModemManager, UPower
    "simspot.uplink.messages",  # the uplink executor and service
    "simspot.i18n_simulator",  # the simulated world and the test SM-DP+ (outside the package: a
    # real daemon loads no simulator code, tests/test_wiring.py)
    "simspot.daemon.messages",  # components, TLS, the config file, installing
    "simspot.cli.messages",  # what the CLI prints: uplink, status, setup and doctor
    "simspot.cli.moremessages",  # and fleet join/leave/status, guest, eSIM, usage, config lines
)


def _package_messages() -> dict[str, tuple[str, str]]:
    import importlib

    merged: dict[str, tuple[str, str]] = {}
    for name in MESSAGE_MODULES:
        messages: dict[str, tuple[str, str]] = importlib.import_module(name).MESSAGES
        twice = (merged.keys() | CATALOGUE.keys()) & messages.keys()
        if twice:
            raise RuntimeError(f"{name} defines message ids defined elsewhere: {sorted(twice)}")
        merged |= messages
    return merged


CATALOGUE |= _package_messages()

# How much an event matters to the person reading the log (the web UI filters on it).
EVENT_SEVERITY: dict[str, Severity] = {
    "battery.low": "warning",
    "component.failed": "error",
    "dataplane.address-conflict": "error",
    "fleet.command-refused": "warning",
    "fleet.disconnected": "warning",
    "fleet.outbox-full": "warning",
    "fleet.refused": "warning",
    "device.new": "warning",
    "esim.download.failed": "error",
    "guest.depleted": "warning",
    "hotspot.down": "warning",
    "modem.absent": "warning",
    "modem.unavailable": "error",
    "modem.manager-stopped": "warning",
    "modem.removed": "warning",
    "notify.failed": "error",
    "plan.limit": "error",
    "plan.switch-uplink": "warning",
    "plan.threshold": "warning",
    "sharing.held": "warning",
    "sim.pin-rejected": "error",
    "sim.unlock-refused": "error",
    "uplink.rolled-back": "error",
    "usage.quota-depleted": "error",
}


def severity(kind: str) -> Severity:
    return EVENT_SEVERITY.get(kind, "info")


def fields(template: str) -> set[tuple[str, str]]:
    """The (parameter, format) pairs a template takes."""
    return {(m.group(1), m.group(2) or "") for m in _FIELD.finditer(template)}


def language(value: str | None) -> Lang:
    """``zh_CN.UTF-8``, ``zh-Hans``, ``zh`` -> ``zh``; anything else (or nothing) -> ``en``."""
    return "zh" if value and value.strip().lower().startswith("zh") else "en"


def env_language(environ: Mapping[str, str] | None = None) -> Lang:
    """The CLI's language, from the first of LC_ALL, LC_MESSAGES, LANG that is set."""
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(key):
            return language(env[key])
    return "en"


def _when(value: object, lang: Lang) -> str:
    try:
        t = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if lang == "zh":
        return f"{t.month}月{t.day}日 {t:%H:%M}"
    return f"{t.day} {_MONTHS[t.month - 1]} {t:%H:%M}"


def _value(value: object, fmt: str, lang: Lang) -> str:
    if fmt == "bytes":
        if isinstance(value, int) and not isinstance(value, bool):
            return format_bytes(value)
        return "-" if value is None else str(value)
    if fmt == "when":
        return "-" if value is None else _when(value, lang)
    if fmt == "list":
        items = value if isinstance(value, list) else [value]
        return ("、" if lang == "zh" else ", ").join(str(v) for v in items) or "-"
    if fmt in ("term", "reg"):
        word = "yes" if value is True else "no" if value is False else value
        entry = CATALOGUE.get(f"{fmt}.{'unknown' if word is None else word}")
        return entry[LANGS.index(lang)] if entry else str(word)
    if fmt == "kbit":
        if value is None:
            return "不限" if lang == "zh" else "no cap"
        return f"{value} kbit/s"
    if fmt in _JOINS:
        items = value if isinstance(value, list) else [value]
        texts = (
            render(str(m["id"]), m.get("params") or {}, lang) if isinstance(m, Mapping) else str(m)
            for m in items
        )
        return _JOINS[fmt][LANGS.index(lang)].join(texts) or "-"
    if fmt == "auto" and value is None:
        return "自动" if lang == "zh" else "automatic"
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def render(msg_id: str, params: Mapping[str, Any], lang: Lang = "en") -> str:
    """The text of a message in ``lang``; an unknown id or a missing parameter is a bug."""
    template = CATALOGUE[msg_id][LANGS.index(lang)]

    def sub(m: re.Match[str]) -> str:
        name, fmt = m.group(1), m.group(2) or ""
        if fmt == "lang":
            said = params.get(f"{name}_{lang}") or params.get(f"{name}_en") or params.get(name)
            return str(said or "-")
        if fmt == "said":
            said = params.get(f"{name}_said")
            if isinstance(said, Mapping) and said.get("id") in CATALOGUE:
                return render(str(said["id"]), said.get("params") or {}, lang)
            return _value(params.get(name), "", lang)
        return _value(params[name], fmt, lang)

    return _FIELD.sub(sub, template)


def part(msg_id: str, /, **params: Any) -> dict[str, Any]:
    """A message inside another one's parameters (``{problems:msgs}``): ``{"id", "params"}``."""
    if msg_id not in CATALOGUE:
        raise KeyError(f"message {msg_id!r} is not in the catalogue (simspot/i18n.py)")
    return {"id": msg_id, "params": params}


# pydantic's own error types, with its English (checked against pydantic by tests/test_i18n.py):
# type -> (message id, the ``ctx`` keys the sentence takes).
SCHEMA_ERRORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "missing": ("schema.missing", ()),
    "extra_forbidden": ("schema.extra", ()),
    "int_parsing": ("schema.int", ()),
    "int_type": ("schema.int-type", ()),
    "int_from_float": ("schema.int-from-float", ()),
    "float_parsing": ("schema.float", ()),
    "float_type": ("schema.float-type", ()),
    "string_type": ("schema.string", ()),
    "bool_parsing": ("schema.bool", ()),
    "bool_type": ("schema.bool-type", ()),
    "list_type": ("schema.list", ()),
    "dict_type": ("schema.dict", ()),
    "model_attributes_type": ("schema.object", ()),
    "literal_error": ("schema.literal", ("expected",)),
    "enum": ("schema.literal", ("expected",)),
    "greater_than_equal": ("schema.ge", ("ge",)),
    "less_than_equal": ("schema.le", ("le",)),
    "greater_than": ("schema.gt", ("gt",)),
    "less_than": ("schema.lt", ("lt",)),
    "string_too_short": ("schema.string-short", ("min_length",)),
    "string_too_long": ("schema.string-long", ("max_length",)),
    "too_short": ("schema.too-short", ("field_type", "min_length", "actual_length")),
    "too_long": ("schema.too-long", ("field_type", "max_length", "actual_length")),
    "int_parsing_size": ("schema.int-size", ()),
    "json_invalid": ("schema.json", ("error",)),
    "date_from_datetime_parsing": ("schema.date", ("error",)),
    "datetime_from_date_parsing": ("schema.datetime", ("error",)),
    "union_tag_invalid": ("schema.tag", ("discriminator", "tag", "expected_tags")),
}


def schema_message(err: Mapping[str, Any], field: str) -> dict[str, Any] | None:
    """A pydantic error (``ValidationError.errors()`` item) as a message about ``field``, or None.

    A ``ValueError`` a validator raised that names its own sentence (a ``SimspotError`` with an
    id) is that sentence, after ``{field}: `` when it does not name the field itself; pydantic's
    own error types are its English sentence with a Chinese one; anything else has no id.
    """
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    cause = ctx.get("error")
    cause_id = getattr(cause, "msg_id", None)
    if kind == "value_error" and isinstance(cause_id, str):
        params = dict(getattr(cause, "params", {}))
        if "field" in params:
            return {"id": cause_id, "params": params}
        inner = {"id": cause_id, "params": params}
        return {"id": "error.at-field", "params": {"field": field, "problem": [inner]}}
    known = SCHEMA_ERRORS.get(kind)
    if known is None or not field:
        return None
    msg_id, keys = known
    params = {"field": field} | {k: _plain(ctx.get(k)) for k in keys}
    if render(msg_id, params) != f"{field}: {err.get('msg', '')}":
        return None  # a pydantic whose wording differs: its English only
    return {"id": msg_id, "params": params}


def _plain(value: object) -> Param:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class Message:
    """A sentence for people: its id in ``CATALOGUE`` and its parameters."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.id not in CATALOGUE:
            raise KeyError(f"message {self.id!r} is not in the catalogue (simspot/i18n.py)")

    def text(self, lang: Lang = "en") -> str:
        return render(self.id, self.params, lang)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "params": dict(self.params), "text": self.text("en")}


def __getattr__(name: str) -> Any:
    """``MessageOut`` and ``CatalogueOut`` (pydantic) load when first asked for, not with us."""
    if name in ("MessageOut", "CatalogueOut"):
        from simspot import i18n_models

        return getattr(i18n_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def catalogue() -> CatalogueOut:
    from simspot.i18n_models import CatalogueOut

    return CatalogueOut(
        languages=list(LANGS),
        messages={k: dict(zip(LANGS, v, strict=True)) for k, v in CATALOGUE.items()},
        event_severity=dict(EVENT_SEVERITY),
    )


def event_message(kind: str, data: Mapping[str, Any]) -> Message:
    """The sentence for an event (every kind has one; see tests/test_i18n.py).

    A payload's ``variant`` picks a more specific sentence, ``event.<kind>.<variant>``, when the
    catalogue has one (a station that joined with a guest pass's key names the guest).
    """
    variant = data.get("variant")
    if isinstance(variant, str) and f"event.{kind}.{variant}" in CATALOGUE:
        return Message(f"event.{kind}.{variant}", dict(data))
    return Message(f"event.{kind}", dict(data))
