// Languages: the UI's own words (English in the markup, Chinese below) and the server's
// sentences, rendered from its message catalogue (GET /api/v1/messages) by message id and
// parameters, in the browser's language or the one picked with the switch (kept in localStorage).

export const ZH = {
  login: "登录", password: "管理员密码", logout: "退出", wrong: "密码错误",
  tab_overview: "概览", tab_usage: "流量与套餐", tab_clients: "设备", tab_hotspot: "热点",
  tab_esim: "eSIM", tab_slots: "SIM 卡槽", tab_events: "事件",
  sharing: "共享网络", sharing_on: "正在共享", sharing_off: "已停止共享", turn_on: "开启共享",
  turn_off: "停止共享", wake: "唤醒", held_battery: "电量低", held_idle: "长时间无设备连接",
  held_plan: "套餐限制", held_user: "已被你关闭", still_held: "仍被以下原因暂停",
  simulated: "模拟", modem: "调制解调器", battery: "电池", today: "概况", state: "状态", signal: "信号",
  network: "网络", operator: "运营商", roaming: "漫游", roaming_yes: "漫游中", home: "本地网络",
  charging: "充电中", on_battery: "电池供电", time_left: "剩余时间", charge: "电量", none: "无",
  uplink: "上网链路", clients_n: "已连接设备", uptime: "运行时间", data_used: "已用流量",
  plans: "套餐", no_plans: "还没有套餐：用 “simspot plan add” 添加。", usage_by_client: "各设备流量",
  period_cycle: "本周期", period_day: "今天", period_hour: "本小时", total: "合计",
  used: "已用", of: "共", tethering: "热点共享", cycle_dates: "周期", price: "价格",
  exhausted: "流量已用完", expired: "已过期", nearly: "已用超过 80%", no_tethering: "该套餐不允许热点共享",
  remaining: "剩余", unlimited: "不限", correct: "校正用量", correct_for: "校正用量：",
  correct_used: "本周期已用流量（以运营商为准，例如 1.2GB）",
  clients: "已连接设备", hostname: "名称", down: "下载", up: "上传", session: "本次 ↓/↑",
  cycle: "本周期", cap: "限速", actions: "操作", block: "拉黑", unblock: "解除拉黑",
  blocked: "已拉黑", denied: "被 MAC 列表拒绝", limit: "限速", speed_cap_for: "限速设置：",
  down_kbit: "下载 (kbit/s)", up_kbit: "上传 (kbit/s)", limit_hint: "留空表示不限速。",
  save: "保存", cancel: "取消", no_clients: "没有已连接的设备。",
  confirm_block: "拉黑 {0}？它将无法再使用网络。",
  devices: "见过的设备", vendor: "厂商", state: "状态", approve: "允许", unapprove: "取消允许",
  dev_waiting: "等待允许", dev_held: "新设备过多，稍后放行", dev_allowed: "可上网", dev_approved: "已允许",
  approval_on: "新设备需要允许才能上网。", approval_off: "新设备可直接上网。",
  pool_use: "DHCP 地址已用 {0} / {1}。", spoofed: "丢弃的伪造地址数据包：{0}。",
  wifi: "Wi-Fi 网络", show_password: "显示密码", hide_password: "隐藏密码", join_qr: "扫码加入",
  admin_page: "管理页面", cert_sha256: "证书 SHA-256 指纹",
  change_settings: "修改设置", new_passphrase: "新密码", generate: "生成新的随机密码",
  security: "加密方式", band: "频段", channel: "信道", max_clients: "最多设备数",
  auto_off: "无设备时自动关闭（分钟，0 = 从不）", hidden: "隐藏网络", isolate: "设备互相隔离",
  open: "开放（无密码）", saved: "已保存", nothing_changed: "没有修改",
  passphrase: "密码", yes: "是", no: "否", auto: "自动", interface: "接口", warnings: "警告",
  download_profile: "添加 eSIM 配置文件", activation_code: "激活码",
  confirmation_code: "确认码（运营商提供时填写）", download: "下载",
  demo_codes: "本地测试 SM-DP+ 的激活码：", use: "使用", profiles: "配置文件",
  name: "名称", provider: "运营商", nickname: "备注名", enable: "启用", disable: "停用",
  delete: "删除", rename: "改备注名", nickname_for: "备注名：", no_profiles: "eSIM 上还没有配置文件。",
  confirm_delete: "永久删除配置文件 {0}？删除后无法恢复。", installed: "已安装",
  enabled: "已启用", disabled: "已停用", downloading: "正在下载…",
  notifications: "待发送给运营商的通知", send_now: "立即发送", pending: "条待发送",
  slots: "SIM 卡槽", slot: "卡槽", kind: "类型", active: "使用中", switch: "切换到此卡槽",
  physical: "实体卡", euicc: "eSIM", pin_needed: "这张 SIM 卡需要 PIN 码", unlock: "解锁",
  retries: "剩余尝试次数", events: "事件", live: "实时", offline: "已断开",
  confirm_switch: "切换到卡槽 {0}？网络会短暂中断。", eid: "EID", free_memory: "可用空间",
  m_connected: "已连接", m_registered: "已注册", m_searching: "正在搜索网络", m_enabled: "已开启",
  m_disabled: "已关闭", m_locked: "已锁定", m_failed: "故障", m_connecting: "正在连接",
  h: "小时", min: "分钟",
};

