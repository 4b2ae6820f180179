// A pair's provenance from its digital product passport (GET /api/pairs/{serial}/dpp, public): materials and
// lots, each step with its station and time, QC results, and whether the hash-chained record verifies.

const $ = (id) => document.getElementById(id);
const serial = decodeURIComponent(window.location.pathname.split("/")[2] || "");

function item(text, when) {
  const li = document.createElement("li");
  li.textContent = text;
  if (when) {
    const time = document.createElement("time");
    time.dateTime = when;
    time.textContent = ` · ${new Date(when).toLocaleString()}`;
    li.append(time);
  }
  return li;
}

async function show() {
  $("serial").textContent = serial;
  const url = `/api/pairs/${encodeURIComponent(serial)}/dpp`;
  $("dpp").href = url;
  const response = await fetch(url);
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch { /* not JSON */ }
    $("verdict").textContent = detail;
    $("verdict").dataset.ok = "false";
    return;
  }
  const dpp = await response.json();
  const ledger = dpp.ledger;
  $("verdict").dataset.ok = String(ledger.verified);
  $("verdict").textContent = ledger.verified
    ? `The record of this pair is intact: ${ledger.entries} ${ledger.entries === 1 ? "entry" : "entries"}` +
      `, ${ledger.anchors.length ? `sealed on ${ledger.anchors.length} day(s)` : "not sealed yet (days seal at midnight UTC)"}.`
    : `The record of this pair does not verify: ${ledger.problems.join("; ")}`;
  const lines = dpp.materials.bill_of_materials?.lines ?? [];
  for (const line of lines) $("materials").append(item(`${line.item} (${line.material_id})`));
  for (const lot of dpp.materials.lots) $("materials").append(item(`lot ${lot.lot} of ${lot.material}`, lot.issued_at));
  for (const step of dpp.process) {
    const qc = step.qc ? ` — QC ${step.qc.result}${step.qc.defects.length ? ` (${step.qc.defects.join(", ")})` : ""}` : "";
    $("steps").append(item(`${step.operation ?? ""} ${step.event ?? ""} at ${step.station ?? "?"}${qc}`, step.at));
  }
  document.body.dataset.ready = "true";
}

show();
