// KPIs: lead and processing times, delivery, defects and yield as tiles; daily output, pairs by state and
// output per worker as charts.
import { api } from "/common/api.js";
import { barChart, lineChart, tile } from "./charts.js";
import { $, dayMonth, failed, pct, words } from "./shared.js";

function hours(summary) {
  if (!summary) return ["n/a", "no order finished yet"];
  const text = (h) => (h >= 48 ? `${(h / 24).toFixed(1)} d` : `${h.toFixed(1)} h`);
  return [text(summary.median_h), `median of ${summary.n}; p90 ${text(summary.p90_h)}`];
}

export async function loadKpis() {
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