Object.assign(ZH, {
  language: "语言", history: "流量历史", per_day: "按天（本周期）", per_hour: "按小时（今天）",
  history_of: "流量历史：", close: "关闭", down_up: "下载 / 上传", allowance: "套餐流量",
  forecast: "预测", used_so_far: "已用", no_usage_yet: "还没有流量记录。", other_devices: "其他设备",
  show_history: "查看历史", severity: "级别", all: "全部", warnings_up: "警告和错误", errors_only: "仅错误",
  category: "类别", cat_clients: "设备", cat_hotspot: "热点", cat_plans: "套餐与流量", cat_esim: "eSIM",
  cat_modem: "调制解调器与 SIM", cat_system: "系统", sev_info: "信息", sev_warning: "警告", sev_error: "错误",
  no_events: "没有符合条件的事件。", scan_qr: "扫描二维码", pick_picture: "选择截图或照片",
  reading_picture: "正在识别图片…", cc_needed: "该运营商需要确认码，请填写。", unchanged: "不修改",
});

// The Uplinks tab (uplinks.js).
Object.assign(ZH, {
  tab_uplinks: "上网链路", u_now: "当前上网链路", u_auto: "恢复自动选择", u_rules: "规则（按您的顺序）",
  u_always: "始终遵守", u_candidates: "可用的上网方式", u_ready: "就绪情况", u_plan_left: "套餐剩余",
  u_price: "每 GB 价格", u_health: "健康状况", u_history: "最近的决定", u_no_history: "还没有决定。",
  u_sim: "SIM 卡", u_esim: "eSIM", u_wired: "有线", u_wifi: "Wi-Fi", u_none: "无",
  u_hot: "热备（已连接）", u_cold_slot: "冷备：切换卡槽后可用", u_cold_profile: "冷备：启用配置文件后可用",
  u_unreachable: "未连接", u_home_link: "家用线路", u_not_registered: "未注册", u_home_country: "归属",
  u_free: "免费", u_flat: "固定月费", u_up: "正常", u_down: "故障", u_unknown: "尚未探测",
  u_fails: "连续失败 {0} 次", u_use: "使用此链路", u_in_use: "使用中", u_pinned: "已固定",
  u_mode_pinned: "已由您固定", u_mode_auto: "自动", u_deciding: "策略尚未做出决定。",
  u_switch: "切换", u_held: "暂缓", u_keep: "保持",
  rule_healthy: "健康：能通过探测的链路优先", rule_signal_floor: "信号下限：信号高于下限的蜂窝链路优先",
  rule_prefer_wired: "优先使用正常的有线或家用 Wi-Fi", rule_avoid_roaming: "本国有可用链路时避免漫游",
  rule_cheapest: "每 GB 最便宜优先", rule_preferred: "您的首选顺序",
});

