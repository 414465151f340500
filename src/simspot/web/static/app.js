// simspot admin UI (ES modules, no build step). The CSP forbids inline scripts and styles: every
// text goes through textContent, every element is built with createElement. Nothing secret is
// ever logged.

import { act, api, detailText, whenUnauthorized } from "./api.js";
import { $, bar, cells, el, emptyRow, fillDl, syncKeyed, syncRows, whenChanged } from "./dom.js";
import { refreshNames, startEvents, stopEvents, wireEvents } from "./events.js";
import { drawPlanCharts, loadHistory, openClient, wireHistory } from "./history.js";
import { askForConfirmationCode, wireScan } from "./scan.js";
import { loadGuests, wireGuests } from "./guests.js";
import { loadUplinks, wireUplinks } from "./uplinks.js";
import { LANG, applyI18n, fmtBytes, fmtDate, fmtDuration, loadCatalogue, message, setLang, t } from "./i18n.js";

// ---- Overview ------------------------------------------------------------------------------

const REASONS = {
  battery: ["held_battery", "battery low"], idle: ["held_idle", "idle, no clients"],
  plan: ["held_plan", "plan limit"], user: ["held_user", "turned off by you"],
};
let lastStatus = null;
let lastUplink = null;  // GET /uplink (the uplink policy's choice); null without the policy

// The uplink in use: the policy's choice (a SIM on either modem, an eSIM profile, the wired WAN)
// by its label; before the policy has chosen (or without it), the first modem's active slot.
function uplinkInUse() {
  const active = lastUplink && lastUplink.active;
  if (active) {
    const c = lastUplink.candidates.find(x => x.id === active);
    return { id: active, text: c ? (LANG === "zh" && c.label_zh) || c.label : active };
  }
  const m = lastStatus && lastStatus.modem;
  const slot = m && m.slots.find(s => s.active);
  if (!slot) return null;
  // (the uplink in use, or with none in use, e.g. every plan used up, the slot's own SIM)
  return { id: lastStatus.uplink_iccid || slot.iccid, text: `${slot.operator_name || "?"} (${t("slot", "slot")} ${slot.index})` };
}

function renderSummary() {
  if (!lastStatus) return;
  const up = uplinkInUse();
  fillDl($("summary"), [
    [t("clients_n", "Devices"), lastStatus.clients.length],
    [t("uplink", "Uplink"), up ? up.text : "-"],
    [t("uptime", "Uptime"), fmtDuration(lastStatus.uptime_s)],
  ]);
}

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
  renderSummary();
  // The join card names the admin page on the hotspot and its certificate's fingerprint, so a
  // phone that joined can check the certificate it is shown before logging in.
  $("qr-admin").hidden = !st.admin_lan_url;
  fillDl($("qr-admin"), st.admin_lan_url ? [
    [t("admin_page", "Admin page"), st.admin_lan_url],
    [t("cert_sha256", "Certificate SHA-256"), st.admin_lan_fingerprint || "-", "fingerprint"],
  ] : []);
  renderComponents(st.components);
  if (activeTab === "slots") renderSlots(m);
}

// The components not running, each with its state and its last error: the error's sentence by
// its id in the reader's language (a bug's exception text, which names no sentence, as it is).
const COMPONENT_STATE = { starting: "starting", restarting: "restarting", failed: "failed", stopped: "stopped" };
function componentText(c) {
  const name = t("comp_" + c.name, c.name);
  const state = t("comp_state_" + c.state, COMPONENT_STATE[c.state] || c.state);
  const error = c.last_error_message ? message(c.last_error_message) : c.last_error || "";
  return error ? `${name}${t("colon", ": ")}${state}${t("paren_open", " (")}${error}${t("paren_close", ")")}` : `${name}${t("colon", ": ")}${state}`;
}
export function renderComponents(components) {
  const bad = components.filter(c => c.state !== "running");
  const text = bad.map(componentText).join(t("semicolon", "; "));
  if ($("components").textContent !== text) $("components").textContent = text;
}

function renderSharing(power) {
  const s = power.sharing;
  const pill = $("sharing-state");
  pill.textContent = s.enabled ? t("sharing_on", "Sharing") : t("sharing_off", "Not sharing");
  pill.className = "pill " + (s.enabled ? "on" : "off");
  const ul = $("sharing-reasons");
  ul.replaceChildren();
  const said = s.reasons_said || {};
  for (const [reason, why] of Object.entries(s.reasons)) {
    const [key, en] = REASONS[reason] || [reason, reason];
    const text = said[reason] ? message(said[reason]) : why;
    ul.append(el("li", {}, el("strong", { text: t(key, en) }), el("span", { text: " — " + text })));
  }
  const userHeld = "user" in s.reasons;
  $("sharing-toggle").textContent = userHeld ? t("turn_on", "Turn sharing on") : t("turn_off", "Turn sharing off");
  $("sharing-toggle").dataset.action = userHeld ? "up" : "down";
  $("sharing-wake").hidden = !("idle" in s.reasons);
}

