"use strict";
// simspot dashboard: log in, then poll /api/v1/status. No inline script (CSP), text via textContent only.
const zh = {
  login: "登录", password: "管理员密码", logout: "退出", modem: "调制解调器", battery: "电池",
  slots: "SIM 卡槽", slot: "卡槽", kind: "类型", operator: "运营商", active: "使用中",
  clients: "已连接设备", hostname: "名称", down: "下载", up: "上传", state: "状态",
  signal: "信号", network: "网络", roaming: "漫游", charging: "充电中", on_battery: "电池供电",
  time_left: "剩余时间", charge: "电量", none: "无", wrong: "密码错误",
};
const lang = (navigator.language || "en").toLowerCase().startsWith("zh") ? zh : null;
const t = (key, fallback) => (lang && lang[key]) || fallback;

function applyI18n() {
  if (!lang) return;
  document.documentElement.lang = "zh";
  for (const el of document.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, el.textContent);
  }
}

function fmtBytes(n) {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(1) : n.toFixed(0)) + " " + units[i];
}

function fill(dl, rows) {
  dl.replaceChildren();
  for (const [k, v, cls] of rows) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v ?? "-";
    if (cls) dd.className = cls;
    dl.append(dt, dd);
  }
}

function fillTable(table, rows) {
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const cells of rows) {
    const tr = document.createElement("tr");
    for (const c of cells) { const td = document.createElement("td"); td.textContent = c ?? "-"; tr.append(td); }
    body.append(tr);
  }
}

function render(st) {
  document.getElementById("mode").textContent = st.mode === "demo" ? "demo (simulator)" : "";
  const m = st.modem;
  if (m) {
    fill(document.getElementById("modem"), [
      [t("state", "State"), m.state],
      [t("network", "Network"), [m.operator_name, (m.access_tech || "").toUpperCase()].filter(Boolean).join(" ")],
      [t("signal", "Signal"), m.signal_percent == null ? "-" : m.signal_percent + " %"],
      [t("roaming", "Roaming"), m.registration === "roaming" ? "yes" : "no", m.registration === "roaming" ? "roaming" : ""],
    ]);
    fillTable(document.getElementById("slots"), m.slots.map(s => [s.index, s.kind, s.iccid, s.operator_name, s.active ? "✓" : ""]));
  } else {
    fill(document.getElementById("modem"), [[t("modem", "Modem"), t("none", "none")]]);
  }
  const b = st.battery;
  if (b && b.present) {
    const left = b.time_to_empty_s ? Math.round(b.time_to_empty_s / 60) + " min" : "-";
    fill(document.getElementById("battery"), [
      [t("charge", "Charge"), b.percent + " %"],
      [t("state", "State"), b.charging ? t("charging", "charging") : t("on_battery", "on battery")],
      [t("time_left", "Time left"), left],
    ]);
  } else {
    fill(document.getElementById("battery"), [[t("battery", "Battery"), t("none", "none")]]);
  }
  fillTable(document.getElementById("clients"), st.clients.map(c => [c.mac, c.ipv4, c.hostname, fmtBytes(c.rx_bytes), fmtBytes(c.tx_bytes)]));
  const bad = st.components.filter(c => c.state !== "running");
  document.getElementById("components").textContent = bad.map(c => `${c.name}: ${c.state} ${c.last_error || ""}`).join("; ");
}

let timer = null;
async function poll() {
  const r = await fetch("/api/v1/status", { credentials: "same-origin" });
  if (r.status === 401) { showLogin(); return; }
  if (r.ok) render(await r.json());
  timer = setTimeout(poll, 2000);
}

function showLogin() {
  clearTimeout(timer);
  document.getElementById("dashboard").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("login").hidden = false;
}

function showDashboard() {
  document.getElementById("login").hidden = true;
  document.getElementById("dashboard").hidden = false;
  document.getElementById("logout").hidden = false;
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  applyI18n();
  document.getElementById("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await fetch("/api/v1/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
      body: JSON.stringify({ password: document.getElementById("password").value }),
    });
    if (r.ok) { document.getElementById("password").value = ""; showDashboard(); }
    else {
      const detail = (await r.json().catch(() => ({}))).detail || r.statusText;
      document.getElementById("login-error").textContent = r.status === 401 ? t("wrong", detail) : detail;
    }
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await fetch("/api/v1/logout", { method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin" });
    showLogin();
  });
  poll().catch(showLogin);
});
