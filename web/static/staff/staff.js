// The staff dashboard: orders and pairs (filters, paging, a pair's timeline), the schedule as a Gantt chart,
// station queues, QC and rework, delay alerts, inventory and KPIs. Plain modules and SVG drawn here: no
// framework, no chart library, nothing from a CDN. Every number on the page comes from the API (docs/api.md).
import { api } from "/common/api.js";
import { el } from "/common/dom.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const PAGE = 50;

// ------------------------------------------------------------------------------------------------ helpers

function notice(text, kind = "info") {
  const box = $("notice");
  box.hidden = !text;
  box.textContent = text || "";
  box.dataset.kind = kind;
}


function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const fmtDateTime = (iso) => (iso ? dateTime.format(new Date(iso)) : "—");
const fmtDate = (iso) => (iso ? dateOnly.format(new Date(iso)) : "—");
// In a table cell: no year when it is this year's.
const fmtShortDate = (iso) => {
  if (!iso) return "—";
  const when = new Date(iso);
  return when.getFullYear() === new Date().getFullYear() ? dayMonth.format(when) : dateOnly.format(when);
};
const pct = (value, digits = 1) => (value === null || value === undefined ? "n/a" : `${(100 * value).toFixed(digits)} %`);
const words = (code) => String(code ?? "").replaceAll("_", " ");

function stateBadge(state) {
  return el("span", { class: "state", dataset: { state } }, words(state));
}

// A stable colour per pair: golden-ratio steps around the hue circle (as planning/gantt.py does).
function pairColour(id) {
  const hue = ((Number(id) * 0.618033988749895) % 1) * 360;
  return `hsl(${hue.toFixed(0)} 55% 68%)`;
}

function emptyRow(table, text) {
  const columns = table.querySelectorAll("thead th").length;
  table.tBodies[0].replaceChildren(el("tr", { class: "empty" }, el("td", { colspan: columns }, text)));
}

function failed(panel, error) {
  const box = panel.querySelector(".meta") || panel;
  box.textContent = error.status === 403 ? "Your account may not see this panel." : `Could not load: ${error.message}`;
  panel.dataset.loaded = "error";
}

// ------------------------------------------------------------------------------------------------ tabs

const loaders = {};
const loadedOnce = new Set();

