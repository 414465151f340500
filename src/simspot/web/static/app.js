"use strict";
// simspot admin UI. The CSP forbids inline scripts and styles: every text goes through
// textContent, every element is built with createElement. Nothing secret is ever logged.

const ZH = {
  login: "登录", password: "管理员密码", logout: "退出", wrong: "密码错误",
  tab_overview: "概览", tab_usage: "流量与套餐", tab_clients: "设备", tab_hotspot: "热点",
  tab_esim: "eSIM", tab_slots: "SIM 卡槽", tab_events: "事件",
  sharing: "共享网络", sharing_on: "正在共享", sharing_off: "已停止共享", turn_on: "开启共享",
  turn_off: "停止共享", wake: "唤醒", held_battery: "电量低", held_idle: "长时间无设备连接",
  held_plan: "套餐限制", held_user: "已被你关闭", still_held: "仍被以下原因暂停",
  simulated: "模拟", modem: "调制解调器", battery: "电池", today: "概况", state: "状态", signal: "信号",
  network: "网络", operator: "运营商", roaming: "漫游", roaming_yes: "漫游中", home: "本地网络",
  charging: "充电中", on_battery: "电池供电", time_left: "剩余时间", charge: "电量", none: "无",
  uplink: "上网 SIM", clients_n: "已连接设备", uptime: "运行时间", data_used: "已用流量",
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
  wifi: "Wi-Fi 网络", show_password: "显示密码", hide_password: "隐藏密码", join_qr: "扫码加入",
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
const ZH_EVENTS = {
  "client.joined": "设备加入", "client.left": "设备离开", "hotspot.up": "热点已开启",
  "hotspot.down": "热点已关闭", "sharing.held": "共享暂停", "sharing.released": "共享恢复",
  "esim.profile.installed": "配置文件已安装", "esim.profile.enabled": "配置文件已启用",
  "esim.profile.deleted": "配置文件已删除", "esim.profile.disabled": "配置文件已停用",
  "sim.switched": "已切换卡槽", "hotspot.client-rule": "设备规则已更改", "usage.quota-depleted": "流量已用完",
  "plan.added": "已添加套餐", "plan.edited": "已修改套餐", "plan.deleted": "已删除套餐",
};
const lang = (navigator.language || "en").toLowerCase().startsWith("zh") ? ZH : null;
function t(key, fallback, ...args) {
  let s = (lang && lang[key]) || fallback || key;  // English: the markup and the fallbacks
  args.forEach((a, i) => { s = s.replace("{" + i + "}", a); });
  return s;
}

const $ = (id) => document.getElementById(id);
function el(tag, opts = {}, ...children) {
  const e = document.createElement(tag);
  if (opts.text != null) e.textContent = opts.text;
  if (opts.cls) e.className = opts.cls;
  if (opts.label) e.dataset.label = opts.label;
  for (const [k, v] of Object.entries(opts.attrs || {})) e.setAttribute(k, v);
  if (opts.onclick) e.addEventListener("click", opts.onclick);
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function fmtBytes(n) {
  if (n == null) return "-";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(n < 10 ? 2 : 1) : n.toFixed(0)) + " " + units[i];
}
function fmtDuration(s) {
  if (s == null) return "-";
  const h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60);
  const H = t("h", "h"), M = t("min", "min");
  return h ? `${h} ${H} ${m} ${M}` : `${m} ${M}`;
}
function fmtDate(iso) {
  if (!iso) return "-";
  return new Date(iso).toLocaleString(lang ? "zh-CN" : undefined, { dateStyle: "medium", timeStyle: "short" });
}
function fmtTime(ts) {
  return new Date(ts * 1000).toLocaleTimeString(lang ? "zh-CN" : undefined);
}

// ---- API -----------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, detail, field) { super(detail); this.status = status; this.field = field || null; }
}

// FastAPI's error location without where it was: ["body", "cycle", "day"] -> "cycle.day".
function errorLoc(e) {
  const loc = (e && e.loc) || [];
  return (["body", "query", "path"].includes(loc[0]) ? loc.slice(1) : loc).join(".");
}

function detailText(body, status) {
  const d = body && body.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) {  // FastAPI validation errors: "field: message"
    return d.map(e => `${errorLoc(e)}: ${String(e.msg).replace(/^Value error, /, "")}`).join("; ");
  }
  return `HTTP ${status}`;
}

// The input an error is about: the API's structured "field", or the first schema error's location.
function errorField(body) {
  if (!body) return null;
  if (typeof body.field === "string" && body.field) return body.field;
  if (Array.isArray(body.detail) && body.detail.length) return errorLoc(body.detail[0]) || null;
  return null;
}