// The Guests tab (guests.js).
Object.assign(ZH, {
  tab_guests: "访客", client_guest: "访客通行证：{0}", g_title: "访客通行证", g_new: "新建通行证", g_name: "访客姓名", g_allowance: "流量额度",
  g_no_limit: "不单独限额", g_per: "按", g_period_total: "整个通行证", g_period_day: "每天",
  g_period_cycle: "每个计费周期", g_until_label: "有效至", g_tonight: "今晚 23:00", g_2h: "2 小时后",
  g_weekend: "本周末（周日 23:00）", g_week: "一周后", g_pick: "选择日期和时间", g_until_at: "结束时间",
  g_no_cap: "不限速", g_create: "创建通行证", g_until_pick: "请选择通行证的结束时间。",
  g_qr_for: "{0} 的加入二维码", g_network: "网络", g_qr_hint: "让访客用手机相机扫描此二维码。",
  g_empty: "还没有访客通行证。", g_state_active: "有效", g_state_revoked: "已撤销", g_state_expired: "已到期",
  g_no_allowance: "无单独额度", g_plan_limits: "套餐只剩 {0}，访客最多还能用这么多。",
  g_until: "有效至", g_ended: "结束于", g_shared: "（其所有设备共享）", g_device: "设备", g_online: "在线",
  g_no_devices: "还没有设备用此通行证加入。", g_show_qr: "显示加入二维码", g_topup: "+1 GB",
  g_extend: "延长 1 天", g_revoke: "撤销", g_renew: "续期到今晚",
  g_confirm_revoke: "撤销 {0} 的通行证？其设备会立即断开。",
});

// The daemon's components (the overview's health line), their states, punctuation.
Object.assign(ZH, {
  comp_simulator: "模拟器", comp_modem: "调制解调器", comp_battery: "电池", comp_clients: "设备",
  comp_uplink: "上网链路", comp_sharing: "共享", comp_plans: "套餐", "comp_plans-notify": "套餐提醒",
  comp_hotspot: "热点", comp_guests: "访客", "comp_battery-guard": "低电量保护", "comp_idle-off": "空闲自动关闭",
  comp_esim: "eSIM", "comp_uplink-policy": "上网策略", "comp_demo-seed": "演示数据",
  comp_state_starting: "正在启动", comp_state_restarting: "正在重启", comp_state_failed: "故障",
  comp_state_stopped: "已停止",
  colon: "：", semicolon: "；", paren_open: "（", paren_close: "）",
  backend_simulated: "模拟", vendor_private: "私有地址（设备随机生成）", vendor_unknown: "未知厂商",
  qr_alt: "Wi-Fi 二维码", step_label: "时间粒度", period_label: "统计周期",
});

const STORE_KEY = "simspot-lang";
function chosen() {
  let saved = null;
  try { saved = localStorage.getItem(STORE_KEY); } catch (exc) { /* storage may be off */ }
  if (saved === "en" || saved === "zh") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}
export const LANG = chosen();
export const lang = LANG === "zh" ? ZH : null;  // null: English (the markup and the fallbacks)
export const locale = lang ? "zh-CN" : undefined;

export function setLang(value) {
  try { localStorage.setItem(STORE_KEY, value); } catch (exc) { /* then only for this page */ }
  location.reload();
}

export function t(key, fallback, ...args) {
  let s = (lang && lang[key]) || fallback || key;
  args.forEach((a, i) => { s = s.replace("{" + i + "}", a); });
  return s;
}

// ---- the server's sentences ------------------------------------------------------------------

let catalogue = null;
export const names = new Map();  // MAC -> the device's (last known) name

export async function loadCatalogue() {
  try {
    const r = await fetch("/api/v1/messages", { credentials: "same-origin" });
    if (r.ok) catalogue = await r.json();
  } catch (exc) { /* the English texts the API sends stay usable */ }
  return catalogue;
}

export function severityOf(kind) {
  return (catalogue && catalogue.event_severity[kind]) || "info";
}

