// simspot fleet view (ES modules, no build step; the box dashboard's api.js, dom.js, charts.js and
// i18n.js are served as they are). The CSP forbids inline scripts and styles: every text goes
// through textContent, every element is built with createElement.

import "./fleet-i18n.js";
import { act, api, detailText, whenUnauthorized } from "./api.js";
import { legend, stackedBars } from "./charts.js";
import { $, bar, cells, el, emptyRow, fillDl, syncRows } from "./dom.js";
import { LANG, applyI18n, fmtBytes, fmtDate, loadCatalogue, locale, message, setLang, t } from "./i18n.js";

const ACTIONS = {
  "plan.set": ['{"iccid": "89860110000000000214", "name": "10 GB", "allowance_bytes": "10GB", "cycle": {"kind": "monthly", "day": 1}}', "Set a plan"],
  "uplink.use": ['{"id": "89860110000000000214"}', "Switch uplink"],
  "uplink.auto": ["{}", "Choose the uplink automatically"],
  "esim.download": ['{"activation_code": "LPA:1$smdp.example.com$MATCHING-ID"}', "Download an eSIM profile"],
  "guest.add": ['{"name": "Visitor", "until": "2026-12-31T20:00:00+08:00", "allowance_bytes": "500MB"}', "Make a guest pass"],
  "guest.revoke": ['{"id": "abc123"}', "Revoke a guest pass"],
  "client.block": ['{"mac": "aa:bb:cc:dd:ee:ff"}', "Block a client"],
  "client.unblock": ['{"mac": "aa:bb:cc:dd:ee:ff"}', "Unblock a client"],
  "hotspot.on": ["{}", "Turn the hotspot on"],
  "hotspot.off": ["{}", "Turn the hotspot off"],
};
const actionLabel = (a) => t("act_" + a.replace(".", "_"), (ACTIONS[a] || [null, a])[1]);
const STATES = { online: "Online", offline: "Offline", quiet: "Quiet", unknown: "Never seen" };
const CMD_STATES = { pending: "Pending", ok: "OK", failed: "Failed", expired: "Expired" };

let timer = null;
let selected = null;  // the box shown in the detail panel
let boxes = [];

