// The Guests tab: a Wi-Fi key per person with its own allowance and end time (guest passes).
// Create one in a few taps, show its join QR large enough to scan from the screen, see each
// guest's use and devices, top up, extend, revoke. Where the AP has no per-device keys
// (NetworkManager, wired sharing) the tab says what passes mean there, in the reader's language.

import { act, api } from "./api.js";
import { $, bar, el, syncKeyed, whenChanged } from "./dom.js";
import { fmtBytes, locale, message, names, t } from "./i18n.js";

const GB = 1e9;
let hotspotName = "";
const passesById = new Map();  // pass id -> its last answer, for the buttons of its card

// ---- when a pass ends ------------------------------------------------------------------------

function at(day, hour, minute) {
  const d = new Date(day);
  d.setHours(hour, minute, 0, 0);
  return d;
}

// The end time a preset means, from now: tonight 23:00 (tomorrow's if that has passed), in 2 h,
// the end of this weekend (Sunday 23:00), in a week; "pick" reads the date-time field.
export function untilFor(preset, now = new Date(), picked = "") {
  switch (preset) {
    case "tonight": {
      const d = at(now, 23, 0);
      if (d <= now) d.setDate(d.getDate() + 1);
      return d;
    }
    case "2h": return new Date(now.getTime() + 2 * 3600e3);
    case "weekend": {
      const d = at(now, 23, 0);
      d.setDate(d.getDate() + ((7 - d.getDay()) % 7));  // the coming Sunday (today if Sunday)
      if (d <= now) d.setDate(d.getDate() + 7);
      return d;
    }
    case "week": return new Date(now.getTime() + 7 * 86400e3);
    default: return picked ? new Date(picked) : null;
  }
}

