// Small SVG charts drawn here (no library, nothing fetched): stacked bars and a plan's use line.
// Charts are drawn at the pixel width of their box, so text keeps its size on a 375 px phone;
// colours are SVG attributes and CSSOM, never inline style text (the CSP forbids that).

const NS = "http://www.w3.org/2000/svg";
export const COLORS = ["#1f6feb", "#1a7f37", "#e08a00", "#8250df", "#cf222e", "#0a7d8c", "#8c959f"];

function s(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = text;
  return e;
}

// A round top for the y axis: 1, 2 or 5 times a power of ten at or above max.
function niceMax(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function frame(box, height) {
  const width = Math.max(260, Math.floor(box.clientWidth || 600));
  const svg = s("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart-svg" });
  return { svg, width, height };
}

function yAxis(svg, { left, top, plotH, plotW, top_value, fmt }) {
  for (let i = 0; i <= 4; i++) {
    const v = (top_value * i) / 4;
    const y = top + plotH - (plotH * i) / 4;
    svg.append(s("line", { x1: left, x2: left + plotW, y1: y, y2: y, class: "grid" }));
    svg.append(s("text", { x: left - 4, y: y + 4, "text-anchor": "end", class: "tick" }, fmt(v)));
  }
}

// points: [{label, values: [..per series], title}]; series: [{key, label}].
// onPick(seriesIndex, pointIndex) is called when a bar segment is clicked or tapped.
export function stackedBars(box, { points, series, fmt, onPick, height = 220 }) {
  const { svg, width } = frame(box, height);
  const left = 62, right = 8, top = 10, bottom = 26;
  const plotW = width - left - right, plotH = height - top - bottom;
  const max = niceMax(Math.max(0, ...points.map(p => p.values.reduce((a, b) => a + b, 0))));
  yAxis(svg, { left, top, plotH, plotW, top_value: max, fmt });
  const n = Math.max(1, points.length);
  const band = plotW / n;
  const barW = Math.max(2, Math.min(40, band * 0.75));
  const every = Math.ceil(n / Math.max(1, Math.floor(plotW / 34)));  // x labels that fit
  points.forEach((p, i) => {
    const x = left + i * band + (band - barW) / 2;
    let y = top + plotH;
    p.values.forEach((v, k) => {
      if (!v) return;
      const h = (plotH * v) / max;
      y -= h;
      const r = s("rect", {
        x: x.toFixed(1), y: y.toFixed(1), width: barW.toFixed(1), height: Math.max(0.5, h).toFixed(1),
        fill: COLORS[k % COLORS.length], class: "seg", "data-series": k, "data-point": i,
      });
      r.append(s("title", {}, `${p.title}: ${series[k].label} ${fmt(v)}`));
      if (onPick) r.addEventListener("click", () => onPick(k, i));
      svg.append(r);
    });
    if (i % every === 0) {
      svg.append(s("text", { x: (left + i * band + band / 2).toFixed(1), y: height - 8, "text-anchor": "middle", class: "tick" }, p.label));
    }
  });
  svg.append(s("line", { x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH, class: "axis" }));
  box.replaceChildren(svg);
  return svg;
}

// A plan's cycle: the running total per day (solid), the forecast from now to the cycle's end
// (dashed) and the allowance (a red line). Times are epoch milliseconds.
export function planChart(box, { start, end, steps, forecast, allowance, fmt, tick, labels, height = 180 }) {
  const { svg, width } = frame(box, height);
  const left = 62, right = 10, top = 12, bottom = 24;
  const plotW = width - left - right, plotH = height - top - bottom;
  const highest = Math.max(allowance || 0, ...steps.map(p => p.bytes), ...forecast.map(p => p.bytes));
  const max = niceMax(highest * 1.05);
  const X = t => left + (plotW * (t - start)) / Math.max(1, end - start);
  const Y = v => top + plotH - (plotH * v) / max;
  yAxis(svg, { left, top, plotH, plotW, top_value: max, fmt });
  tick.forEach((t, i) => {
    const anchor = i === 0 ? "start" : i === tick.length - 1 ? "end" : "middle";  // ends stay inside
    svg.append(s("text", { x: X(t.at).toFixed(1), y: height - 7, "text-anchor": anchor, class: "tick" }, t.label));
  });
  if (allowance) {
    svg.append(s("line", { x1: left, x2: left + plotW, y1: Y(allowance), y2: Y(allowance), class: "allowance" }));
    svg.append(s("text", { x: left + plotW - 2, y: Y(allowance) - 4, "text-anchor": "end", class: "tick allowance-label" }, labels.allowance));
  }
  if (steps.length) {
    const d = steps.map((p, i) => `${i ? "L" : "M"}${X(p.at).toFixed(1)},${Y(p.bytes).toFixed(1)}`).join(" ");
    svg.append(s("path", { d, class: "used" }));
  }
  if (forecast.length === 2) {
    const [a, b] = forecast;
    const f = s("line", { x1: X(a.at), y1: Y(a.bytes), x2: X(b.at), y2: Y(b.bytes), class: "forecast-line" });
    f.append(s("title", {}, labels.forecast));
    svg.append(f);
  }
  svg.append(s("line", { x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH, class: "axis" }));
  box.replaceChildren(svg);
  return svg;
}

// A legend as HTML (wraps on a phone); onPick(seriesIndex) for the clickable entries.
export function legend(series, onPick) {
  const ul = document.createElement("ul");
  ul.className = "legend";
  series.forEach((x, k) => {
    const li = document.createElement("li");
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = COLORS[k % COLORS.length];  // CSSOM, allowed by the CSP
    const b = document.createElement(onPick ? "button" : "span");
    if (onPick) { b.type = "button"; b.addEventListener("click", () => onPick(k)); }
    b.dataset.key = x.key;
    b.textContent = x.label;
    li.append(sw, b);
    ul.append(li);
  });
  return ul;
}