function pill(text, cls) { return el("span", { cls: "pill " + cls, text }); }
function pct(v) { return v == null ? "-" : v + " %"; }
function enc(s) { return encodeURIComponent(s); }
// Short axis labels (the hour alone, the day as month/day); the full time is the bar's title.
function label(at, by) {
  const d = new Date(at);
  return by === "hour" ? String(d.getHours()).padStart(2, "0")
    : d.toLocaleDateString(locale, { month: "numeric", day: "numeric" });
}
function title(at, by) {
  const d = new Date(at);
  return by === "hour" ? d.toLocaleString(locale, { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" })
    : d.toLocaleDateString(locale, { dateStyle: "medium" });
}
function tz() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (exc) { return "UTC"; }
}

// ---- Boxes -------------------------------------------------------------------------------------

async function loadBoxes() {
  const group = $("group-filter").value;
  const data = await api("GET", "/boxes" + (group ? "?group=" + enc(group) : ""));
  boxes = data.boxes;
  const online = boxes.filter(b => b.state === "online").length;
  $("box-counts").textContent = t("boxes_online", "{0} of {1} online", online, boxes.length);
  syncRows($("boxes"), boxes, b => b.id, (b) => {
    const tr = emptyRow($("boxes"), 10);
    tr.addEventListener("click", () => openBox(tr.dataset.key));
    return tr;
  }, (tr, b) => {
    cells(tr, [
      null, b.group, null, fmtDate(b.last_seen), b.uplink_label || b.uplink, pct(b.signal),
      pct(b.battery), b.clients, null, b.open_alerts || "0",
    ]);
    const name = [el("strong", { text: b.name || b.id })];
    if (b.name && b.name !== b.id) name.push(el("span", { cls: "muted mono", text: " " + b.id }));
    if (b.simulated.length) name.push(el("span", { cls: "badge sim-mark", text: t("simulated_mark", "SIMULATED"), attrs: { title: b.simulated.join(", ") } }));
    tr.cells[0].replaceChildren(...name);
    tr.cells[2].replaceChildren(pill(t("st_" + b.state, STATES[b.state]), b.state === "online" ? "on" : b.state === "offline" ? "off" : b.state));
    tr.cells[8].replaceChildren(b.state === "online" || b.state === "quiet"
      ? pill(b.sharing ? t("sharing_yes", "Sharing") : t("sharing_no", "Not sharing"), b.sharing ? "on" : "off")
      : el("span", { text: "-" }));
    if (!b.sharing && b.reason) tr.cells[8].title = b.reason;
    tr.classList.toggle("selected", b.id === selected);
  });
  fillTargets();
  if (selected) renderInfo(boxes.find(b => b.id === selected));
}

async function loadGroups() {
  const groups = await api("GET", "/groups");
  for (const sel of [$("group-filter"), $("cmd-group")]) {
    const keep = sel.value;
    const first = sel === $("group-filter") ? [sel.options[0]] : [];
    sel.replaceChildren(...first, ...groups.map(g => el("option", { text: `${g.name} (${g.boxes})`, attrs: { value: g.name } })));
    if ([...sel.options].some(o => o.value === keep)) sel.value = keep;
  }
}

// ---- One box -----------------------------------------------------------------------------------

function renderInfo(b) {
  if (!b) return;
  $("detail-name").textContent = b.name || b.id;
  $("detail-sim").textContent = b.simulated.length ? t("simulated_mark", "SIMULATED") : "";
  fillDl($("detail-info"), [
    [t("box", "Box"), b.id],
    [t("state", "State"), t("st_" + b.state, STATES[b.state])],
    [t("last_seen", "Last seen"), fmtDate(b.last_seen)],
    [t("uplink_now", "Uplink"), [b.uplink_label, b.uplink].filter(Boolean).join(" · ")],
    [t("sharing", "Sharing"), b.sharing ? t("sharing_yes", "Sharing") : `${t("sharing_no", "Not sharing")}${b.reason ? " — " + b.reason : ""}`],
    [t("version", "Version"), b.version],
    [t("guests_n", "Guests"), b.guests],
  ]);
}

async function openBox(id) {
  selected = id;
  $("box-detail").hidden = false;
  for (const tr of $("boxes").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.key === id);
  renderInfo(boxes.find(b => b.id === id));
  if ($("cmd-target").value === "box") $("cmd-box").value = id;
  await loadDetail();
  $("box-detail").scrollIntoView({ block: "nearest" });
}

async function loadDetail() {
  if (!selected) return;
  const id = selected, by = $("usage-by").value;
  const [usage, plans, events] = await Promise.all([
    api("GET", `/boxes/${enc(id)}/usage?by=${by}&tz=${enc(tz())}`),
    api("GET", `/boxes/${enc(id)}/plans`),
    api("GET", `/boxes/${enc(id)}/events?limit=50`),
  ]);
  if (id !== selected) return;
  drawUsage($("box-chart"), $("box-legend"), usage, by, (k) => k);
  $("box-usage-total").textContent = t("total_n", "Total {0}", `↓ ${fmtBytes(usage.rx)} / ↑ ${fmtBytes(usage.tx)}`);
  renderPlans(plans);
  renderEvents(events.events);
}

function drawUsage(box, legendBox, usage, by, name) {
  const series = usage.parts.map(k => ({ key: k, label: name(k) }));
  const points = usage.points.map(p => ({
    label: label(p.at, by),
    title: title(p.at, by),
    values: usage.parts.map(k => p.parts[k] || 0),
  }));
  stackedBars(box, { points, series, fmt: fmtBytes });
  legendBox.replaceChildren(legend(series));
}

function renderPlans(data) {
  const div = $("plans");
  div.replaceChildren();
  for (const p of data.plans) {
    const s = p.plan;
    const art = el("div", { cls: "plan" }, el("h3", { text: `${s.name} ` }, el("span", { cls: "muted mono", text: s.iccid })));
    if (s.allowance) {
      art.append(bar(s.used / s.allowance));
      art.append(el("p", { text: `${t("used", "Used")} ${fmtBytes(s.used)} ${t("of", "of")} ${fmtBytes(s.allowance)} · ${t("left", "left")} ${fmtBytes(s.left)}` }));
    } else {
      art.append(el("p", { text: `${t("used", "Used")} ${fmtBytes(s.used)} · ${t("unlimited", "unlimited")}` }));
    }
    if (s.forecast != null) art.append(el("p", { cls: "forecast", text: `${t("forecast_end", "Forecast for the cycle")}: ${fmtBytes(s.forecast)}` }));
    if (s.cycle_end) art.append(el("p", { cls: "muted", text: `${t("cycle_dates", "Cycle")} → ${fmtDate(s.cycle_end)}` }));
    div.append(art);
  }
  if (!data.plans.length) div.append(el("p", { cls: "muted", text: t("none", "none") }));
  syncRows($("sims"), data.sims, s => s.key, () => emptyRow($("sims"), 4), (tr, s) => {
    cells(tr, [s.key + (s.current ? ` (${t("current", "current")})` : ""), s.plan, `↓ ${fmtBytes(s.rx_31d)} / ↑ ${fmtBytes(s.tx_31d)}`, fmtDate(s.last_used)]);
  });
}

function renderEvents(events) {
  $("events").replaceChildren(...events.map(e => el("li", { cls: "sev-" + e.severity },
    el("time", { text: fmtDate(e.ts) }),
    el("span", { cls: "sev", text: t("sev_" + e.severity, e.severity) }),
    el("span", { cls: "text", text: e.message ? message(e.message) : e.text }),
    el("span", { cls: "kind", text: e.kind }))));
}

// ---- Fleet usage and alerts ----------------------------------------------------------------------

async function loadFleetUsage() {
  const group = $("group-filter").value;
  const usage = await api("GET", `/usage?by=day&tz=${enc(tz())}` + (group ? "&group=" + enc(group) : ""));
  const names = new Map(boxes.map(b => [b.id, b.name || b.id]));
  drawUsage($("fleet-chart"), $("fleet-legend"), usage, "day", k => names.get(k) || k);
  $("fleet-total").textContent = t("total_n", "Total {0}", `↓ ${fmtBytes(usage.rx)} / ↑ ${fmtBytes(usage.tx)}`);
}

async function loadAlerts() {
  const data = await api("GET", "/alerts?state=" + $("alert-state").value);
  $("no-alerts").hidden = data.alerts.length > 0;
  syncRows($("alerts"), data.alerts, a => String(a.id), () => emptyRow($("alerts"), 4), (tr, a) => {
    cells(tr, [fmtDate(a.raised_at), a.box, message(a.message), a.cleared_at ? fmtDate(a.cleared_at) : "-"]);
    tr.className = a.cleared_at ? "" : "open";
  });
}

// ---- Commands ----------------------------------------------------------------------------------

function fillTargets() {
  const sel = $("cmd-box"), keep = sel.value || selected;
  sel.replaceChildren(...boxes.map(b => el("option", { text: b.name && b.name !== b.id ? `${b.name} (${b.id})` : b.id, attrs: { value: b.id } })));
  if (keep && boxes.some(b => b.id === keep)) sel.value = keep;
}

function fillActions() {
  $("cmd-action").replaceChildren(...Object.keys(ACTIONS).map(a => el("option", { text: actionLabel(a), attrs: { value: a } })));
  showExample();
}

function showExample() {
  const example = ACTIONS[$("cmd-action").value][0];
  $("cmd-args").placeholder = example;
  $("cmd-hint").textContent = t("example", "Example: {0}", example);
}

async function sendCommand(ev) {
  ev.preventDefault();
  await act($("cmd-error"), async () => {
    const text = $("cmd-args").value.trim();
    let args = {};
    if (text) {
      try { args = JSON.parse(text); } catch (exc) { args = null; }
      if (args === null || typeof args !== "object" || Array.isArray(args)) throw new Error(t("args_json", "args: not a JSON object"));
    }
    const body = { action: $("cmd-action").value, args };
    if ($("cmd-target").value === "group") body.group = $("cmd-group").value;
    else body.box = $("cmd-box").value;
    await api("POST", "/commands", body);
    await loadCommands();
  }, ev.submitter);
}

function answerText(c) {
  if (c.state === "failed" || c.state === "expired") return c.error || "-";
  if (c.state !== "ok" || !c.result) return "-";
  const r = Object.entries(c.result).filter(([, v]) => v != null && typeof v !== "object").slice(0, 6);
  return r.map(([k, v]) => `${k}: ${v}`).join(", ") || "✓";
}

async function loadCommands() {
  const data = await api("GET", "/commands?limit=20");
  syncRows($("commands"), data.commands, c => c.id, () => emptyRow($("commands"), 5), (tr, c) => {
    cells(tr, [fmtDate(c.created_at), c.box, actionLabel(c.action), null, answerText(c)]);
    tr.cells[4].className = "answer";
    const state = pill(t("cmd_" + c.state, CMD_STATES[c.state]), c.state);
    if (tr.cells[3].textContent !== state.textContent) tr.cells[3].replaceChildren(state);
    tr.dataset.state = c.state;
  });
}

// ---- Polling, login ----------------------------------------------------------------------------

// The fleet's usage sums every box's records: asked for once a minute, not on every poll.
const FLEET_USAGE_EVERY_MS = 60000;
let fleetUsageAt = 0;

async function refresh(full = false) {
  await act($("global-error"), async () => {
    await loadGroups();
    await loadBoxes();
    const due = full || Date.now() - fleetUsageAt > FLEET_USAGE_EVERY_MS;
    if (due) fleetUsageAt = Date.now();
    await Promise.all([due ? loadFleetUsage() : null, loadAlerts(), loadCommands(), loadDetail()]);
  });
}

async function poll() {
  clearTimeout(timer);
  await refresh();
  if (!$("dashboard").hidden) timer = setTimeout(poll, 3000);
}

function showLogin() {
  clearTimeout(timer);
  $("dashboard").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
}

function showDashboard() {
  fleetUsageAt = 0;
  $("login").hidden = true;
  $("dashboard").hidden = false;
  $("logout").hidden = false;
  poll();
}

function wire() {
  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      const r = await fetch("/api/v1/login", {
        method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
        body: JSON.stringify({ password: $("password").value }),
      });
      if (!r.ok) {
        const detail = detailText(await r.json().catch(() => null), r.status);
        throw new Error(r.status === 401 ? t("wrong", detail) : detail);
      }
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
  $("lang").value = LANG;
  $("lang").addEventListener("change", () => setLang($("lang").value));
  $("group-filter").addEventListener("change", () => refresh(true));
  $("alert-state").addEventListener("change", () => act($("global-error"), loadAlerts));
  $("usage-by").addEventListener("change", () => act($("global-error"), loadDetail));
  $("detail-close").addEventListener("click", () => { selected = null; $("box-detail").hidden = true; });
  $("cmd-target").addEventListener("change", () => {
    const group = $("cmd-target").value === "group";
    $("cmd-group-label").hidden = !group;
    $("cmd-box-label").hidden = group;
  });
  $("cmd-action").addEventListener("change", showExample);
  $("command-form").addEventListener("submit", sendCommand);
  fillActions();
}

document.addEventListener("DOMContentLoaded", async () => {
  await loadCatalogue();
  applyI18n();
  whenUnauthorized(showLogin);
  wire();
  try {
    await api("GET", "/groups");
    showDashboard();
  } catch (exc) {
    showLogin();
  }
});
