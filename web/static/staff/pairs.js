// Orders and pairs: the filters and state chips (counts from /api/pairs/summary), the paged list, and the
// chosen pair's timeline beside it.
import { api } from "/common/api.js";
import { el } from "/common/dom.js";
import { $, emptyRow, failed, fmtDate, fmtDateTime, fmtShortDate, notice, stateBadge, words } from "./shared.js";

const PAGE = 50;

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

export async function loadStyles() {
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

export async function loadPairs({ more = false } = {}) {
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

export async function refreshPairs() {
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

export async function openTimeline(serial) {
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

export function closeTimeline() {
  $("timeline").hidden = true;
  pairs.selected = null;
  renderPairs();
}
