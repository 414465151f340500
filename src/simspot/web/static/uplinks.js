// The Uplinks tab: every way out (SIM slots and eSIM profiles on each modem, wired and Wi-Fi
// links) with what the policy weighs, the uplink in use and the policy's reason in the reader's
// language, pin ("use this") and back to automatic, the rules in their order, and the recent
// decisions. Everything comes from GET /api/v1/uplink, /policy and /history.

import { act, api } from "./api.js";
import { $, cells, el, emptyRow, syncRows } from "./dom.js";
import { LANG, fmtBytes, fmtTime, message, t } from "./i18n.js";

const KINDS = { sim: ["u_sim", "SIM"], esim: ["u_esim", "eSIM"], wired: ["u_wired", "wired"], wifi: ["u_wifi", "Wi-Fi"] };
const RULES = {
  healthy: ["rule_healthy", "Healthy: an uplink that answers its probes comes first"],
  "signal-floor": ["rule_signal_floor", "Signal floor: a cellular uplink above the floor comes first"],
  "prefer-wired": ["rule_prefer_wired", "Prefer wired or home Wi-Fi while it is healthy"],
  "avoid-roaming": ["rule_avoid_roaming", "Avoid roaming when an uplink is at home in this country"],
  cheapest: ["rule_cheapest", "Cheapest per GB"],
  preferred: ["rule_preferred", "Your preferred order"],
};
const HEALTH = { up: ["u_up", "up"], down: ["u_down", "down"], unknown: ["u_unknown", "not probed yet"] };
const SIGNS = { CNY: "¥", JPY: "¥", USD: "$", EUR: "€", GBP: "£" };

let labels = new Map();  // uplink id -> its label, for the history
let policyShown = "";

const reason = (r) => (r ? (LANG === "zh" ? r.zh : r.en) || r.en : "");
// a label simspot made ("wired eth1") has a Chinese one too; a name the owner gave is the same
const labelText = (c) => (LANG === "zh" && c.label_zh) || c.label;
// a sentence of the policy's as a list item: capitalised (not "eSIM"), with its full stop
const sentence = (s) => (!s || /[.。]$/.test(s) ? s
  : (/^[a-z]+\b/.test(s) ? s[0].toUpperCase() + s.slice(1) : s) + (LANG === "zh" ? "。" : "."));
const labelOf = (id) => (id == null ? t("u_none", "none") : labels.get(id) || id);

function heat(c) {
  if (c.hot) return t("u_hot", "hot (up now)");
  if (c.cold_via === "slot") return t("u_cold_slot", "cold: a slot switch brings it up");
  if (c.cold_via === "profile") return t("u_cold_profile", "cold: enabling the profile brings it up");
  if (c.cold_via === "join") return message({ id: "uplink.cold.join", params: {}, text: "cold: joining the network brings it up" });
  return t("u_unreachable", "not connected");
}

function network(c) {
  if (c.kind === "wired" || c.kind === "wifi") return c.home_link ? t("u_home_link", "home link") : "-";
  if (!c.registered) return t("u_not_registered", "not registered") + (c.home_mcc ? ` · ${t("u_home_country", "home")} MCC ${c.home_mcc}` : "");
  const where = c.roaming ? t("roaming_yes", "roaming") : t("home", "home network");
  return `${where} · MCC ${c.serving_mcc || "?"}`;
}

function planLeft(p) {
  if (!p) return "-";
  const left = p.expired ? t("expired", "expired") : p.exhausted ? t("exhausted", "allowance used up")
    : p.remaining_bytes == null ? t("unlimited", "unlimited") : fmtBytes(p.remaining_bytes);
  return `${left} (${p.name})` + (p.tethering_allowed ? "" : ` · ${t("no_tethering", "tethering not allowed on this plan")}`);
}

function price(c) {
  const p = c.plan;
  if (!p || p.price_per_gb == null) return c.kind === "wired" && !c.metered ? t("u_free", "free") : "-";
  if (Number(p.price_per_gb) === 0) return t("u_flat", "flat price");
  const amount = String(Number(p.price_per_gb));
  const sign = SIGNS[p.currency];
  return sign ? `${sign}${amount}/GB` : `${amount} ${p.currency || ""}/GB`;
}