function fmtWhen(iso) {
  const d = new Date(iso);
  return d.toLocaleString(locale, { weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

// ---- creating a pass -------------------------------------------------------------------------

async function createPass(ev) {
  ev.preventDefault();
  const button = $("guest-form").querySelector("button[type=submit]");
  await act($("guest-error"), async () => {
    const until = untilFor($("guest-until").value, new Date(), $("guest-until-at").value);
    if (!until || isNaN(until.getTime())) throw new Error(t("g_until_pick", "Pick when the pass ends."));
    const allowance = $("guest-allowance").value;
    const rate = $("guest-rate").value;
    const body = {
      name: $("guest-name").value.trim(),
      until: until.toISOString(),
      period: $("guest-period").value,
      allowance_bytes: allowance ? Number(allowance) : null,
      rate_kbit: rate ? Number(rate) : null,
    };
    const p = await api("POST", "/guests", body);
    $("guest-form").reset();
    syncUntilField();
    showQr(p, p.passphrase);
    await loadGuests();
  }, button);
}

function syncUntilField() {
  $("guest-until-at-label").hidden = $("guest-until").value !== "pick";
}

// ---- the join QR -----------------------------------------------------------------------------

function showQr(p, passphrase) {
  const card = $("guest-qr");
  card.dataset.pass = p.id;
  $("guest-qr-name").textContent = t("g_qr_for", "Join code for {0}", p.name);
  $("guest-qr-img").src = `/api/v1/guests/${encodeURIComponent(p.id)}/qr?format=svg&t=${Date.now()}`;
  $("guest-qr-ssid").textContent = hotspotName;
  $("guest-qr-key").textContent = passphrase || "";
  $("guest-qr-key-row").hidden = !passphrase;
  card.hidden = false;
  card.scrollIntoView({ block: "nearest" });
}

async function revealQr(p) {
  const full = await api("GET", `/guests/${encodeURIComponent(p.id)}?reveal=true`);
  showQr(full, full.passphrase);
}

// ---- the list --------------------------------------------------------------------------------

function deviceName(mac, clients) {
  const c = clients.get(mac);
  return (c && c.hostname) || names.get(mac) || "";
}

// A pass's card: built once per pass and updated in place on each poll. What it shows is redrawn
// only when it changed, and its buttons only when the set of them changes (the pass ended, or got
// an allowance): a click between two polls lands on the button it was aimed at.
function buildPassCard(p) {
  const art = el("article", { attrs: { "data-pass": p.id } });
  art.append(el("div", { cls: "guest-figures" }), el("div", { cls: "actions" }));
  return art;
}

function updatePassCard(art, p, clients) {
  passesById.set(p.id, p);
  art.className = "guest " + p.state;
  const here = p.macs.map(mac => [deviceName(mac, clients), clients.has(mac)]);
  whenChanged(art.querySelector(".guest-figures"), JSON.stringify([p, here]), () => {
    art.querySelector(".guest-figures").replaceChildren(...passFigures(p, clients));
  });
  const limited = p.allowance_bytes != null;
  const actions = art.querySelector(".actions");
  whenChanged(actions, `${p.state} ${limited}`, () => actions.replaceChildren(...passButtons(p.id, p.state, limited)));
}

// The buttons act on the pass as last polled (not as it was when the buttons were made).
function passButtons(id, state, limited) {
  const current = () => passesById.get(id);
  const button = (cls, text, fn) => el("button", {
    cls, text, attrs: { type: "button" }, onclick: (ev) => act($("guest-error"), () => fn(current()), ev.currentTarget),
  });
  if (state !== "active") {
    return [button("extend", t("g_renew", "Renew until tonight"), p => change(p, { until: untilFor("tonight").toISOString() }))];
  }
  return [
    button("qr", t("g_show_qr", "Show join code"), p => revealQr(p)),
    limited ? button("topup", t("g_topup", "+1 GB"), p => change(p, { topup_bytes: GB })) : null,
    button("extend", t("g_extend", "+1 day"), p => change(p, { until: new Date(new Date(p.until).getTime() + 86400e3).toISOString() })),
    button("revoke danger", t("g_revoke", "Revoke"), p => revoke(p)),
  ].filter(Boolean);
}

function passFigures(p, clients) {
  const art = [];
  const state = t("g_state_" + p.state, p.state);
  art.push(el("h3", {}, el("span", { cls: "guest-name", text: p.name }), " ",
    el("span", { cls: "pill " + (p.state === "active" ? "on" : "off"), text: state })));
  const limit = p.allowance_bytes == null ? null : p.allowance_bytes + p.topup_bytes;
  const period = t("g_period_" + p.period, p.period);
  const usage = limit == null
    ? `${t("used", "Used")} ${fmtBytes(p.used_bytes)} · ${t("g_no_allowance", "no allowance of its own")}`
    : `${t("used", "Used")} ${fmtBytes(p.used_bytes)} ${t("of", "of")} ${fmtBytes(limit)}${t("paren_open", " (")}${period}${t("paren_close", ")")}`;
  art.push(el("p", { cls: "guest-usage", text: usage }));
  if (limit) art.push(bar(p.used_bytes / limit));
  if (p.state === "active" && p.plan_remaining_bytes != null && p.effective_remaining_bytes != null
      && p.remaining_bytes != null && p.effective_remaining_bytes < p.remaining_bytes) {
    art.push(el("p", { cls: "muted", text: t("g_plan_limits", "The plan has only {0} left, so that is what this guest can still use.", fmtBytes(p.plan_remaining_bytes)) }));
  }
  const facts = [`${p.state === "active" ? t("g_until", "Until") : t("g_ended", "Ended")} ${fmtWhen(p.revoked || p.until)}`];
  if (p.rate_kbit) facts.push(`${t("cap", "Speed cap")} ${p.rate_kbit >= 1000 ? (p.rate_kbit / 1000) + " Mbit/s" : p.rate_kbit + " kbit/s"} ${t("g_shared", "(shared by its devices)")}`);
  art.push(el("p", { cls: "muted", text: facts.join(" · ") }));
  const devices = el("ul", { cls: "guest-devices" });
  for (const mac of p.macs) {
    const name = deviceName(mac, clients);
    const here = clients.has(mac);
    devices.append(el("li", { attrs: { "data-mac": mac } },
      el("span", { text: name || t("g_device", "device") }), " ",
      el("code", { text: mac }), here ? el("span", { cls: "pill on", text: t("g_online", "online") }) : null));
  }
  if (!p.macs.length) devices.append(el("li", { cls: "muted", text: t("g_no_devices", "No device has joined with this pass yet.") }));
  art.push(devices);
  return art;
}

async function change(p, body) {
  await api("POST", `/guests/${encodeURIComponent(p.id)}/extend`, body);
  await loadGuests();
}

async function revoke(p) {
  if (!confirm(t("g_confirm_revoke", "Revoke {0}'s pass? Their devices are disconnected at once.", p.name))) return;
  await api("POST", `/guests/${encodeURIComponent(p.id)}/revoke`);
  if ($("guest-qr").dataset.pass === p.id) $("guest-qr").hidden = true;
  await loadGuests();
}

export async function loadGuests() {
  const [list, hotspot, clients] = await Promise.all([
    api("GET", "/guests"),
    api("GET", "/hotspot").catch(() => null),
    api("GET", "/hotspot/clients").catch(() => []),
  ]);
  hotspotName = hotspot ? hotspot.ssid || "" : "";
  const box = $("guests-unsupported");
  box.hidden = list.supported;
  box.textContent = list.supported ? "" : message(list.refusal_message) || list.refusal || "";
  $("guest-form").hidden = !list.supported;
  $("guests-note").textContent = message(list.clients_note_message) || list.clients_note;
  $("guests-note").hidden = !list.supported;
  const present = new Map(clients.map(c => [c.mac, c]));
  // Polled every few seconds: one card per pass, updated in place (buttons stay put).
  const order = { active: 0, expired: 1, revoked: 2 };
  const passes = [...list.passes].sort((a, b) => order[a.state] - order[b.state] || (a.created < b.created ? 1 : -1));
  syncKeyed($("guests"), passes, p => p.id, buildPassCard, (art, p) => updatePassCard(art, p, present));
  $("guests-empty").hidden = passes.length > 0;
}

export function wireGuests() {
  $("guest-form").addEventListener("submit", createPass);
  $("guest-until").addEventListener("change", syncUntilField);
  $("guest-qr-close").addEventListener("click", () => { $("guest-qr").hidden = true; });
  syncUntilField();
}