async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  } else if (method !== "GET") {
    opts.headers["Content-Type"] = "application/json";
  }
  let r;
  try {
    r = await fetch("/api/v1" + path, opts);
  } catch (exc) {
    throw new ApiError(0, t("offline", "cannot reach the daemon"));
  }
  if (r.status === 401) { showLogin(); throw new ApiError(401, t("login", "Log in")); }
  const data = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, detailText(data, r.status), errorField(data));
  return data;
}

// Runs an action for a button: disables it meanwhile, shows the API's detail in errEl.
async function act(errEl, fn, button) {
  if (errEl) errEl.textContent = "";
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (exc) {
    if (errEl) {
      errEl.textContent = exc.message;
      errEl.scrollIntoView({ block: "nearest" });
    }
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- Small renderers -----------------------------------------------------------------------

function fillDl(dl, rows) {
  dl.replaceChildren();
  for (const [k, v, cls] of rows) {
    const dd = el("dd", { text: v == null || v === "" ? "-" : String(v) });
    if (cls) dd.className = cls;
    dl.append(el("dt", { text: k }), dd);
  }
}

// Keeps one <tr> per key, updating cells in place so buttons stay put while polling.
function syncRows(table, items, keyOf, build, update) {
  const body = table.tBodies[0];
  const seen = new Set();
  let prev = null;
  for (const item of items) {
    const key = keyOf(item);
    seen.add(key);
    let tr = body.querySelector(`tr[data-key="${CSS.escape(key)}"]`);
    if (!tr) { tr = build(item); tr.dataset.key = key; }
    update(tr, item);
    const want = prev ? prev.nextSibling : body.firstChild;
    if (tr !== want) body.insertBefore(tr, want);
    prev = tr;
  }
  for (const tr of [...body.rows]) if (!seen.has(tr.dataset.key)) tr.remove();
}
function cells(tr, values) {
  values.forEach((v, i) => {
    const td = tr.cells[i];
    const s = v == null || v === "" ? "-" : String(v);
    if (td.textContent !== s) td.textContent = s;
  });
}
function headers(table) {
  return [...table.tHead.rows[0].cells].map(th => th.textContent);
}
function emptyRow(table, n) {
  const tr = el("tr");
  const labels = headers(table);
  for (let i = 0; i < n; i++) tr.append(el("td", { label: labels[i] }));
  return tr;
}

function bar(fraction, warnAt = 0.8) {
  const f = Math.max(0, Math.min(1, fraction || 0));
  const fill = el("span", { cls: f >= 1 ? "full" : f >= warnAt ? "warn" : "" });
  fill.style.width = (f * 100).toFixed(1) + "%";  // CSSOM, allowed by the CSP
  return el("div", { cls: "bar", attrs: { role: "meter", "aria-valuenow": (f * 100).toFixed(0), "aria-valuemin": "0", "aria-valuemax": "100" } }, fill);
}

// ---- Overview ------------------------------------------------------------------------------

const REASONS = {
  battery: ["held_battery", "battery low"], idle: ["held_idle", "idle, no clients"],
  plan: ["held_plan", "plan limit"], user: ["held_user", "turned off by you"],
};
let lastStatus = null;

function renderStatus(st) {
  lastStatus = st;
  // Any simulated backend is marked, so a simulated modem or client is never taken for real.
  const simulated = st.simulated || [];
  $("mode").textContent = simulated.length ? t("simulated", "SIMULATED") : "";
  $("mode").title = simulated.join(", ");
  $("mode").hidden = simulated.length === 0;
  const m = st.modem;
  if (m) {
    const roaming = m.registration === "roaming";
    fillDl($("modem"), [
      [t("state", "State"), t("m_" + m.state, m.state)],
      [t("network", "Network"), [m.operator_name, (m.access_tech || "").toUpperCase()].filter(Boolean).join(" · ")],
      [t("signal", "Signal"), m.signal_percent == null ? "-" : m.signal_percent + " %"],
      [t("roaming", "Roaming"), roaming ? t("roaming_yes", "roaming") : t("home", "home network"), roaming ? "badge roaming" : ""],
      ["IP", m.bearer ? m.bearer.ipv4_address : "-"],
    ]);
  } else {
    fillDl($("modem"), [[t("modem", "Modem"), t("none", "none")]]);
  }
  const b = st.battery;
  if (b && b.present) {
    fillDl($("battery"), [
      [t("charge", "Charge"), Math.round(b.percent) + " %"],
      [t("state", "State"), b.charging ? t("charging", "charging") : t("on_battery", "on battery")],
      [t("time_left", "Time left"), b.charging ? "-" : fmtDuration(b.time_to_empty_s)],
    ]);
    $("battery").prepend(el("div", { cls: "wide" }, bar(b.percent / 100, 2)));
  } else {
    fillDl($("battery"), [[t("battery", "Battery"), t("none", "none (mains)")]]);
  }
  const active = m && m.slots.find(s => s.active);
  fillDl($("summary"), [
    [t("clients_n", "Devices"), st.clients.length],
    [t("uplink", "Uplink SIM"), active ? `${active.operator_name || "?"} (${t("slot", "slot")} ${active.index})` : "-"],
    [t("uptime", "Uptime"), fmtDuration(st.uptime_s)],
  ]);
  const bad = st.components.filter(c => c.state !== "running");
  $("components").textContent = bad.map(c => `${c.name}: ${c.state} ${c.last_error || ""}`).join("; ");
  if (activeTab === "slots") renderSlots(m);
}

function renderSharing(power) {
  const s = power.sharing;
  const pill = $("sharing-state");
  pill.textContent = s.enabled ? t("sharing_on", "Sharing") : t("sharing_off", "Not sharing");
  pill.className = "pill " + (s.enabled ? "on" : "off");
  const ul = $("sharing-reasons");
  ul.replaceChildren();
  for (const [reason, why] of Object.entries(s.reasons)) {
    const [key, en] = REASONS[reason] || [reason, reason];
    ul.append(el("li", {}, el("strong", { text: t(key, en) }), el("span", { text: " — " + why })));
  }
  const userHeld = "user" in s.reasons;
  $("sharing-toggle").textContent = userHeld ? t("turn_on", "Turn sharing on") : t("turn_off", "Turn sharing off");
  $("sharing-toggle").dataset.action = userHeld ? "up" : "down";
  $("sharing-wake").hidden = !("idle" in s.reasons);
}

async function loadOverview() {
  const [power, plans] = await Promise.all([api("GET", "/power"), api("GET", "/plans")]);
  renderSharing(power);
  const iccid = lastStatus && lastStatus.uplink_iccid;
  const p = plans.plans.find(x => x.plan.iccid === iccid);
  const box = $("plan-glance");
  box.replaceChildren();
  if (p) {
    box.append(el("p", { text: `${p.plan.name}: ${fmtBytes(p.used_bytes)} / ${p.allowance_bytes == null ? t("unlimited", "unlimited") : fmtBytes(p.allowance_bytes)}` }));
    if (p.allowance_bytes) box.append(bar(p.used_bytes / p.allowance_bytes));
    if (p.forecast && p.forecast.explanation) box.append(el("p", { cls: "forecast", text: p.forecast.explanation }));
  }
}

// ---- Usage & plans -------------------------------------------------------------------------

function planCard(p) {
  const warn = [];
  if (p.expired) warn.push(t("expired", "expired"));
  if (p.exhausted) warn.push(t("exhausted", "allowance used up"));
  else if (p.percent != null && p.percent >= 80) warn.push(t("nearly", "over 80 % used"));
  if (p.plan && p.plan.tethering_allowed === false) warn.push(t("no_tethering", "tethering not allowed on this plan"));
  const art = el("article", { cls: "plan" });
  art.append(el("h3", { text: p.plan.name }), el("p", { cls: "muted mono", text: "ICCID " + p.plan.iccid }));
  const allowance = p.allowance_bytes;
  art.append(el("p", { text: `${t("used", "Used")} ${fmtBytes(p.used_bytes)} ${t("of", "of")} ${allowance == null ? t("unlimited", "unlimited") : fmtBytes(allowance)}` + (p.remaining_bytes != null ? ` · ${t("remaining", "left")} ${fmtBytes(p.remaining_bytes)}` : "") }));
  if (allowance) art.append(bar(p.used_bytes / allowance));
  if (p.tethering_allowance_bytes) {
    art.append(el("p", { text: `${t("tethering", "Tethering")}: ${fmtBytes(p.tethering_used_bytes)} ${t("of", "of")} ${fmtBytes(p.tethering_allowance_bytes)}` }));
    art.append(bar(p.tethering_used_bytes / p.tethering_allowance_bytes));
  }
  for (const w of warn) art.append(el("p", { cls: "badge warn", text: "⚠ " + w }));
  if (p.forecast && p.forecast.explanation) art.append(el("p", { cls: "forecast", text: p.forecast.explanation }));
  const dl = el("dl");
  fillDl(dl, [
    [t("cycle_dates", "Cycle"), `${fmtDate(p.cycle_start)} – ${fmtDate(p.cycle_end)}`],
    [t("price", "Price"), p.cost != null ? `${p.cost} ${p.currency || ""}` : "-"],
  ]);
  art.append(dl);
  art.append(el("div", { cls: "actions" }, el("button", {
    cls: "correct", text: t("correct", "Correct usage"), attrs: { type: "button", "data-plan": String(p.id) },
    onclick: () => openCorrect(p),
  })));
  return art;
}

function openCorrect(p) {
  $("correct-form").dataset.plan = String(p.id);
  $("correct-plan").textContent = p.plan.name;
  $("correct-used").value = "";
  $("correct-error").textContent = "";
  $("correct-form").hidden = false;
  $("correct-used").focus();
}

async function loadUsage() {
  const [plans, usage] = await Promise.all([
    api("GET", "/plans"),
    api("GET", "/usage?by=client&period=" + encodeURIComponent($("usage-period").value)),
  ]);
  $("plans").replaceChildren(...plans.plans.map(planCard));
  $("plans-empty").hidden = plans.plans.length > 0;
  const rows = [...usage.rows].sort((a, b) => b.total_bytes - a.total_bytes);
  syncRows($("usage-clients"), rows, r => r.key, () => emptyRow($("usage-clients"), 5),
    (tr, r) => cells(tr, [r.label, r.key, fmtBytes(r.rx_bytes), fmtBytes(r.tx_bytes), fmtBytes(r.total_bytes)]));
}

// ---- Clients -------------------------------------------------------------------------------

function capText(c) {
  if (c.rate_down_kbit == null && c.rate_up_kbit == null) return "-";
  return `↓${c.rate_down_kbit ?? "∞"} ↑${c.rate_up_kbit ?? "∞"} kbit/s`;
}

function buildClientRow(c) {
  const tr = emptyRow($("clients"), 8);
  tr.cells[1].className = "mono";
  const blockBtn = el("button", { cls: "block", attrs: { type: "button" } });
  blockBtn.addEventListener("click", () => toggleBlock(tr.dataset.key, blockBtn));
  const limitBtn = el("button", { cls: "limit", text: t("limit", "Speed cap"), attrs: { type: "button" } });
  limitBtn.addEventListener("click", () => openLimit(tr.dataset.key));
  tr.cells[7].append(blockBtn, limitBtn);
  return tr;
}

const clientsByMac = new Map();
function updateClientRow(tr, c) {
  clientsByMac.set(c.mac, c);
  const name = c.hostname || "?";
  cells(tr, [name, c.mac, [c.ipv4, ...(c.ipv6 || [])].filter(Boolean).join(" "),
    c.signal_dbm == null ? "-" : c.signal_dbm + " dBm",
    `${fmtBytes(c.session_rx_bytes)} / ${fmtBytes(c.session_tx_bytes)}`, fmtBytes(c.cycle_bytes), capText(c)]);
  const tag = c.blocked ? t("blocked", "blocked") : c.denied ? t("denied", "denied by MAC list") : "";
  if (tag) tr.cells[0].append(el("span", { cls: "badge off", text: tag }));
  tr.classList.toggle("is-blocked", !!c.blocked);
  const btn = tr.querySelector("button.block");
  btn.textContent = c.blocked ? t("unblock", "Unblock") : t("block", "Block");
  btn.dataset.blocked = c.blocked ? "1" : "";
}

async function loadClients() {
  const list = await api("GET", "/hotspot/clients");
  syncRows($("clients"), list, c => c.mac, buildClientRow, updateClientRow);
  $("clients-empty").hidden = list.length > 0;
}

async function toggleBlock(mac, btn) {
  const c = clientsByMac.get(mac);
  const blocked = btn.dataset.blocked === "1";
  if (!blocked && !confirm(t("confirm_block", "Block {0}? It will lose network access.", `${(c && c.hostname) || ""} ${mac}`.trim()))) return;
  await act($("clients-error"), async () => {
    await api("POST", `/hotspot/clients/${encodeURIComponent(mac)}/${blocked ? "unblock" : "block"}`);
    await loadClients();
  }, btn);
}

function openLimit(mac) {
  const c = clientsByMac.get(mac) || {};
  $("limit-mac").textContent = `${c.hostname || ""} ${mac}`.trim();
  $("limit-form").dataset.mac = mac;
  $("limit-down").value = c.rate_down_kbit ?? "";
  $("limit-up").value = c.rate_up_kbit ?? "";
  $("limit-error").textContent = "";
  $("limit-form").hidden = false;
  $("limit-down").focus();
}

function numOrNull(v) { return v === "" ? null : Number(v); }

// ---- Hotspot -------------------------------------------------------------------------------

let hotspot = null;
let revealed = false;

function renderHotspot(h) {
  hotspot = h;
  fillDl($("hotspot-info"), [
    ["SSID", h.ssid],
    [t("passphrase", "Password"), h.security === "open" ? "-" : h.passphrase, "mono"],
    [t("security", "Security"), h.security === "open" ? t("open", "open") : h.security.toUpperCase()],
    [`${t("band", "Band")} / ${t("channel", "Channel")}`, `${h.band} GHz / ${h.channel ?? t("auto", "auto")}`],
    [t("hidden", "Hidden network"), h.hidden ? t("yes", "yes") : t("no", "no")],
    [t("clients_n", "Devices"), `${h.clients} / ${h.max_clients}`],
    [t("interface", "Interface"), `${h.interface} (${h.backend})`],
    ...(h.warnings && h.warnings.length ? [[t("warnings", "Warnings"), h.warnings.join("; "), "error"]] : []),
    ...(h.last_error ? [["!", h.last_error, "error"]] : []),
  ]);
  $("reveal").textContent = revealed ? t("hide_password", "Hide password") : t("show_password", "Show password");
}

function fillHotspotForm(h) {
  $("hs-ssid").value = h.ssid;
  $("hs-pass").value = "";
  $("hs-generate").checked = false;
  $("hs-security").value = h.security;
  $("hs-band").value = h.band;
  $("hs-channel").value = h.channel ?? "";
  $("hs-max").value = h.max_clients;
  $("hs-idle").value = h.auto_off_minutes;
  $("hs-hidden").checked = h.hidden;
  $("hs-isolate").checked = h.isolate_clients;
}

function refreshQr() {
  $("qr").src = "/api/v1/hotspot/qr?format=svg&t=" + Date.now();
}

async function loadHotspot(fillForm) {
  const h = await api("GET", "/hotspot" + (revealed ? "?reveal=true" : ""));
  const changed = !hotspot || hotspot.ssid !== h.ssid || hotspot.security !== h.security;
  renderHotspot(h);
  if (fillForm) fillHotspotForm(h);
  if (fillForm || changed) refreshQr();
}

const HOTSPOT_FIELDS = {
  ssid: "hs-ssid", passphrase: "hs-pass", security: "hs-security", band: "hs-band", channel: "hs-channel",
  max_clients: "hs-max", auto_off_minutes: "hs-idle",
};

function hotspotChanges() {
  const h = hotspot, c = {};
  const ssid = $("hs-ssid").value;
  if (ssid !== h.ssid) c.ssid = ssid;
  if ($("hs-pass").value) c.passphrase = $("hs-pass").value;
  if ($("hs-generate").checked) c.generate_passphrase = true;
  if ($("hs-security").value !== h.security) c.security = $("hs-security").value;
  if ($("hs-band").value !== h.band) c.band = $("hs-band").value;
  const ch = numOrNull($("hs-channel").value);
  if (ch !== (h.channel ?? null)) c.channel = ch;
  const max = numOrNull($("hs-max").value);
  if (max !== null && max !== h.max_clients) c.max_clients = max;
  const idle = numOrNull($("hs-idle").value);
  if (idle !== null && idle !== h.auto_off_minutes) c.auto_off_minutes = idle;
  if ($("hs-hidden").checked !== h.hidden) c.hidden = $("hs-hidden").checked;
  if ($("hs-isolate").checked !== h.isolate_clients) c.isolate_clients = $("hs-isolate").checked;
  return c;
}

// ---- eSIM ----------------------------------------------------------------------------------

const ESIM_STATE = { enabled: ["enabled", "enabled"], disabled: ["disabled", "disabled"] };

function buildProfileRow() {
  const tr = emptyRow($("profiles"), 6);
  tr.cells[1].className = "mono";
  const toggle = el("button", { cls: "toggle", attrs: { type: "button" } });
  toggle.addEventListener("click", () => profileAction(tr.dataset.key, toggle.dataset.action, toggle));
  const rename = el("button", { cls: "rename", text: t("rename", "Nickname"), attrs: { type: "button" } });
  rename.addEventListener("click", () => openNick(tr.dataset.key));
  const del = el("button", { cls: "delete danger", text: t("delete", "Delete"), attrs: { type: "button" } });
  del.addEventListener("click", () => profileAction(tr.dataset.key, "delete", del));
  tr.cells[5].append(toggle, rename, del);
  return tr;
}

const profilesByIccid = new Map();
function updateProfileRow(tr, p) {
  profilesByIccid.set(p.iccid, p);
  const [key, en] = ESIM_STATE[p.state] || [p.state, p.state];
  cells(tr, [p.name, p.iccid, p.provider, p.nickname, t(key, en)]);
  tr.cells[4].className = p.state === "enabled" ? "state-on" : "";
  const toggle = tr.querySelector("button.toggle");
  toggle.dataset.action = p.state === "enabled" ? "disable" : "enable";
  toggle.textContent = p.state === "enabled" ? t("disable", "Disable") : t("enable", "Enable");
}

async function loadEsim() {
  const [info, profiles, notes] = await Promise.all([
    api("GET", "/esim/info"), api("GET", "/esim/profiles"), api("GET", "/esim/notifications"),
  ]);
  fillDl($("esim-info"), [
    [t("eid", "EID"), info.eid, "mono"],
    ["SGP.22", info.svn],
    [t("free_memory", "Free memory"), fmtBytes(info.free_nvm)],
    ["SM-DP+", info.default_smdp_address || "-"],
    ["SM-DS", info.root_smds_address || "-"],
  ]);
  const codes = (info.test_smdp && info.test_smdp.activation_codes) || [];
  $("demo-codes").hidden = codes.length === 0;
  const list = $("demo-code-list");
  const key = JSON.stringify(codes);
  if (list.dataset.codes !== key) {  // redraw only on change, so a click in flight keeps its button
    list.dataset.codes = key;
    list.replaceChildren(...codes.map(code => el("li", {},
      el("code", { text: code }), " ",
      el("button", { text: t("use", "Use"), attrs: { type: "button" }, onclick: () => { $("ac").value = code; } }))));
  }
  renderProfiles(profiles.profiles);
  const n = notes.notifications.length;
  $("notif-count").textContent = `${n} ${t("pending", "pending")}`;
  $("notif-process").hidden = n === 0;
}

function renderProfiles(list) {
  syncRows($("profiles"), list, p => p.iccid, buildProfileRow, updateProfileRow);
  $("profiles-empty").hidden = list.length > 0;
}

async function profileAction(iccid, action, btn) {
  const p = profilesByIccid.get(iccid);
  const label = `${(p && (p.nickname || p.name)) || ""} (${iccid})`;
  if (action === "delete" && !confirm(t("confirm_delete", "Delete profile {0} for good? This cannot be undone.", label))) return;
  await act($("profiles-error"), async () => {
    await api("POST", `/esim/profiles/${encodeURIComponent(iccid)}/${action}`);
    renderProfiles((await api("GET", "/esim/profiles")).profiles);
  }, btn);
}

function openNick(iccid) {
  const p = profilesByIccid.get(iccid) || {};
  $("nick-form").dataset.iccid = iccid;
  $("nick-iccid").textContent = iccid;
  $("nick").value = p.nickname || "";
  $("nick-form").hidden = false;
  $("nick").focus();
}

async function download(ev) {
  ev.preventDefault();
  const body = { activation_code: $("ac").value.trim() };
  const cc = $("cc").value.trim();
  if (cc) body.confirmation_code = cc;
  $("download-result").textContent = "";
  $("download-progress").textContent = t("downloading", "Downloading…");
  let polling = true;
  const poll = async () => {
    while (polling) {
      try {
        const p = (await api("GET", "/esim/progress")).progress;
        if (p && polling) {
          $("download-progress").textContent = `${t("downloading", "Downloading…")} ${p.stage}` +
            (p.total ? ` (${p.done}/${p.total})` : "") + (p.detail ? ` — ${p.detail}` : "");
        }
      } catch (exc) { /* progress is best-effort; the download call reports errors */ }
      await new Promise(r => setTimeout(r, 400));
    }
  };
  poll();
  const res = await act($("download-error"), () => api("POST", "/esim/download", body), $("download"));
  polling = false;
  $("download-progress").textContent = "";
  if (res) {
    $("ac").value = ""; $("cc").value = "";
    $("download-result").textContent = `${t("installed", "Installed")}: ${res.name || "?"} (${res.iccid})` +
      (res.provider ? ` — ${res.provider}` : "");
    await act($("profiles-error"), loadEsim);
  }
}

// ---- SIM slots -----------------------------------------------------------------------------

function buildSlotRow() {
  const tr = emptyRow($("slots"), 6);
  tr.cells[2].className = "mono";
  const btn = el("button", { cls: "switch", text: t("switch", "Use this slot"), attrs: { type: "button" } });
  btn.addEventListener("click", async () => {
    const slot = Number(tr.dataset.key);
    if (!confirm(t("confirm_switch", "Switch to slot {0}? The connection drops for a moment.", slot))) return;
    await act($("slots-error"), async () => {
      await api("POST", "/sim/switch", { slot });
      renderSlots((await api("GET", "/status")).modem);
    }, btn);
  });
  tr.cells[5].append(btn);
  return tr;
}

function renderSlots(m) {
  const slots = m ? m.slots : [];
  syncRows($("slots"), slots, s => String(s.index), buildSlotRow, (tr, s) => {
    cells(tr, [s.index, t(s.kind, s.kind), s.present ? s.iccid : "—", s.operator_name, s.active ? "✓" : ""]);
    tr.querySelector("button.switch").hidden = s.active || !s.present;
  });
  const pinNeeded = m && m.unlock_required === "sim-pin";
  $("pin-form").hidden = !pinNeeded;
  if (pinNeeded) $("pin-retries").textContent = m.unlock_retries == null ? "" : `${t("retries", "attempts left")}: ${m.unlock_retries}`;
}

// ---- Events (SSE over fetch, so every named event arrives through one reader) --------------

const MAX_EVENTS = 300;
let eventsAbort = null;

function addEvent(ev) {
  const list = $("events");
  const text = ZH_EVENTS[ev.kind] && lang ? `${ZH_EVENTS[ev.kind]} (${ev.kind})` : ev.kind;
  const li = el("li", { cls: "kind-" + ev.kind.split(".")[0] },
    el("time", { text: fmtTime(ev.ts) }), el("strong", { text: text }),
    el("span", { cls: "mono", text: Object.entries(ev.data || {}).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join("  ") }));
  li.dataset.id = ev.id;
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  if (ev.kind.startsWith("esim.") && activeTab === "esim" && ev.kind !== "esim.download.progress") refreshTab();
  if ((ev.kind.startsWith("sharing.") || ev.kind.startsWith("hotspot.")) && activeTab === "overview") refreshTab();
}

async function followEvents() {
  let lastId = 0;
  while (eventsAbort) {
    const ctrl = eventsAbort;
    try {
      const r = await fetch("/api/v1/events?history=" + (lastId ? "false" : "true"), { credentials: "same-origin", signal: ctrl.signal });
      if (r.status === 401) { showLogin(); return; }
      if (!r.ok || !r.body) throw new Error("HTTP " + r.status);
      setLive(true);
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
          const data = block.split("\n").filter(l => l.startsWith("data: ")).map(l => l.slice(6)).join("\n");
          if (!data) continue;
          const ev = JSON.parse(data);
          if (ev.id > lastId) { lastId = ev.id; addEvent(ev); }
        }
      }
    } catch (exc) {
      if (ctrl.signal.aborted) return;
    }
    setLive(false);
    await new Promise(r => setTimeout(r, 3000));
  }
}
function setLive(on) {
  $("events-live").textContent = on ? "● " + t("live", "live") : t("offline", "offline");
  $("events-live").className = "pill " + (on ? "on" : "off");
}