function showPanel(name, { push = true } = {}) {
  if ($("notice").dataset.kind !== "error") notice("");
  for (const tab of document.querySelectorAll(".tabs [role=tab]")) {
    const selected = tab.dataset.panel === name;
    tab.setAttribute("aria-selected", String(selected));
    $(`panel-${tab.dataset.panel}`).hidden = !selected;
  }
  if (push && location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  if (!loadedOnce.has(name) || name !== "pairs") {
    loadedOnce.add(name);
    loaders[name]?.();
  }
}

// ------------------------------------------------------------------------------------------------ pairs

const pairs = { states: new Set(), items: [], next: null, total: 0, selected: null, styles: [] };

function pairQuery({ withStates = true } = {}) {
  const query = new URLSearchParams();
  const q = $("f-q").value.trim();
  if (q) query.set("q", q);
  if ($("f-style").value) query.set("style", $("f-style").value);
  if ($("f-due").value) query.set("due_before", new Date(`${$("f-due").value}T00:00`).toISOString());
  if ($("f-overdue").checked) query.set("overdue", "true");
  if (withStates) for (const state of pairs.states) query.append("state", state);
  return query;
}

async function loadStyles() {
  try {
    pairs.styles = await api("/api/styles");
  } catch { return; }
  const select = $("f-style");
  for (const style of pairs.styles) select.append(el("option", { value: style.name }, style.title));
}

async function loadSummary() {
  const summary = await api(`/api/pairs/summary?${pairQuery({ withStates: false })}`);
  const box = $("state-chips");
  const chips = Object.entries(summary.by_state).map(([state, count]) => {
    const chip = el("button", { type: "button", class: "chip", "aria-pressed": String(pairs.states.has(state)),
      dataset: { state } }, words(state), el("b", {}, String(count)));
    chip.addEventListener("click", () => {
      if (pairs.states.has(state)) pairs.states.delete(state);
      else pairs.states.add(state);
      chip.setAttribute("aria-pressed", String(pairs.states.has(state)));
      loadPairs();
    });
    return chip;
  });
  const overdue = el("button", { type: "button", class: "chip", "aria-pressed": String($("f-overdue").checked),
    dataset: { overdue: "" } }, "overdue", el("b", {}, String(summary.overdue)));
  overdue.addEventListener("click", () => { $("f-overdue").checked = !$("f-overdue").checked; refreshPairs(); });
  box.replaceChildren(...chips, overdue);
  return summary;
}

function pairRow(item) {
  const progress = item.done_fraction === null ? "—" : el("span", {},
    el("span", { class: "bar-cell" }, el("span", { style: `width:${(100 * item.done_fraction).toFixed(0)}%` })),
    `${(100 * item.done_fraction).toFixed(0)} %`);
  const now = item.current_operation
    ? [words(item.current_operation.code), " ", el("small", {}, `(${words(item.current_operation.state)})`)]
    : item.state === "not_released" ? `pipeline ${item.pipeline_state ?? "—"}` : "—";
  const order = el("button", { type: "button", class: "link", title: "Show this order's pairs" }, item.order_number);
  order.addEventListener("click", (event) => {
    event.stopPropagation();
    $("f-q").value = item.order_number;
    refreshPairs();
  });
  const row = el("tr", { dataset: { serial: item.serial, state: item.state }, tabindex: "0",
    "aria-selected": String(pairs.selected === item.serial) },
  el("td", { class: "serial" }, item.serial),
  el("td", {}, order),
  el("td", { class: "wide" }, item.style),
  el("td", {}, stateBadge(item.state)),
  el("td", { class: "wide" }, now),
  el("td", {}, progress),
  el("td", { class: item.overdue ? "overdue" : "", title: item.due_at ? fmtDateTime(item.due_at) : "" },
    fmtShortDate(item.due_at), item.overdue ? " ⚠" : ""));
  const open = () => openTimeline(item.serial);
  row.addEventListener("click", open);
  row.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
  return row;
}

function renderPairs() {
  const table = $("pairs-table");
  if (pairs.items.length === 0) emptyRow(table, "No pair matches these filters.");
  else table.tBodies[0].replaceChildren(...pairs.items.map(pairRow));
  $("pairs-shown").textContent = String(pairs.items.length);
  $("pairs-total").textContent = String(pairs.total);
  $("more").hidden = !pairs.next;
}

async function loadPairs({ more = false } = {}) {
  const panel = $("panel-pairs");
  const query = pairQuery();
  query.set("limit", String(PAGE));
  if (more && pairs.next) query.set("cursor", pairs.next);
  try {
    const page = await api(`/api/pairs?${query}`);
    pairs.items = more ? [...pairs.items, ...page.items] : page.items;
    pairs.next = page.next_cursor;
    pairs.total = page.total;
    renderPairs();
    panel.dataset.loaded = "true";
  } catch (error) {
    if (error.status === 422) {
      notice(`Filter refused: ${error.message}`, "error");
      return;
    }
    failed(panel, error);
  }
}

async function refreshPairs() {
  notice("");
  try {
    await loadSummary();
  } catch (error) {
    if (error.status !== 422) failed($("panel-pairs"), error);
  }
  await loadPairs();
}

function entryDetails(entry) {
  switch (entry.kind) {
    case "event":
      return [entry.station && `at ${entry.station}`, entry.worker && `by ${entry.worker}`, entry.source && `via ${entry.source}`];
    case "qc":
      return [entry.inspector && `inspector ${entry.inspector}`,
        entry.defect_codes?.length ? `defects ${entry.defect_codes.join(", ")}` : null,
        entry.rework_to ? `back to ${words(entry.rework_to)}` : null];
    case "pipeline":
      return [entry.error];
    case "work_order":
      return [`due ${fmtDate(entry.due_at)}`];
    case "feedback":
      return [Object.entries(entry.answers || {}).map(([region, a]) => `${region} ${a.answer}`).join(", ")];
    default:
      return [];
  }
}

async function openTimeline(serial) {
  pairs.selected = serial;
  for (const row of $("pairs-table").tBodies[0].rows) row.setAttribute("aria-selected", String(row.dataset.serial === serial));
  const box = $("timeline");
  box.hidden = false;
  box.dataset.serial = serial;
  box.dataset.loaded = "false";
  $("tl-title").textContent = `Pair ${serial}`;
  $("tl-summary").textContent = "Loading…";
  try {
    const timeline = await api(`/api/pairs/${encodeURIComponent(serial)}/timeline`);
    const wo = timeline.progress.work_order;
    $("tl-summary").replaceChildren(`Order ${timeline.order_number} · ${timeline.style} · `,
      wo ? stateBadge(wo.state) : stateBadge("not_released"),
      wo ? ` · due ${fmtDate(wo.due_at)} · ${(100 * wo.done_fraction).toFixed(0)} % done` : "");
    $("tl-operations").replaceChildren(...(wo?.operations ?? []).map((op) =>
      el("li", { dataset: { state: op.state }, title: `${op.code}: ${words(op.state)}${op.passes > 1 ? `, ${op.passes} passes` : ""}` },
        words(op.code))));
    const qc = Object.entries(timeline.qc_checkpoints);
    $("tl-qc").replaceChildren(...(qc.length ? ["QC: ", ...qc.flatMap(([checkpoint, state]) => [`${checkpoint} `, stateBadge(state), " "])] : []));
    $("tl-entries").replaceChildren(...timeline.entries.map((entry) => el("li",
      { dataset: { kind: entry.kind, passed: entry.passed === undefined ? undefined : String(entry.passed) } },
      el("time", { datetime: entry.at }, fmtDateTime(entry.at)),
      el("span", {}, words(entry.title)),
      " ",
      el("small", {}, entryDetails(entry).filter(Boolean).join(" · ")))));
    box.dataset.loaded = "true";
    if (window.matchMedia("(max-width: 1099px)").matches) box.scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (error) {
    $("tl-summary").textContent = error.status === 404 ? `Pair ${serial} does not exist.` : `Could not load: ${error.message}`;
    box.dataset.loaded = "error";
  }
}

loaders.pairs = refreshPairs;

// ------------------------------------------------------------------------------------------------ schedule

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
    rect.addEventListener("click", () => { showPanel("pairs"); openTimeline(bar.pair_serial); });
    svg.append(rect);
    if (w > 46) svg.append(svgEl("text", { x: x0 + 4, y: top + k * rowHeight + 17, "pointer-events": "none" }, bar.pair_serial.slice(-4)));
  }
}

