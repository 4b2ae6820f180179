// The figures of the QC and KPI panels: bar and line charts and the defect Pareto drawn as SVG at the box's
// width, and the number tiles above them.
import { el } from "/common/dom.js";
import { pct, svgEl } from "./shared.js";

function chartBox(svg, height) {
  const width = Math.max(280, Math.round(svg.parentElement.clientWidth - 4));
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  return width;
}

function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value);
}

// Vertical bars with a value axis on the left; items: [{label, value, title}].
export function barChart(svg, items, { format = (v) => String(v), max = null, height = 220, integer = false, right = 8 } = {}) {
  const width = chartBox(svg, height);
  svg.dataset.bars = String(items.length);
  if (!items.length) {
    svg.append(svgEl("text", { x: 8, y: 20, class: "muted" }, "No data yet."));
    return;
  }
  const left = 40, top = 12, bottom = 46;
  const largest = Math.max(...items.map((i) => i.value));
  // Counts get whole-number gridlines: four steps of a whole number.
  const top_ = max ?? (integer ? 4 * Math.max(1, Math.ceil(niceMax(largest) / 4)) : niceMax(largest));
  const plotW = width - left - right, plotH = height - top - bottom;
  const axis = svgEl("g", { class: "axis" });
  for (let k = 0; k <= 4; k += 1) {
    const value = (top_ * k) / 4;
    const y = top + plotH - (plotH * k) / 4;
    axis.append(svgEl("line", { x1: left, x2: width - right, y1: y, y2: y }));
    axis.append(svgEl("text", { x: left - 4, y: y + 4, "text-anchor": "end" }, format(value)));
  }
  svg.append(axis);
  const band = plotW / items.length;
  items.forEach((item, k) => {
    const h = top_ ? (plotH * item.value) / top_ : 0;
    const x = left + k * band + band * 0.15;
    const rect = svgEl("rect", { class: "bar", x: x.toFixed(1), y: (top + plotH - h).toFixed(1), width: (band * 0.7).toFixed(1),
      height: Math.max(0, h).toFixed(1), "data-label": item.label, "data-value": item.value });
    rect.append(svgEl("title", {}, item.title ?? `${item.label}: ${format(item.value)}`));
    svg.append(rect);
    svg.append(svgEl("text", { x: (x + band * 0.35).toFixed(1), y: (top + plotH - h - 3).toFixed(1), "text-anchor": "middle" }, format(item.value)));
    const text = svgEl("text", { x: (x + band * 0.35).toFixed(1), y: top + plotH + 14, "text-anchor": "middle", class: "muted" },
      item.label.length > 12 && band < 80 ? `${item.label.slice(0, 11)}…` : item.label);
    if (band < 48) text.setAttribute("transform", `rotate(-35 ${(x + band * 0.35).toFixed(1)} ${top + plotH + 14})`);
    svg.append(text);
  });
}

// A line over days; points: [{label, value}].
export function lineChart(svg, points, { height = 220 } = {}) {
  const width = chartBox(svg, height);
  svg.dataset.points = String(points.length);
  const left = 36, right = 10, top = 12, bottom = 34;
  const max = 4 * Math.max(1, Math.ceil(niceMax(Math.max(1, ...points.map((p) => p.value))) / 4));
  const plotW = width - left - right, plotH = height - top - bottom;
  const x = (k) => left + (points.length > 1 ? (plotW * k) / (points.length - 1) : plotW / 2);
  const y = (v) => top + plotH - (plotH * v) / max;
  const axis = svgEl("g", { class: "axis" });
  for (let k = 0; k <= 4; k += 1) {
    const value = (max * k) / 4;
    axis.append(svgEl("line", { x1: left, x2: width - right, y1: y(value), y2: y(value) }));
    axis.append(svgEl("text", { x: left - 4, y: y(value) + 4, "text-anchor": "end" }, String(Math.round(value * 10) / 10)));
  }
  // A label every few days, and the last day's (the one before it dropped when they would touch).
  const every = Math.ceil(points.length / Math.max(2, Math.floor(plotW / 64)));
  const labelled = [];
  for (let k = 0; k < points.length; k += every) labelled.push(k);
  const end = points.length - 1;
  if (labelled.at(-1) !== end) {
    if (end - labelled.at(-1) < every / 2 + 0.5) labelled.pop();
    labelled.push(end);
  }
  for (const k of labelled) {
    axis.append(svgEl("text", { x: x(k), y: height - 12, "text-anchor": k === end ? "end" : k === 0 ? "start" : "middle" },
      points[k].label));
  }
  svg.append(axis);
  svg.append(svgEl("path", { class: "line", d: points.map((p, k) => `${k ? "L" : "M"}${x(k).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ") }));
  points.forEach((p, k) => {
    const dot = svgEl("circle", { class: "point", cx: x(k).toFixed(1), cy: y(p.value).toFixed(1), r: 3, "data-value": p.value });
    dot.append(svgEl("title", {}, `${p.title ?? p.label}: ${p.value}`));
    svg.append(dot);
  });
}

// Defect Pareto: bars (count, left axis) and the cumulative share (line, right axis, 0–100 %).
export function paretoChart(svg, rows, { height = 240 } = {}) {
  barChart(svg, rows.map((r) => ({ label: r.code, value: r.count, title: `${r.code}: ${r.count} · ${r.description}` })),
    { height, integer: true, right: 40 });
  if (!rows.length) return;
  const width = Number(svg.getAttribute("width"));
  const left = 40, right = 40, top = 12, bottom = 46;
  const plotW = width - left - right, plotH = height - top - bottom;
  const band = plotW / rows.length;
  const x = (k) => left + k * band + band / 2;
  const y = (share) => top + plotH - plotH * share;
  const shares = svgEl("g", { class: "axis" });  // the line's own axis, on the right
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    shares.append(svgEl("text", { x: width - right + 4, y: y(share) + 4 }, `${Math.round(100 * share)} %`));
  }
  svg.append(shares);
  svg.append(svgEl("path", { class: "line", d: rows.map((r, k) => `${k ? "L" : "M"}${x(k).toFixed(1)},${y(r.cumulative_share).toFixed(1)}`).join(" ") }));
  rows.forEach((r, k) => {
    const dot = svgEl("circle", { class: "point", cx: x(k).toFixed(1), cy: y(r.cumulative_share).toFixed(1), r: 3 });
    dot.append(svgEl("title", {}, `cumulative ${pct(r.cumulative_share)}`));
    svg.append(dot);
  });
}

export function tile(label, value, note, key) {
  return el("div", { class: "tile", dataset: { kpi: key } }, el("span", { class: "label" }, label), el("strong", {}, value),
    note ? el("small", {}, note) : null);
}
