// The staff dashboard: orders and pairs (filters, paging, a pair's timeline), the schedule as a Gantt chart,
// station queues, QC and rework, delay alerts, inventory, KPIs, and walk-in customers with their claim codes.
// Plain modules and SVG drawn here: no framework, no chart library, nothing from a CDN. Every number on the page comes from the API (docs/api.md).
// This entry wires the panels (a module each: pairs.js, schedule.js, stations.js, qc.js, alerts.js,
// inventory.js, kpis.js, walkin.js) to the tabs, the page's controls and the address.
import { api } from "/common/api.js";
import { loadAlerts } from "./alerts.js";
import { loadInventory } from "./inventory.js";
import { loadKpis } from "./kpis.js";
import { closeTimeline, loadPairs, loadStyles, openTimeline, refreshPairs } from "./pairs.js";
import { loadQc } from "./qc.js";
import { loadSchedule, redrawSchedule, replan } from "./schedule.js";
import { $ } from "./shared.js";
import { loadStations } from "./stations.js";
import { currentPanel, hasPanel, loadPanel, markLoaded, registerPanel, showPanel } from "./tabs.js";
import { loadWalkIn } from "./walkin.js";

registerPanel("pairs", refreshPairs);
registerPanel("schedule", loadSchedule);
registerPanel("stations", loadStations);
registerPanel("qc", loadQc);
registerPanel("alerts", loadAlerts);
registerPanel("inventory", loadInventory);
registerPanel("kpis", loadKpis);
registerPanel("walkin", loadWalkIn);

function debounce(action, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => action(...args), ms); };
}

async function start() {
  for (const tab of document.querySelectorAll(".tabs [role=tab]")) tab.addEventListener("click", () => showPanel(tab.dataset.panel));
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); refreshPairs(); });
  $("f-q").addEventListener("input", debounce(refreshPairs, 300));
  for (const id of ["f-style", "f-due", "f-overdue"]) $(id).addEventListener("change", refreshPairs);
  $("more").addEventListener("click", () => loadPairs({ more: true }));
  $("tl-close").addEventListener("click", closeTimeline);
  $("replan").addEventListener("click", replan);
  $("all-materials").addEventListener("change", loadInventory);
  window.addEventListener("hashchange", () => {
    const name = location.hash.slice(1);
    if (hasPanel(name) && name !== currentPanel()) showPanel(name, { push: false });
  });
  window.addEventListener("resize", debounce(() => {
    const panel = currentPanel();
    if (panel === "schedule") redrawSchedule();
    else if (["qc", "kpis"].includes(panel)) loadPanel(panel);
  }, 250));
  await loadStyles();
  const wanted = location.hash.slice(1);
  showPanel(hasPanel(wanted) ? wanted : "pairs", { push: false });
  if (wanted !== "pairs" && hasPanel(wanted)) {
    markLoaded("pairs");
    refreshPairs();
  }
  loadAlerts();  // the tab's count
  const serial = new URLSearchParams(location.search).get("pair");
  if (serial) openTimeline(serial);
}

window.cspmsStaff = { api, showPanel, openTimeline };
start();
