// Delay alerts: open pairs whose forecast finish passes their due date (or likely will), and the count on
// the tab.
import { api } from "/common/api.js";
import { el } from "/common/dom.js";
import { $, emptyRow, failed, fmtDate, fmtDateTime, pct, stateBadge, words } from "./shared.js";
import { showPair } from "./tabs.js";

export async function loadAlerts() {
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
      row.addEventListener("click", () => showPair(a.serial));
      return row;
    }));
    panel.dataset.loaded = "true";
  } catch (error) { failed(panel, error); }
}
