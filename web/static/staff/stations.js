// Station queues: per work centre what runs there, what is ready for it and what is blocked; the idle
// centres in one line; work ready for a kind of centre but not scheduled yet.
import { api } from "/common/api.js";
import { el } from "/common/dom.js";
import { $, failed, fmtDate, fmtDateTime, words } from "./shared.js";

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

export async function loadStations() {
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