let lastSchedule = null;

async function loadSchedule() {
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

async function replan() {
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

loaders.schedule = loadSchedule;

// ------------------------------------------------------------------------------------------------ stations

function queueList(items, describe) {
  return el("ol", {}, items.map((item) => el("li", {}, el("span", { class: "serial" }, item.pair_serial), " ",
    words(item.operation), " ", el("small", {}, describe(item)))));
}

function stationCard(queue, title) {
  const busy = queue.in_progress.length + queue.ready.length + queue.blocked.length > 0;
  const card = el("article", { class: "card station", dataset: { centre: queue.centre ?? "", kind: queue.kind, busy: String(busy) } },
    el("h3", {}, title), el("p", { class: "kind" }, queue.centre
      ? `${words(queue.kind)} · ${queue.stations} station${queue.stations > 1 ? "s" : ""}` : "ready, not scheduled yet"));
  const sections = [
    ["In progress", queue.in_progress, "running", (i) => `since ${fmtDateTime(i.started_at)}`],
    ["Ready", queue.ready, "ready", (i) => (i.planned_start ? `planned ${fmtDateTime(i.planned_start)}` : `due ${fmtDate(i.due_at)}`) + (i.state === "rework" ? " · rework" : "")],
    ["Blocked", queue.blocked, "blocked", (i) => `due ${fmtDate(i.due_at)}`],
  ];
  for (const [label, items, key, describe] of sections) {
    if (!items.length) continue;
    card.append(el("h4", {}, `${label} (${items.length})`));
    const list = queueList(items, describe);
    list.dataset.queue = key;
    card.append(list);
  }
  if (!busy) card.append(el("p", { class: "none" }, "Nothing queued."));
  return card;
}

async function loadStations() {
  const panel = $("panel-stations");
  try {
    const data = await api("/api/planning/queues");
    const all = [...data.queues, ...data.unassigned];
    const count = (key) => all.reduce((n, q) => n + q[key].length, 0);
    const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
    $("stations-summary").textContent = `${plural(count("in_progress"), "operation")} in progress, ${count("ready")} ready, ` +
      `${count("blocked")} blocked, at ${data.queues.length} work centres` +
      (data.unassigned.length ? `; ${data.unassigned.reduce((n, u) => n + u.ready.length, 0)} ready but not scheduled.` : ".");
    const isBusy = (q) => q.in_progress.length + q.ready.length + q.blocked.length > 0;
    const busy = data.queues.filter(isBusy);
    const idle = data.queues.filter((q) => !isBusy(q));
    $("stations").replaceChildren(...busy.map((q) => stationCard(q, q.centre)));
    $("idle").replaceChildren(...(idle.length ? [el("b", {}, `Idle (${idle.length}): `),
      idle.map((q) => q.centre).join(", ")] : []));
    $("unassigned").replaceChildren(...data.unassigned.map((q) => stationCard(q, `Any ${words(q.kind)} centre`)));
    panel.dataset.loaded = "true";
  } catch (error) { failed(panel, error); }
}

loaders.stations = loadStations;

// ------------------------------------------------------------------------------------------------ charts

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
function barChart(svg, items, { format = (v) => String(v), max = null, height = 220, integer = false, right = 8 } = {}) {
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
function lineChart(svg, points, { height = 220 } = {}) {
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
function paretoChart(svg, rows, { height = 240 } = {}) {
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

function tile(label, value, note, key) {
  return el("div", { class: "tile", dataset: { kpi: key } }, el("span", { class: "label" }, label), el("strong", {}, value),
    note ? el("small", {}, note) : null);
}

// ------------------------------------------------------------------------------------------------ QC

async function loadQc() {
  const panel = $("panel-qc");
  try {
    const [metrics, rework] = await Promise.all([api("/api/qc/metrics"), api("/api/qc/rework")]);
    $("qc-tiles").replaceChildren(
      tile("First-pass yield", pct(metrics.first_pass_yield), `${metrics.pairs_inspected} pairs inspected`, "first_pass_yield"),
      tile("Rework rate", pct(metrics.rework_rate), `${metrics.failed_inspections} of ${metrics.inspections} inspections failed`, "rework_rate"),
      tile("Inspections", String(metrics.inspections), "finished", "inspections"),
      tile("Defects", String(metrics.defects), `${metrics.defect_pareto.length} codes`, "defects"),
      tile("Waiting for rework", String(rework.items.length), "pairs", "rework"));
    paretoChart($("pareto"), metrics.defect_pareto);
    barChart($("fpy"), Object.entries(metrics.first_pass_yield_by_checkpoint).map(([checkpoint, value]) =>
      ({ label: checkpoint, value: value ?? 0 })), { max: 1, format: (v) => `${Math.round(100 * v)} %` });
    const table = $("rework-table");
    if (!rework.items.length) emptyRow(table, "No pair is waiting for rework.");
    else table.tBodies[0].replaceChildren(...rework.items.map((r) => el("tr", { dataset: { serial: r.pair_serial } },
      el("td", { class: "serial" }, r.pair_serial), el("td", {}, r.order_number),
      el("td", {}, `${r.checkpoint} #${r.attempt}`), el("td", {}, r.defect_codes.join(", ")),
      el("td", {}, words(r.rework_to ?? "—"), " ", r.rework_operation_state ? stateBadge(r.rework_operation_state) : ""),
      el("td", {}, stateBadge(r.work_order_state)), el("td", { class: "wide" }, fmtDateTime(r.failed_at)))));
    for (const row of table.tBodies[0].rows) {
      if (row.dataset.serial) row.addEventListener("click", () => { showPanel("pairs"); openTimeline(row.dataset.serial); });
    }
    panel.dataset.loaded = "true";
  } catch (error) { failed(panel, error); }
}

loaders.qc = loadQc;

// ------------------------------------------------------------------------------------------------ alerts

async function loadAlerts() {
  const panel = $("panel-alerts");
  try {
    const alerts = await api("/api/tracking/alerts");
    $("alerts-count").textContent = alerts.length ? String(alerts.length) : "";
    $("alerts-summary").textContent = alerts.length
      ? `${alerts.length} open pairs are forecast to miss their due date (or are likely to).`
      : "No open pair is forecast to be late.";
    const table = $("alerts-table");
    if (!alerts.length) emptyRow(table, "No delay alerts.");
    else table.tBodies[0].replaceChildren(...alerts.map((a) => {
      const row = el("tr", { dataset: { serial: a.serial } },
        el("td", { class: "serial" }, a.serial), el("td", {}, stateBadge(a.state)), el("td", {}, fmtDate(a.due_at)),
        el("td", { class: a.late ? "overdue" : "" }, fmtDateTime(a.eta)),
        el("td", { class: "num" }, pct(a.late_probability, 0)),
        el("td", {}, a.bottleneck ? `${words(a.bottleneck.operation)} (${Math.round(a.bottleneck.minutes)} min)` : "—"));
      row.addEventListener("click", () => { showPanel("pairs"); openTimeline(a.serial); });
      return row;
    }));
    panel.dataset.loaded = "true";
  } catch (error) { failed(panel, error); }
}

loaders.alerts = loadAlerts;

// ------------------------------------------------------------------------------------------------ inventory

function rowsOf(data) {
  if (Array.isArray(data)) return data;
  if (Array.isArray(data?.items)) return data.items;
  const list = Object.values(data ?? {}).find(Array.isArray);
  return list ?? [];
}

function genericTable(rows) {
  if (!rows.length) return el("p", { class: "meta" }, "None.");
  const columns = [...new Set(rows.slice(0, 50).flatMap((r) => Object.keys(r)))].slice(0, 10);
  const cell = (value) => {
    if (value === null || value === undefined) return "—";
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/\.?0+$/, "");
    if (typeof value === "object") return JSON.stringify(value).slice(0, 80);
    return String(value);
  };
  return el("table", { class: "grid" },
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", {}, words(c))))),
    el("tbody", {}, rows.map((r) => el("tr", {}, columns.map((c) => el("td", { class: typeof r[c] === "number" ? "num" : "" }, cell(r[c])))))));
}

const qty = (value) => (value === null || value === undefined ? "—"
  : Number.isInteger(value) ? String(value) : Number(value).toFixed(3).replace(/\.?0+$/, ""));

// Work orders waiting for material: one row per short material (inventory's shortages shape), else generic.
function shortagesTable(rows) {
  if (!rows.length) return el("p", { class: "meta" }, "No work order is waiting for material.");
  if (!rows.every((r) => "pair_serial" in r)) return genericTable(rows);
  const lines = rows.flatMap((r) => (r.shortages?.length ? r.shortages : [null]).map((s) => ({ ...r, short: s })));
  const table = el("table", { class: "grid", id: "shortages-table" },
    el("thead", {}, el("tr", {}, ["Pair", "Due", "Material", "Needed", "Available", "Short"].map((h) => el("th", {}, h)))),
    el("tbody", {}, lines.map((line) => {
      const row = el("tr", { dataset: { serial: line.pair_serial } }, el("td", { class: "serial" }, line.pair_serial),
        el("td", {}, fmtDate(line.due_at)),
        ...(line.short ? [el("td", {}, line.short.material_id), el("td", { class: "num" }, `${qty(line.short.needed)} ${line.short.unit}`),
          el("td", { class: "num" }, `${qty(line.short.available)} ${line.short.unit}`),
          el("td", { class: "num overdue" }, `${qty(line.short.needed - line.short.available)} ${line.short.unit}`)]
          : [el("td", { colspan: 4 }, line.reason ?? "")]));
      row.addEventListener("click", () => { showPanel("pairs"); openTimeline(line.pair_serial); });
      return row;
    })));
  return table;
}

// Stock per material (inventory's stock shape), else generic.
function stockTable(rows) {
  if (!rows.length) return el("p", { class: "meta" }, "Nothing in stock, reserved or on order.");
  if (!rows.every((r) => "material_id" in r && "on_hand" in r)) return genericTable(rows);
  const numbers = [["on_hand", "On hand"], ["reserved", "Reserved"], ["available", "Available"], ["on_order", "On order"],
    ["shortage", "Short"]];
  return el("table", { class: "grid", id: "stock-table" },
    el("thead", {}, el("tr", {}, el("th", {}, "Material"), el("th", {}, "Unit"), numbers.map(([, h]) => el("th", {}, h)),
      el("th", { class: "wide" }, "Lots"), el("th", { class: "wide" }, "Value"))),
    el("tbody", {}, rows.map((r) => el("tr", { dataset: { material: r.material_id, short: String(r.shortage > 0) } },
      el("td", {}, r.material_id, el("br"), el("small", { class: "muted" }, r.name ?? "")), el("td", {}, r.unit),
      numbers.map(([key]) => el("td", { class: `num${key === "shortage" && r[key] > 0 ? " overdue" : ""}` }, qty(r[key]))),
      el("td", { class: "num wide" }, qty(r.lots)), el("td", { class: "num wide" }, r.value_eur === undefined ? "—" : `€ ${r.value_eur.toFixed(2)}`)))));
}

async function loadInventory() {
  const panel = $("panel-inventory");
  const state = $("inventory-state");
  const everything = $("all-materials").checked;
  try {
    const [shortages, stock] = await Promise.all([api("/api/inventory/shortages"),
      api(`/api/inventory/stock?limit=200${everything ? "" : "&in_stock=true"}`)]);
    const waiting = rowsOf(shortages);
    const materials = rowsOf(stock);
    $("shortages").replaceChildren(shortagesTable(waiting));
    $("stock").replaceChildren(stockTable(materials));
    state.textContent = `${waiting.length} work order${waiting.length === 1 ? "" : "s"} waiting for material; ` +
      `${materials.length} materials ${everything ? "in the catalogue" : "in stock, reserved, on order or short"}.`;
    panel.dataset.state = "available";
  } catch (error) {
    if (error.status === 404 || error.status === 405) {
      state.textContent = "Inventory is not available on this server yet: /api/inventory answered “not found”.";
      panel.dataset.state = "unavailable";
      $("shortages").replaceChildren();
      $("stock").replaceChildren();
    } else {
      state.textContent = error.status === 403 ? "Your account may not see the inventory." : `Could not load: ${error.message}`;
      panel.dataset.state = "error";
    }
  }
  panel.dataset.loaded = "true";
}

loaders.inventory = loadInventory;

// ------------------------------------------------------------------------------------------------ KPIs

function hours(summary) {
  if (!summary) return ["n/a", "no order finished yet"];
  const text = (h) => (h >= 48 ? `${(h / 24).toFixed(1)} d` : `${h.toFixed(1)} h`);
  return [text(summary.median_h), `median of ${summary.n}; p90 ${text(summary.p90_h)}`];
}

async function loadKpis() {
  const panel = $("panel-kpis");
  try {
    const [kpis, summary] = await Promise.all([api("/api/kpis?days=14"), api("/api/pairs/summary")]);
    const [lead, leadNote] = hours(kpis.order_lead_time);
    const [processing, processingNote] = hours(kpis.order_processing_time);
    $("kpi-tiles").replaceChildren(
      tile("Pairs in production", String(kpis.pairs), `${kpis.pairs_done} done`, "pairs"),
      tile("Orders done", `${kpis.orders_done} / ${kpis.orders}`, "every pair packed", "orders_done"),
      tile("Order lead time", lead, leadNote, "order_lead_time"),
      tile("Processing time", processing, processingNote, "order_processing_time"),
      tile("On-time delivery", pct(kpis.on_time_delivery), "pairs done by their due date", "on_time_delivery"),
      tile("Defect rate", pct(kpis.defect_rate), "failed / all QC verdicts", "defect_rate"),
      tile("First-pass yield", pct(kpis.first_pass_yield), "pairs never failing QC", "first_pass_yield"),
      tile("Overdue", String(summary.overdue), `of ${summary.total} pairs`, "overdue"));
    lineChart($("daily"), kpis.daily_output.map((d) => ({ label: dayMonth.format(new Date(`${d.day}T12:00:00Z`)),
      title: d.day, value: d.operations_finished })));
    barChart($("by-state"), Object.entries(summary.by_state).map(([state, count]) => ({ label: words(state), value: count })),
      { integer: true });
    const workers = Object.entries(kpis.output_per_worker).sort((a, b) => b[1] - a[1]).slice(0, 12);
    barChart($("per-worker"), workers.map(([worker, count]) => ({ label: worker, value: count })), { integer: true });
    panel.dataset.loaded = "true";
  } catch (error) { failed(panel, error); }
}

loaders.kpis = loadKpis;

// ------------------------------------------------------------------------------------------------ start

function debounce(action, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => action(...args), ms); };
}

function currentPanel() {
  return document.querySelector(".tabs [aria-selected=true]")?.dataset.panel ?? "pairs";
}

async function start() {
  for (const tab of document.querySelectorAll(".tabs [role=tab]")) tab.addEventListener("click", () => showPanel(tab.dataset.panel));
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); refreshPairs(); });
  $("f-q").addEventListener("input", debounce(refreshPairs, 300));
  for (const id of ["f-style", "f-due", "f-overdue"]) $(id).addEventListener("change", refreshPairs);
  $("more").addEventListener("click", () => loadPairs({ more: true }));
  $("tl-close").addEventListener("click", () => { $("timeline").hidden = true; pairs.selected = null; renderPairs(); });
  $("replan").addEventListener("click", replan);
  $("all-materials").addEventListener("change", loadInventory);
  window.addEventListener("hashchange", () => {
    const name = location.hash.slice(1);
    if (loaders[name] && name !== currentPanel()) showPanel(name, { push: false });
  });
  window.addEventListener("resize", debounce(() => {
    const panel = currentPanel();
    if (panel === "schedule" && lastSchedule) drawGantt(lastSchedule);
    else if (["qc", "kpis"].includes(panel)) loaders[panel]();
  }, 250));
  await loadStyles();
  const wanted = location.hash.slice(1);
  showPanel(loaders[wanted] ? wanted : "pairs", { push: false });
  if (wanted !== "pairs" && loaders[wanted]) {
    loadedOnce.add("pairs");
    refreshPairs();
  }
  loadAlerts();  // the tab's count
  const serial = new URLSearchParams(location.search).get("pair");
  if (serial) openTimeline(serial);
}

window.cspmsStaff = { api, showPanel, openTimeline };
start();