async function loadOverview() {
  const [power, plans, uplink] = await Promise.all([
    api("GET", "/power"), api("GET", "/plans"),
    api("GET", "/uplink").catch(() => null),  // a daemon without the uplink policy has no route
  ]);
  renderSharing(power);
  lastUplink = uplink;
  renderSummary();
  const up = uplinkInUse();
  const iccid = up && up.id;  // the plan of the uplink in use (none for the wired WAN)
  const p = plans.plans.find(x => x.plan.iccid === iccid);
  const box = $("plan-glance");
  box.replaceChildren();
  if (p) {
    box.append(el("p", { text: `${p.plan.name}: ${fmtBytes(p.used_bytes)} / ${p.allowance_bytes == null ? t("unlimited", "unlimited") : fmtBytes(p.allowance_bytes)}` }));
    if (p.allowance_bytes) box.append(bar(p.used_bytes / p.allowance_bytes));
    if (p.forecast) box.append(el("p", { cls: "forecast", text: message(p.forecast.message) || p.forecast.explanation }));
  }
}

// ---- Usage & plans -------------------------------------------------------------------------

// A plan's card, built once per plan and updated in place on each poll: its figures are redrawn
// only when they changed; the chart box and the button stay the same elements.
const plansById = new Map();
function buildPlanCard(p) {
  const art = el("article", { cls: "plan" });
  const key = String(p.id);
  const btn = el("button", {
    cls: "correct", text: t("correct", "Correct usage"), attrs: { type: "button", "data-plan": key },
    onclick: () => openCorrect(plansById.get(key)),
  });
  art.append(el("div", { cls: "plan-figures" }),
    el("div", { cls: "chart plan-chart", attrs: { "data-plan": key } }),
    el("dl", { cls: "plan-facts" }), el("div", { cls: "actions" }, btn));
  return art;
}

function updatePlanCard(art, p) {
  plansById.set(String(p.id), p);
  whenChanged(art, JSON.stringify(p), () => {
    art.querySelector(".plan-figures").replaceChildren(...planFigures(p));
    fillDl(art.querySelector(".plan-facts"), [
      [t("cycle_dates", "Cycle"), `${fmtDate(p.cycle_start)} – ${fmtDate(p.cycle_end)}`],
      [t("price", "Price"), p.cost != null ? `${p.cost} ${p.currency || ""}` : "-"],
    ]);
  });
}

function planFigures(p) {
  const warn = [];
  if (p.expired) warn.push(t("expired", "expired"));
  if (p.exhausted) warn.push(t("exhausted", "allowance used up"));
  else if (p.percent != null && p.percent >= 80) warn.push(t("nearly", "over 80 % used"));
  if (p.plan && p.plan.tethering_allowed === false) warn.push(t("no_tethering", "tethering not allowed on this plan"));
  const art = [];
  art.push(el("h3", { text: p.plan.name }), el("p", { cls: "muted mono", text: "ICCID " + p.plan.iccid }));
  const allowance = p.allowance_bytes;
  art.push(el("p", { text: `${t("used", "Used")} ${fmtBytes(p.used_bytes)} ${t("of", "of")} ${allowance == null ? t("unlimited", "unlimited") : fmtBytes(allowance)}` + (p.remaining_bytes != null ? ` · ${t("remaining", "left")} ${fmtBytes(p.remaining_bytes)}` : "") }));
  if (allowance) art.push(bar(p.used_bytes / allowance));
  if (p.tethering_allowance_bytes) {
    art.push(el("p", { text: `${t("tethering", "Tethering")}${t("colon", ": ")}${fmtBytes(p.tethering_used_bytes)} ${t("of", "of")} ${fmtBytes(p.tethering_allowance_bytes)}` }));
    art.push(bar(p.tethering_used_bytes / p.tethering_allowance_bytes));
  }
  for (const w of warn) art.push(el("p", { cls: "badge warn", text: "⚠ " + w }));
  if (p.forecast) art.push(el("p", { cls: "forecast", text: message(p.forecast.message) || p.forecast.explanation }));
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
  syncKeyed($("plans"), plans.plans, p => p.id, buildPlanCard, updatePlanCard);
  $("plans-empty").hidden = plans.plans.length > 0;
  const rows = [...usage.rows].sort((a, b) => b.total_bytes - a.total_bytes);
  syncRows($("usage-clients"), rows, r => r.key, buildUsageRow,
    (tr, r) => cells(tr, [r.label, r.key, fmtBytes(r.rx_bytes), fmtBytes(r.tx_bytes), fmtBytes(r.total_bytes)]));
  await Promise.all([drawPlanCharts(), loadHistory()]);
}

