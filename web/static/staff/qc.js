// QC and rework: yield and defect tiles, the defect Pareto, first-pass yield per checkpoint, and the pairs
// waiting for rework.
import { api } from "/common/api.js";
import { el } from "/common/dom.js";
import { barChart, paretoChart, tile } from "./charts.js";
import { $, emptyRow, failed, fmtDateTime, pct, stateBadge, words } from "./shared.js";
import { showPair } from "./tabs.js";

export async function loadQc() {
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
      if (row.dataset.serial) row.addEventListener("click", () => showPair(row.dataset.serial));
    }
    panel.dataset.loaded = "true";
  } catch (error) { failed(panel, error); }
}
