// The event log: one sentence per event kind in the reader's language (the server's catalogue),
// a severity, names instead of MAC addresses where known, and filters by severity and category.
// Events arrive over SSE read with fetch, so every named event comes through one reader.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { fmtTime, hasMessage, message, names, severityOf, t } from "./i18n.js";

const MAX_EVENTS = 300;
const RANK = { info: 0, warning: 1, error: 2 };
const CATEGORIES = {
  clients: ["client.", "device.", "hotspot.client-rule", "hotspot.station-", "dataplane."],
  hotspot: ["hotspot.", "sharing."],
  plans: ["plan.", "usage."],
  esim: ["esim."],
  modem: ["modem.", "sim.", "sms.", "uplink.", "battery."],
};

export function categoryOf(kind) {
  for (const [cat, prefixes] of Object.entries(CATEGORIES)) {
    if (prefixes.some(p => kind.startsWith(p))) return cat;
  }
  return "system";
}

function sentence(ev) {
  // A payload's variant picks a more specific sentence (event.<kind>.<variant>) when there is one.
  const data = ev.data || {};
  const specific = "event." + ev.kind + "." + data.variant;
  const id = data.variant && hasMessage(specific) ? specific : "event." + ev.kind;
  return message({ id, params: data, text: ev.kind });
}

function render(li) {
  const ev = li._event;
  li.querySelector(".text").textContent = sentence(ev);
}

function visible(li) {
  const sev = $("events-severity").value, cat = $("events-category").value;
  return RANK[li.dataset.severity] >= RANK[sev] && (cat === "all" || li.dataset.category === cat);
}

export function applyFilter() {
  let shown = 0;
  for (const li of $("events").children) {
    li.hidden = !visible(li);
    if (!li.hidden) shown++;
  }
  $("events-empty").hidden = shown > 0 || $("events").children.length === 0;
}

// Names of devices (those that have left too) for the sentences; the log is redrawn with them.
export async function refreshNames() {
  const got = await api("GET", "/usage/names");
  let changed = false;
  for (const [mac, name] of Object.entries(got.names)) {
    if (names.get(mac) !== name) { names.set(mac, name); changed = true; }
  }
  if (changed) for (const li of $("events").children) render(li);
}

export function addEvent(ev) {
  const list = $("events");
  const severity = severityOf(ev.kind);
  const li = el("li", { cls: `sev-${severity} kind-${ev.kind.split(".")[0]}` },
    el("time", { text: fmtTime(ev.ts) }),
    el("span", { cls: "sev", text: t("sev_" + severity, severity) }),
    el("span", { cls: "text" }),
    el("code", { cls: "kind", text: ev.kind }));
  li._event = ev;
  li.dataset.id = ev.id;
  li.dataset.kind = ev.kind;
  li.dataset.severity = severity;
  li.dataset.category = categoryOf(ev.kind);
  render(li);
  li.hidden = !visible(li);
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  $("events-empty").hidden = true;
  if (ev.kind === "client.joined" || ev.kind === "device.new") refreshNames().catch(() => {});
}

let abort = null;

export function stopEvents() {
  if (abort) { abort.abort(); abort = null; }
}

// onEvent(ev) after each event is shown; onUnauthorized() when the session is gone.
export function startEvents(onEvent, onUnauthorized) {
  if (abort) return;
  abort = new AbortController();
  $("events").replaceChildren();
  refreshNames().catch(() => {});
  follow(onEvent, onUnauthorized);
}

async function follow(onEvent, onUnauthorized) {
  let lastId = 0;
  while (abort) {
    const ctrl = abort;
    try {
      const r = await fetch("/api/v1/events?history=" + (lastId ? "false" : "true"), { credentials: "same-origin", signal: ctrl.signal });
      if (r.status === 401) { onUnauthorized(); return; }
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
          if (ev.id > lastId) { lastId = ev.id; addEvent(ev); onEvent(ev); }
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

export function wireEvents() {
  $("events-severity").addEventListener("change", applyFilter);
  $("events-category").addEventListener("change", applyFilter);
}
