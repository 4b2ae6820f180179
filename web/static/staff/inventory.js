// Inventory: work orders waiting for material and the stock per material, from /api/inventory when this
// server has it (a generic table for any other shape).
import { api } from "/common/api.js";
import { el } from "/common/dom.js";
import { $, fmtDate, words } from "./shared.js";
import { showPair } from "./tabs.js";

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
      row.addEventListener("click", () => showPair(line.pair_serial));
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

export async function loadInventory() {
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