function buildUsageRow() {
  const tr = emptyRow($("usage-clients"), 6);
  tr.cells[1].className = "mono";
  const btn = el("button", { cls: "history", text: t("show_history", "History"), attrs: { type: "button" } });
  btn.addEventListener("click", () => openClient(tr.dataset.key));
  tr.cells[5].append(btn);
  return tr;
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
  // The guest pass the device joined with (counted under it); none for the owner's key.
  if (c.guest_id) {
    tr.cells[0].append(el("span", {
      cls: "badge guest", text: t("client_guest", "guest pass: {0}", c.guest_name || c.guest_id),
      attrs: { "data-guest": c.guest_id },
    }));
  }
  tr.classList.toggle("is-blocked", !!c.blocked);
  const btn = tr.querySelector("button.block");
  btn.textContent = c.blocked ? t("unblock", "Unblock") : t("block", "Block");
  btn.dataset.blocked = c.blocked ? "1" : "";
}

async function loadClients() {
  const list = await api("GET", "/hotspot/clients");
  syncRows($("clients"), list, c => c.mac, buildClientRow, updateClientRow);
  $("clients-empty").hidden = list.length > 0;
  await loadDevices();
}

// Devices seen on the LAN (new-device approval, vendor, DHCP pool use).
function buildDeviceRow() {
  const tr = emptyRow($("devices"), 5);
  tr.cells[1].className = "mono";
  const btn = el("button", { cls: "approve", attrs: { type: "button" } });
  btn.addEventListener("click", () => act($("devices-error"), async () => {
    await api("POST", `/devices/${encodeURIComponent(tr.dataset.key)}/${btn.dataset.approved ? "unapprove" : "approve"}`);
    await loadDevices();
  }, btn));
  tr.cells[4].append(btn);
  return tr;
}

// The vendor column: a name from the OUI list as it is; the two sentences the server puts there
// for a randomised (locally administered) address or an unregistered one, in the reader's
// language (simspot.dataplane.devices.vendor).
const VENDOR_WORDS = {
  "private address (randomised by the device)": "vendor_private",
  "unknown vendor": "vendor_unknown",
};
function vendorText(v) {
  return VENDOR_WORDS[v] ? t(VENDOR_WORDS[v], v) : v;
}

const DEVICE_STATE = { waiting: "Waiting for approval", held: "Too many new devices; let in soon",
  allowed: "Allowed", approved: "Approved" };

function updateDeviceRow(tr, d) {
  cells(tr, [d.hostname || "?", d.mac, vendorText(d.vendor), t("dev_" + d.state, DEVICE_STATE[d.state] || d.state)]);
  tr.classList.toggle("is-blocked", d.state === "waiting" || d.state === "held");
  const btn = tr.querySelector("button.approve");
  btn.textContent = d.approved ? t("unapprove", "Unapprove") : t("approve", "Approve");
  btn.dataset.approved = d.approved ? "1" : "";
}

