// The schedule: the stored plan as a Gantt chart (one row per work centre in use, one bar per planned
// operation coloured by pair), the pairs on it, and "Re-plan now".
import { api } from "/common/api.js";
import { el } from "/common/dom.js";
import { $, dayMonth, failed, fmtDate, fmtDateTime, notice, svgEl, words } from "./shared.js";
import { showPair } from "./tabs.js";

// A stable colour per pair: golden-ratio steps around the hue circle (as the printed Gantt does: svg_colours.golden_hue).
function pairColour(id) {
  const hue = ((Number(id) * 0.618033988749895) % 1) * 360;
  return `hsl(${hue.toFixed(0)} 55% 68%)`;
}

function timeTicks(start, end, width) {
  const span = end - start;
  const hour = 3600e3;
  const minute = 60e3;
  const steps = [5 * minute, 10 * minute, 15 * minute, 30 * minute, hour, 2 * hour, 4 * hour, 6 * hour, 12 * hour,
    24 * hour, 2 * 24 * hour, 7 * 24 * hour];
  const step = steps.find((s) => (span / s) * 90 <= width) ?? steps.at(-1);
  const first = Math.ceil(start / step) * step;
  const ticks = [];
  for (let t = first; t <= end; t += step) ticks.push(t);
  return { ticks, daily: step >= 24 * hour };
}

function ganttLegend(bars) {
  const byPair = new Map();
  for (const bar of bars) {
    const known = byPair.get(bar.pair_serial) ?? { ...bar, operations: 0 };
    known.operations += 1;
    byPair.set(bar.pair_serial, known);
  }
  $("gantt-pairs").replaceChildren(...[...byPair.values()].map((pair) => el("li", { dataset: { serial: pair.pair_serial } },
    el("span", { class: `swatch${pair.late ? " late" : ""}`, style: `background:${pairColour(pair.pair_id)}` }),
    el("span", { class: "serial" }, pair.pair_serial), ` order ${pair.order_number} · ${pair.operations} operations · due ${fmtDate(pair.due_at)}`,
    pair.late ? el("b", { class: "overdue" }, " · late") : "")));
}

function drawGantt(schedule) {
  const svg = $("gantt");
  ganttLegend(schedule.operations);
  svg.replaceChildren();
  const bars = schedule.operations;
  const used = new Set(bars.map((b) => b.centre));
  const known = schedule.centres.map((c) => c.code);
  const rows = [...known.filter((c) => used.has(c)), ...[...used].filter((c) => !known.includes(c))];
  const label = 118;
  const rowHeight = 26;
  const top = 26;
  const width = Math.max(720, svg.parentElement.clientWidth - 2);
  const height = top + rowHeight * Math.max(rows.length, 1) + 8;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.dataset.bars = String(bars.length);
  if (bars.length === 0) {
    svg.append(svgEl("text", { x: 12, y: 20 }, "Nothing is planned: re-plan to schedule the open work orders."));
    return;
  }
  const start = Math.min(...bars.map((b) => Date.parse(b.start)));
  const end = Math.max(...bars.map((b) => Date.parse(b.end)));
  const span = Math.max(end - start, 60e3);
  const x = (t) => label + ((t - start) / span) * (width - label - 12);
  const axis = svgEl("g", { class: "axis" });
  const { ticks, daily } = timeTicks(start, end, width - label);
  const oneDay = new Date(start).toDateString() === new Date(end).toDateString();
  for (const t of ticks) {
    axis.append(svgEl("line", { class: "grid-line", x1: x(t), x2: x(t), y1: top - 4, y2: height - 6 }));
    const when = new Date(t);
    const text = daily ? dayMonth.format(when)
      : when.toLocaleString(undefined, oneDay ? { hour: "2-digit", minute: "2-digit" } : { weekday: "short", hour: "2-digit", minute: "2-digit" });
    if (x(t) + 8 * text.length < width) axis.append(svgEl("text", { x: x(t) + 3, y: 14 }, text));  // no clipped label
  }
  svg.append(axis);
  rows.forEach((centre, k) => {
    const y = top + k * rowHeight;
    svg.append(svgEl("text", { x: 8, y: y + 17 }, centre));
    svg.append(svgEl("line", { class: "row-line", x1: 0, x2: width, y1: y + rowHeight, y2: y + rowHeight }));
  });
  const now = Date.now();
  if (now >= start && now <= end) svg.append(svgEl("line", { class: "now", x1: x(now), x2: x(now), y1: top - 6, y2: height - 4 }));
  for (const bar of bars) {
    const k = rows.indexOf(bar.centre);
    const x0 = x(Date.parse(bar.start));
    const w = Math.max(2, x(Date.parse(bar.end)) - x0);
    const rect = svgEl("rect", { class: `bar ${bar.state}${bar.late ? " late" : ""}`, x: x0.toFixed(1), y: top + k * rowHeight + 4,
      width: w.toFixed(1), height: rowHeight - 8, rx: 2, fill: pairColour(bar.pair_id),
      "data-pair": bar.pair_serial, "data-operation": bar.operation });
    rect.append(svgEl("title", {}, `${bar.pair_serial} (order ${bar.order_number}) · ${words(bar.operation)} on ${bar.centre}\n` +
      `${fmtDateTime(bar.start)} – ${fmtDateTime(bar.end)} · ${words(bar.state)} · due ${fmtDate(bar.due_at)}${bar.late ? " · LATE" : ""}`));
    rect.addEventListener("click", () => showPair(bar.pair_serial));
    svg.append(rect);
    if (w > 46) svg.append(svgEl("text", { x: x0 + 4, y: top + k * rowHeight + 17, "pointer-events": "none" }, bar.pair_serial.slice(-4)));
  }
}

let lastSchedule = null;

export async function loadSchedule() {
  const panel = $("panel-schedule");
  try {
    lastSchedule = await api("/api/planning/schedule");
    const s = lastSchedule;
    $("schedule-summary").textContent = s.operations.length
      ? `${s.operations.length} planned operations of ${s.pairs} pairs on ${new Set(s.operations.map((o) => o.centre)).size} of ` +
        `${s.centres.length} work centres, ${fmtDateTime(s.start)} – ${fmtDateTime(s.end)}; ${s.late_pairs} pairs planned late.`
      : "No operation is planned yet.";
    drawGantt(s);
    panel.dataset.loaded = "true";
  } catch (error) { failed(panel, error); }
}

export async function replan() {
  const button = $("replan");
  button.disabled = true;
  button.textContent = "Planning…";
  try {
    const plan = await api("/api/planning/schedule", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ time_limit_s: 5 }) });
    notice(`Re-planned ${plan.work_orders} work orders (${plan.operations} operations, ${plan.method}, ${plan.status}): ` +
      `weighted tardiness ${plan.weighted_tardiness}, makespan ${(plan.makespan_minutes / 60).toFixed(1)} working hours.`);
    await loadSchedule();
  } catch (error) {
    notice(`Re-planning failed: ${error.message}`, "error");
  } finally {
    button.disabled = false;
    button.textContent = "Re-plan now";
  }
}

// Draw the last loaded plan again (at the window's new width).
export function redrawSchedule() {
  if (lastSchedule) drawGantt(lastSchedule);
}
