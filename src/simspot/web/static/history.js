// Usage history: per day over the billing cycle or per hour today, stacked by client; a client's
// own history on click; each plan's running total with its allowance and the forecast.

import { api } from "./api.js";
import { legend, planChart, stackedBars } from "./charts.js";
import { $ } from "./dom.js";
import { fmtBytes, locale, message, t } from "./i18n.js";

function parts(iso, timeZone, opts) {
  try {
    return new Intl.DateTimeFormat(locale, { timeZone, ...opts }).format(new Date(iso));
  } catch (exc) {  // a zone this browser does not know: its own
    return new Intl.DateTimeFormat(locale, opts).format(new Date(iso));
  }
}
const short = (step) => (step === "day" ? { day: "numeric" } : { hour: "numeric", hourCycle: "h23" });
const long = (step) => (step === "day" ? { month: "short", day: "numeric", weekday: "short" } : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

function chartPoints(h) {
  return h.points.map(p => ({
    label: parts(p.start, h.time_zone, short(h.step)),
    title: parts(p.start, h.time_zone, long(h.step)),
    values: p.values,
  }));
}

function seriesOf(h) {
  return h.series.map(s => ({
    key: s.key,
    label: s.message ? message(s.message) : s.key === "rx" ? t("down", "Down") : s.key === "tx" ? t("up", "Up") : (s.label || s.key),
  }));
}

let openMac = null;

let lastMain = null, lastClient = null;  // the last answers, to redraw at a new width

export async function loadHistory() {
  const step = $("history-step").value;
  const h = await api("GET", "/usage/history?step=" + step);
  lastMain = h;
  drawMain(h);
  if (openMac) await loadClientHistory();
}

function drawMain(h) {
  const step = h.step;
  const series = seriesOf(h);
  const pick = (k) => { if (series[k].key !== "other") openClient(series[k].key); };
  stackedBars($("history-chart"), { points: chartPoints(h), series, fmt: fmtBytes, onPick: pick });
  $("history-chart").dataset.step = step;
  $("history-legend").replaceChildren(legend(series, pick));
  $("history-empty").hidden = series.length > 0;
}

export async function openClient(mac) {
  openMac = mac;
  $("client-history").hidden = false;
  await loadClientHistory();
  $("client-history").scrollIntoView({ block: "nearest" });
}

export function closeClient() {
  openMac = null;
  lastClient = null;
  $("client-history").hidden = true;
}

async function loadClientHistory() {
  const mac = openMac;
  const q = "&mac=" + encodeURIComponent(mac);
  const [days, hours] = await Promise.all([
    api("GET", "/usage/history?step=day" + q), api("GET", "/usage/history?step=hour" + q),
  ]);
  if (mac !== openMac) return;
  lastClient = { days, hours };
  drawClient(days, hours);
}

function drawClient(days, hours) {
  const mac = days.mac;
  $("client-history").dataset.mac = mac;
  $("client-history-name").textContent = days.label ? `${days.label} (${mac})` : mac;
  const total = days.points.reduce((a, p) => a + p.total_bytes, 0);
  const today = hours.points.reduce((a, p) => a + p.total_bytes, 0);
  $("client-history-total").textContent =
    `${t("period_cycle", "this cycle")}: ${fmtBytes(total)} · ${t("period_day", "today")}: ${fmtBytes(today)}`;
  const series = seriesOf(days);
  stackedBars($("client-days"), { points: chartPoints(days), series, fmt: fmtBytes, height: 180 });
  stackedBars($("client-hours"), { points: chartPoints(hours), series, fmt: fmtBytes, height: 180 });
  $("client-legend").replaceChildren(legend(series));
}

// ---- plans -----------------------------------------------------------------------------------

const planCache = new Map();  // plan id -> its last history, so a redrawn card shows it at once

function drawPlan(box, h) {
  if (!h.cycle_start) { box.replaceChildren(); return; }
  const ms = (iso) => new Date(iso).getTime();
  const start = ms(h.cycle_start), end = ms(h.cycle_end), now = ms(h.now);
  const steps = [];
  if (h.days.length) {
    const first = h.days[0];
    steps.push({ at: ms(first.start), bytes: Math.max(0, first.cumulative_bytes - first.used_bytes) });
    for (const d of h.days) steps.push({ at: Math.min(ms(d.end), now), bytes: d.cumulative_bytes });
  }
  const tick = [];
  for (let i = 0; i <= 3; i++) {
    const at = start + ((end - start) * i) / 3;
    tick.push({ at, label: parts(new Date(Math.min(at, end - 1)).toISOString(), h.time_zone, { month: "numeric", day: "numeric" }) });
  }
  planChart(box, {
    start, end, steps, allowance: h.allowance_bytes, fmt: fmtBytes, tick,
    forecast: h.forecast.map(p => ({ at: ms(p.at), bytes: p.bytes })),
    labels: { allowance: t("allowance", "allowance"), forecast: h.message ? message(h.message) : t("forecast", "forecast") },
  });
}

// Every plan card's chart box (.plan-chart[data-plan]): drawn from the last answer, then fetched.
export async function drawPlanCharts() {
  const boxes = [...document.querySelectorAll(".plan-chart[data-plan]")];
  for (const box of boxes) if (planCache.has(box.dataset.plan)) drawPlan(box, planCache.get(box.dataset.plan));
  await Promise.all(boxes.map(async (box) => {
    const h = await api("GET", `/plans/${encodeURIComponent(box.dataset.plan)}/history`);
    planCache.set(box.dataset.plan, h);
    if (box.isConnected) drawPlan(box, h);
  }));
}

// Charts are drawn at their box's width: a turned phone or a resized window redraws them.
function redraw() {
  if (lastMain && $("history-chart").isConnected) drawMain(lastMain);
  if (lastClient && openMac) drawClient(lastClient.days, lastClient.hours);
  for (const box of document.querySelectorAll(".plan-chart[data-plan]")) {
    if (planCache.has(box.dataset.plan)) drawPlan(box, planCache.get(box.dataset.plan));
  }
}

export function wireHistory() {
  let pending = null;
  window.addEventListener("resize", () => { clearTimeout(pending); pending = setTimeout(redraw, 150); });
  $("history-step").addEventListener("change", () => loadHistory().catch(() => {}));
  $("client-history-close").addEventListener("click", closeClient);
}