async function loadDevices() {
  const doc = await api("GET", "/devices");
  syncRows($("devices"), doc.devices, d => d.mac, buildDeviceRow, updateDeviceRow);
  $("devices-summary").textContent = [
    doc.approve_new_devices ? t("approval_on", "New devices need your approval.") : t("approval_off", "New devices may use the hotspot at once."),
    t("pool_use", "DHCP addresses in use: {0} of {1}.", doc.pool.used, doc.pool.size),
    t("spoofed", "Packets with spoofed addresses dropped: {0}.", doc.drops.spoofed_packets),
  ].join(" ");
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

// The hotspot's warnings in the reader's language (by id when the server gives them so).
function warningsText(h) {
  const said = h.warnings_said || [];
  return h.warnings.map((w, i) => (said[i] ? message(said[i]) : w)).join(LANG === "zh" ? "；" : "; ");
}
function renderHotspot(h) {
  hotspot = h;
  fillDl($("hotspot-info"), [
    ["SSID", h.ssid],
    [t("passphrase", "Password"), h.security === "open" ? "-" : h.passphrase, "mono"],
    [t("security", "Security"), h.security === "open" ? t("open", "open") : h.security.toUpperCase()],
    [`${t("band", "Band")} / ${t("channel", "Channel")}`, `${h.band} GHz / ${h.channel ?? t("auto", "auto")}`],
    [t("hidden", "Hidden network"), h.hidden ? t("yes", "yes") : t("no", "no")],
    [t("clients_n", "Devices"), `${h.clients} / ${h.max_clients}`],
    [t("interface", "Interface"), `${h.interface}${t("paren_open", " (")}${t("backend_" + h.backend, h.backend)}${t("paren_close", ")")}`],
    ...(h.warnings && h.warnings.length ? [[t("warnings", "Warnings"), warningsText(h), "error"]] : []),
    ...(h.last_error ? [["!", h.last_error_message ? message(h.last_error_message) : h.last_error, "error"]] : []),
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

// A download refused for its confirmation code: by the sentence's id (the text is translated),
// SGP.22 subject 8.2.7 being the confirmation code; the English text for an answer without id.
function asksForCode(exc) {
  const said = exc && exc.said;
  if (!said) return Boolean(exc && /confirmation code/i.test(exc.message));
  return said.id === "esim.confirmation-required" || said.id.startsWith("sgp22.8.2.7-")
    || (said.params && said.params.subject_code === "8.2.7");
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
          const stage = message({ id: `term.${p.stage}`, params: {}, text: p.stage });
          $("download-progress").textContent = `${t("downloading", "Downloading…")} ${stage}` +
            (p.total ? `${t("paren_open", " (")}${p.done}/${p.total}${t("paren_close", ")")}` : "") + (p.detail ? ` — ${p.detail}` : "");
        }
      } catch (exc) { /* progress is best-effort; the download call reports errors */ }
      await new Promise(r => setTimeout(r, 400));
    }
  };
  poll();
  let failure = null;
  const res = await act($("download-error"),
    () => api("POST", "/esim/download", body).catch((exc) => { failure = exc; throw exc; }), $("download"));
  polling = false;
  $("download-progress").textContent = "";
  // The SM-DP+ asked for a confirmation code that was not given (or was wrong): ask for it.
  if (!res && asksForCode(failure)) askForConfirmationCode();
  if (res) {
    $("ac").value = ""; $("cc").value = "";
    $("scan-result").textContent = "";
    $("cc").required = false;
    $("cc-label").classList.remove("needed");
    $("cc-needed").textContent = "";
    $("download-result").textContent = `${t("installed", "Installed")}${t("colon", ": ")}${res.name || "?"}${t("paren_open", " (")}${res.iccid}${t("paren_close", ")")}` +
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
  if (pinNeeded) $("pin-retries").textContent = m.unlock_retries == null ? "" : `${t("retries", "attempts left")}${t("colon", ": ")}${m.unlock_retries}`;
}
// ---- Events (events.js) ---------------------------------------------------------------------

function onEvent(ev) {
  if ((ev.kind.startsWith("guest.") || ev.kind.startsWith("hotspot.station-")) && activeTab === "guests") refreshTab();
  if (ev.kind.startsWith("esim.") && activeTab === "esim" && ev.kind !== "esim.download.progress") refreshTab();
  if (ev.kind.startsWith("uplink.") && activeTab === "uplinks") refreshTab();
  if ((ev.kind.startsWith("sharing.") || ev.kind.startsWith("hotspot.")) && activeTab === "overview") refreshTab();
}

// ---- Tabs, polling, login ------------------------------------------------------------------

const LOADERS = {
  overview: loadOverview, usage: loadUsage, clients: loadClients,
  hotspot: () => loadHotspot(false), guests: loadGuests, esim: loadEsim, slots: async () => {}, uplinks: loadUplinks, events: refreshNames,
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
  stopEvents();
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
  startEvents(onEvent, showLogin);
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
          const body = await r.json().catch(() => null);  // a throttled login names its sentence
          const detail = body && body.message ? message(body.message) : detailText(body, r.status);
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

document.addEventListener("DOMContentLoaded", async () => {
  applyI18n();
  whenUnauthorized(showLogin);
  wire();
  wireEvents();
  wireGuests();
  wireUplinks();
  wireHistory();
  wireScan();
  $("lang").value = LANG;
  $("lang").addEventListener("change", () => setLang($("lang").value));
  await loadCatalogue();
  fetch("/api/v1/status", { credentials: "same-origin" })
    .then(r => (r.ok ? showDashboard() : showLogin()))
    .catch(showLogin);
});