// The same formats as simspot.i18n: bytes, when, list, term, reg, mac, kbit, auto, lang, msgs,
// msglist, said.
function pyBytes(n) {
  let v = Number(n);
  for (const unit of ["B", "kB", "MB", "GB"]) {
    if (Math.abs(v) < 1000) return unit === "B" ? `${v.toFixed(0)} ${unit}` : `${v.toFixed(1)} ${unit}`;
    v /= 1000;
  }
  return `${v.toFixed(1)} TB`;
}
const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");
function when(v) {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(String(v));  // the wall clock given
  if (!m) return String(v);
  const month = Number(m[2]), day = Number(m[3]);
  return lang ? `${month}月${day}日 ${m[4]}:${m[5]}` : `${day} ${MONTHS[month - 1]} ${m[4]}:${m[5]}`;
}
function word(prefix, v) {
  const w = v === true ? "yes" : v === false ? "no" : v == null ? "unknown" : String(v);
  const entry = catalogue && catalogue.messages[`${prefix}.${w}`];
  return entry ? entry[LANG] || entry.en : w;
}
function value(v, fmt) {
  switch (fmt) {
    case "bytes": return typeof v === "number" ? pyBytes(v) : v == null ? "-" : String(v);
    case "when": return v == null ? "-" : when(v);
    case "list": return (Array.isArray(v) ? v : [v]).map(String).join(lang ? "、" : ", ") || "-";
    case "term": case "reg": return word(fmt, v);
    case "kbit": return v == null ? (lang ? "不限" : "no cap") : `${v} kbit/s`;
    case "mac": return v == null ? "-" : names.get(String(v)) || String(v);
    case "auto": return v == null ? (lang ? "自动" : "automatic") : String(v);
    case "msgs": case "msglist":  // nested messages ({id, params}), e.g. every problem found
      return (Array.isArray(v) ? v : [v]).map(m => (m && m.id ? message(m) : String(m)))
        .join(fmt === "msgs" ? (lang ? "；" : "; ") : (lang ? "、" : ", ")) || "-";
    default: return v == null ? "-" : String(v);
  }
}
export function format(template, params) {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}/g, (_, name, fmt) => {
    if (fmt === "lang") return String(params[`${name}_${LANG}`] || params[`${name}_en`] || params[name] || "-");
    const said = fmt === "said" ? params[`${name}_said`] : null;  // the text by id, when given
    if (said && said.id && catalogue && catalogue.messages[said.id]) return message(said);
    return value(params[name], fmt === "said" ? "" : fmt || "");
  });
}
// A message from the API ({id, params, text}) in the reader's language.
export function message(m) {
  if (!m) return "";
  const entry = catalogue && catalogue.messages[m.id];
  if (!entry) return m.text || m.id;
  return format(entry[LANG] || entry.en, m.params || {});
}
export function hasMessage(id) {
  return Boolean(catalogue && catalogue.messages[id]);
}
export function messageById(id, params = {}) {
  return message({ id, params, text: id });
}

// ---- figures and times -----------------------------------------------------------------------

export function fmtBytes(n) {
  if (n == null) return "-";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(n < 10 ? 2 : 1) : n.toFixed(0)) + " " + units[i];
}
export function fmtDuration(s) {
  if (s == null) return "-";
  const h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60);
  const H = t("h", "h"), M = t("min", "min");
  return h ? `${h} ${H} ${m} ${M}` : `${m} ${M}`;
}
export function fmtDate(iso) {
  if (!iso) return "-";
  return new Date(iso).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}
export function fmtTime(ts) {
  return new Date(ts * 1000).toLocaleTimeString(locale);
}

export function applyI18n() {
  document.documentElement.lang = lang ? "zh-CN" : "en";
  if (!lang) return;
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n, e.textContent);
  for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder, e.placeholder);
  for (const e of document.querySelectorAll("[data-i18n-alt]")) e.alt = t(e.dataset.i18nAlt, e.alt);
  for (const e of document.querySelectorAll("[data-i18n-aria]")) e.setAttribute("aria-label", t(e.dataset.i18nAria, e.getAttribute("aria-label")));
}