function health(c) {
  const h = c.health;
  const [key, en] = HEALTH[h.state] || [h.state, h.state];
  const bits = [t(key, en)];
  if (h.latency_ms != null && h.state === "up") bits.push(`${Math.round(h.latency_ms)} ms`);
  if (h.fails) bits.push(t("u_fails", "{0} failed in a row", h.fails));
  return bits.join(" · ");
}

function buildRow() {
  const tr = emptyRow($("uplinks"), 9);
  const use = el("button", { cls: "use", text: t("u_use", "Use this"), attrs: { type: "button" } });
  use.addEventListener("click", () => act($("uplink-error"), async () => {
    await api("POST", "/uplink/use", { id: tr.dataset.key });
    await loadUplinks();
  }, use));
  tr.cells[8].append(use);
  return tr;
}

function updateRow(tr, c, st) {
  const [key, en] = KINDS[c.kind] || [c.kind, c.kind];
  cells(tr, [labelText(c), t(key, en), heat(c), network(c),
    c.signal_percent == null ? "-" : c.signal_percent + " %", planLeft(c.plan), price(c), health(c)]);
  if (c.id === st.active) tr.cells[0].append(el("span", { cls: "badge on", text: t("u_in_use", "in use") }));
  if (c.id === st.pin) tr.cells[0].append(el("span", { cls: "badge", text: t("u_pinned", "pinned") }));
  tr.classList.toggle("is-active", c.id === st.active);
  tr.cells[7].className = c.health.state === "down" ? "error" : c.health.state === "up" ? "state-on" : "";
  const selectable = c.present && (c.hot || c.cold_via != null);
  tr.querySelector("button.use").hidden = !selectable || c.id === st.pin;
}

function renderNow(st) {
  $("uplink-active").textContent = labelOf(st.active);
  const pinned = st.mode === "pinned";
  $("uplink-mode").textContent = pinned ? t("u_mode_pinned", "pinned by you") : t("u_mode_auto", "automatic");
  $("uplink-mode").className = "pill " + (pinned ? "off" : "on");
  $("uplink-reason").textContent = st.decision ? reason(st.decision.reason) : t("u_deciding", "The policy has not decided yet.");
  $("uplink-auto").hidden = !pinned;
}

function renderPolicy(pol) {
  const key = JSON.stringify([pol.rules, pol.always_said || pol.always]);
  if (key === policyShown) return;
  policyShown = key;
  $("uplink-rules").replaceChildren(...pol.rules.map(r => {
    const [k, en] = RULES[r] || [r, r];
    return el("li", {}, el("strong", { text: r }), " — " + t(k, en));
  }));
  // what the policy always does, by message id (uplink.always.*) in the reader's language
  const always = pol.always_said || (pol.always || []).map(text => ({ id: "", params: {}, text }));
  $("uplink-always").replaceChildren(...always.map(m => el("li", { text: sentence(message(m)) })));
}

function renderHistory(rows) {
  $("uplink-history").replaceChildren(...rows.map(h => el("li", { cls: h.switch ? "switch" : "" },
    el("time", { text: fmtTime(h.at) }),
    el("span", { cls: "sev", text: h.switch ? t("u_switch", "switch") : h.held_by ? t("u_held", "held") : t("u_keep", "keep") }),
    el("span", { cls: "text", text: reason(h.reason) }),
    el("span", { cls: "kind", text: labelOf(h.chosen) }))));
  $("uplink-history-empty").hidden = rows.length > 0;
}

export async function loadUplinks() {
  const [st, pol, hist] = await Promise.all([
    api("GET", "/uplink"), api("GET", "/uplink/policy"), api("GET", "/uplink/history?limit=30"),
  ]);
  labels = new Map(st.candidates.map(c => [c.id, labelText(c)]));
  renderNow(st);
  syncRows($("uplinks"), st.candidates, c => c.id, buildRow, (tr, c) => updateRow(tr, c, st));
  renderPolicy(pol);
  renderHistory(hist.decisions);
}

export function wireUplinks() {
  $("uplink-auto").addEventListener("click", (ev) => act($("uplink-error"), async () => {
    await api("POST", "/uplink/auto");
    await loadUplinks();
  }, ev.target));
}