// ---- Tabs, polling, login ------------------------------------------------------------------

const LOADERS = {
  overview: loadOverview, usage: loadUsage, clients: loadClients,
  hotspot: () => loadHotspot(false), esim: loadEsim, slots: async () => {}, events: async () => {},
};
let activeTab = "overview";
let timer = null;

function selectTab(name) {
  if (!(name in LOADERS)) name = "overview";
  if (name !== activeTab) window.scrollTo(0, 0);
  activeTab = name;
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const s of document.querySelectorAll("section.tab")) s.hidden = s.id !== "tab-" + name;
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
  if (name === "hotspot") act($("hotspot-error"), () => loadHotspot(true));
  else refreshTab();
  if (name === "slots" && lastStatus) renderSlots(lastStatus.modem);
}

async function refreshTab() {
  await act($("global-error"), () => LOADERS[activeTab]());
}

async function poll() {
  clearTimeout(timer);
  try {
    renderStatus(await api("GET", "/status"));
    $("global-error").textContent = "";
    if (activeTab !== "hotspot" && activeTab !== "esim") await LOADERS[activeTab]();
  } catch (exc) {
    if (exc.status === 401) return;
    $("global-error").textContent = exc.message;
  }
  timer = setTimeout(poll, 3000);
}

function showLogin() {
  clearTimeout(timer);
  if (eventsAbort) { eventsAbort.abort(); eventsAbort = null; }
  $("dashboard").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
}

