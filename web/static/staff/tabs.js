// The tabs: one panel shown at a time, each loaded when it is shown (the pairs list only the first time: its
// filters reload it). Panels register their loader; a pair named anywhere opens on the pairs panel.
import { openTimeline } from "./pairs.js";
import { $, notice } from "./shared.js";

const loaders = {};
const loadedOnce = new Set();

export function showPanel(name, { push = true } = {}) {
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

export function registerPanel(name, load) {
  loaders[name] = load;
}

export function hasPanel(name) {
  return Object.hasOwn(loaders, name);
}

// Reload a panel without switching to it (a resize redraws the charts).
export function loadPanel(name) {
  loaders[name]?.();
}

// A panel loaded another way counts as shown once (the pairs list, loaded at the start behind another tab).
export function markLoaded(name) {
  loadedOnce.add(name);
}

export function currentPanel() {
  return document.querySelector(".tabs [aria-selected=true]")?.dataset.panel ?? "pairs";
}

// A pair's timeline on the pairs panel: where a Gantt bar, an alert, a rework or a shortage row leads.
export function showPair(serial) {
  showPanel("pairs");
  openTimeline(serial);
}
