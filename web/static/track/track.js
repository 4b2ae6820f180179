// The tracking page: an order's pairs, where each pair's preparation run is (GET /api/orders/{number}), its
// progress on the shop floor with the ETA (GET /api/pairs/{serial}/progress) and its provenance QR code.
// Polled every 2 s until every run has finished.
const POLL_MS = 2000;
const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const STAGE_TITLES = {
  "scan.measure": "Foot measured", "last.fit": "Last fitted", "patterns.make": "Patterns made",
  "work_order.release": "Work orders released",
};
const $ = (id) => document.getElementById(id);

function stageRow(name, recorded) {
  const li = document.createElement("li");
  const state = recorded?.state ?? "pending";
  li.dataset.state = state;
  li.dataset.stage = name;
  const title = document.createElement("span");
  title.textContent = STAGE_TITLES[name] ?? name;
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.textContent = state;
  li.append(title, badge);
  if (recorded?.error) {
    const error = document.createElement("small");
    error.textContent = recorded.error.message;
    li.append(error);
  }
  return li;
}

function show(order) {
  $("order-number").textContent = order.order_number;
  const box = $("pairs");
  box.replaceChildren();
  let finished = true;
  for (const pair of order.pairs) {
    const run = pair.runs.at(-1);
    const article = document.createElement("article");
    article.className = "pair";
    article.dataset.serial = pair.serial;
    const heading = document.createElement("h2");
    heading.textContent = `Pair ${pair.serial}`;
    article.append(heading);
    if (!run) {
      article.append("Not planned yet.");
      box.append(article);
      continue;
    }
    const byName = Object.fromEntries(run.stages.map((s) => [s.stage, s]));
    const done = run.planned_stages.filter((s) => ["succeeded", "reused"].includes(byName[s]?.state)).length;
    const progress = document.createElement("progress");
    progress.max = run.planned_stages.length;
    progress.value = done;
    const summary = document.createElement("p");
    summary.className = "run-state";
    summary.dataset.state = run.state;
    summary.textContent = `${run.state} · ${done} of ${run.planned_stages.length} steps done`;
    const list = document.createElement("ol");
    list.className = "stages";
    for (const name of run.planned_stages) list.append(stageRow(name, byName[name]));
    article.append(summary, progress, list, workshop(pair.serial));
    box.append(article);
    finished &&= FINISHED.has(run.state);
  }
  box.dataset.state = finished ? "finished" : "running";
  $("status").textContent = `Placed ${new Date(order.created_at).toLocaleString()}` +
    (finished ? "." : " · updating…");
  return finished;
}

/** The pair in the workshop: its work order's state, operations done, ETA, and the label's QR code. */
function workshop(serial) {
  const section = document.createElement("section");
  section.className = "workshop";
  const line = document.createElement("p");
  line.className = "work-order";
  line.textContent = "In the workshop: not started yet.";
  const qr = document.createElement("a");
  qr.href = `/pairs/${encodeURIComponent(serial)}/provenance`;
  qr.title = "Provenance of this pair (the QR code on its label)";
  const image = document.createElement("img");
  image.src = `/api/pairs/${encodeURIComponent(serial)}/qr.svg`;
  image.alt = `QR code of pair ${serial}`;
  image.width = 96;
  qr.append(image);
  section.append(line, qr);
  fetch(`/api/pairs/${encodeURIComponent(serial)}/progress`).then(async (response) => {
    if (!response.ok) return;
    const progress = await response.json();
    const wo = progress.work_order;
    if (!wo) return;
    const done = wo.operations.filter((o) => o.state === "done").length;
    let text = `In the workshop: ${wo.state.replaceAll("_", " ")} · ${done} of ${wo.operations.length} operations done`;
    // The ETA counts work, not the wait for material: shown once the kit is reserved.
    if (progress.eta && wo.state !== "awaiting_material") {
      text += ` · ready about ${new Date(progress.eta.eta).toLocaleString()}`;
    }
    else if (wo.state === "done") text += " · finished";
    line.textContent = text;
    line.dataset.state = wo.state;
  });
  return section;
}

async function poll(number) {
  const response = await fetch(`/api/orders/${encodeURIComponent(number)}`);
  if (response.status === 401) { // an order is its customer's: sign in, then come back here
    const here = window.location.pathname + window.location.search;
    window.location.assign(`/login/?next=${encodeURIComponent(here)}`);
    return;
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch { /* not a problem document */ }
    $("status").textContent = `Order ${number}: ${detail}`;
    return;
  }
  if (!show(await response.json())) setTimeout(() => poll(number), POLL_MS);
}

const number = new URLSearchParams(window.location.search).get("order");
if (number) {
  poll(number);
} else {
  $("lookup").hidden = false;
  $("status").textContent = "Type your order number.";
}