function showDashboard() {
  $("login").hidden = true;
  $("dashboard").hidden = false;
  $("logout").hidden = false;
  selectTab(location.hash.slice(1) || activeTab);
  poll();
  if (!eventsAbort) { eventsAbort = new AbortController(); $("events").replaceChildren(); followEvents(); }
}

function applyI18n() {
  if (!lang) return;
  document.documentElement.lang = "zh-CN";
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n, e.textContent);
  $("hs-pass").placeholder = "不修改";
}

function wire() {
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => selectTab(b.dataset.tab));
  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      await fetch("/api/v1/login", {
        method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
        body: JSON.stringify({ password: $("password").value }),
      }).then(async r => {
        if (!r.ok) {
          const detail = detailText(await r.json().catch(() => null), r.status);
          throw new Error(r.status === 401 ? t("wrong", detail) : detail);
        }
      });
      $("password").value = "";
      showDashboard();
    } catch (exc) {
      $("login-error").textContent = exc.message;
    }
  });
  $("logout").addEventListener("click", async () => {
    await fetch("/api/v1/logout", { method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin" });
    showLogin();
  });
  $("sharing-toggle").addEventListener("click", (ev) => act($("sharing-error"), async () => {
    await api("POST", "/hotspot/" + ev.target.dataset.action);
    await loadOverview();
  }, ev.target));
  $("sharing-wake").addEventListener("click", (ev) => act($("sharing-error"), async () => {
    await api("POST", "/power/wake");
    await loadOverview();
  }, ev.target));
  $("usage-period").addEventListener("change", refreshTab);
  $("limit-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const mac = $("limit-form").dataset.mac;
    act($("limit-error"), async () => {
      await api("POST", `/hotspot/clients/${encodeURIComponent(mac)}/limit`,
        { rate_down_kbit: numOrNull($("limit-down").value), rate_up_kbit: numOrNull($("limit-up").value) });
      $("limit-form").hidden = true;
      await loadClients();
    });
  });
  $("correct-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = $("correct-form").dataset.plan;
    act($("correct-error"), async () => {
      await api("POST", `/plans/${encodeURIComponent(id)}/usage`, { used_bytes: $("correct-used").value.trim(), note: "corrected in the web UI" });
      $("correct-form").hidden = true;
      await loadUsage();
    }, ev.submitter);
  });
  $("correct-cancel").addEventListener("click", () => { $("correct-form").hidden = true; });
  $("limit-cancel").addEventListener("click", () => { $("limit-form").hidden = true; });
  $("reveal").addEventListener("click", () => { revealed = !revealed; act($("hotspot-error"), () => loadHotspot(false)); });
  $("hotspot-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    $("hotspot-ok").textContent = "";
    const changes = hotspotChanges();
    if (!Object.keys(changes).length) { $("hotspot-ok").textContent = t("nothing_changed", "Nothing to change."); return; }
    for (const e of document.querySelectorAll("#hotspot-form .invalid")) e.classList.remove("invalid");
    act($("hotspot-error"), async () => {
      let h;
      try {
        h = await api("POST", "/hotspot/settings", changes);
      } catch (exc) {  // the server names the field the error is about: mark that input
        const field = HOTSPOT_FIELDS[(exc.field || "").split(".")[0]];
        if (field) { $(field).classList.add("invalid"); $(field).focus(); }
        throw exc;
      }
      renderHotspot(h);
      fillHotspotForm(h);
      refreshQr();
      if (revealed) await loadHotspot(false);
      $("hotspot-ok").textContent = t("saved", "Saved.");
    }, ev.submitter);
  });
  $("download-form").addEventListener("submit", download);
  $("nick-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const iccid = $("nick-form").dataset.iccid;
    act($("profiles-error"), async () => {
      await api("POST", `/esim/profiles/${encodeURIComponent(iccid)}/nickname`, { nickname: $("nick").value });
      $("nick-form").hidden = true;
      renderProfiles((await api("GET", "/esim/profiles")).profiles);
    });
  });
  $("nick-cancel").addEventListener("click", () => { $("nick-form").hidden = true; });
  $("notif-process").addEventListener("click", (ev) => act($("notif-error"), async () => {
    await api("POST", "/esim/notifications/process", {});
    await loadEsim();
  }, ev.target));
  $("pin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    act($("pin-error"), async () => {
      await api("POST", "/sim/unlock", { pin: $("pin").value });
      $("pin").value = "";
      renderStatus(await api("GET", "/status"));
    });
  });
  window.addEventListener("hashchange", () => { if (!$("dashboard").hidden) selectTab(location.hash.slice(1)); });
}

document.addEventListener("DOMContentLoaded", () => {
  applyI18n();
  wire();
  fetch("/api/v1/status", { credentials: "same-origin" })
    .then(r => (r.ok ? showDashboard() : showLogin()))
    .catch(showLogin);
});
