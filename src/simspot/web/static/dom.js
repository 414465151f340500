// DOM helpers. The CSP forbids inline scripts and styles: every text goes through textContent,
// every element is built with createElement.

export const $ = (id) => document.getElementById(id);
export function el(tag, opts = {}, ...children) {
  const e = document.createElement(tag);
  if (opts.text != null) e.textContent = opts.text;
  if (opts.cls) e.className = opts.cls;
  if (opts.label) e.dataset.label = opts.label;
  for (const [k, v] of Object.entries(opts.attrs || {})) e.setAttribute(k, v);
  if (opts.onclick) e.addEventListener("click", opts.onclick);
  for (const c of children) if (c != null) e.append(c);
  return e;
}

// ---- Small renderers -----------------------------------------------------------------------

export function fillDl(dl, rows) {
  dl.replaceChildren();
  for (const [k, v, cls] of rows) {
    const dd = el("dd", { text: v == null || v === "" ? "-" : String(v) });
    if (cls) dd.className = cls;
    dl.append(el("dt", { text: k }), dd);
  }
}

// Keeps one <tr> per key, updating cells in place so buttons stay put while polling.
export function syncRows(table, items, keyOf, build, update) {
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
// The same for cards (or any children of a box): one element per key (its data-key), built once,
// updated in place and kept in the items' order, so a button found before a poll is still the
// one on the page when the click lands.
export function syncKeyed(box, items, keyOf, build, update) {
  const existing = new Map();
  for (const c of box.children) if (c.dataset.key != null) existing.set(c.dataset.key, c);
  const seen = new Set();
  let prev = null;
  for (const item of items) {
    const key = String(keyOf(item));
    seen.add(key);
    let node = existing.get(key);
    if (!node) { node = build(item); node.dataset.key = key; }
    update(node, item);
    const want = prev ? prev.nextSibling : box.firstChild;
    if (node !== want) box.insertBefore(node, want);
    prev = node;
  }
  for (const c of [...box.children]) if (!seen.has(c.dataset.key)) c.remove();
}

// Runs draw() only when what an element shows (its signature, a string) changed since last time.
const drawn = new WeakMap();
export function whenChanged(elem, signature, draw) {
  if (drawn.get(elem) === signature) return false;
  drawn.set(elem, signature);
  draw();
  return true;
}

export function cells(tr, values) {
  values.forEach((v, i) => {
    const td = tr.cells[i];
    const s = v == null || v === "" ? "-" : String(v);
    if (td.textContent !== s) td.textContent = s;
  });
}
export function headers(table) {
  return [...table.tHead.rows[0].cells].map(th => th.textContent);
}
export function emptyRow(table, n) {
  const tr = el("tr");
  const labels = headers(table);
  for (let i = 0; i < n; i++) tr.append(el("td", { label: labels[i] }));
  return tr;
}

export function bar(fraction, warnAt = 0.8) {
  const f = Math.max(0, Math.min(1, fraction || 0));
  const fill = el("span", { cls: f >= 1 ? "full" : f >= warnAt ? "warn" : "" });
  fill.style.width = (f * 100).toFixed(1) + "%";  // CSSOM, allowed by the CSP
  return el("div", { cls: "bar", attrs: { role: "meter", "aria-valuenow": (f * 100).toFixed(0), "aria-valuemin": "0", "aria-valuemax": "100" } }, fill);
}
