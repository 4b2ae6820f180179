// The pattern-maker page: pick an order's pair, download its pattern files (ASTM DXF, cutter DXF, PLT, SVG, PDF),
// read its pieces' strain and the last's fit report, and make a size run of the design
// (GET /api/orders/{n}/patterns, GET /api/orders/{n}/lasts, POST /api/orders/{n}/size-runs; docs/api.md).
import { api } from "/common/api.js";
import { el } from "/common/dom.js";

const $ = (id) => document.getElementById(id);
const FORMATS = [["dxf", "ASTM DXF"], ["cutter.dxf", "Cutter DXF"], ["plt", "PLT"], ["svg", "SVG"], ["pdf", "PDF"]];
const state = { order: null, serial: null, side: "right", patterns: null, lasts: null, report: null, listing: true };

const words = (code) => String(code ?? "").replaceAll("_", " ");
const mm = (value, digits = 1) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(digits)} mm`);
const percent = (value, digits = 2) => (value === null || value === undefined ? "—" : `${Number(value).toFixed(digits)} %`);
const kb = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`);

function notice(text, kind = "info") {
  const box = $("notice");
  box.hidden = !text;
  box.textContent = text || "";
  box.dataset.kind = kind;
}

function emptyRow(table, text) {
  const columns = table.querySelectorAll("thead th").length;
  table.tBodies[0].replaceChildren(el("tr", { class: "empty" }, el("td", { colspan: columns }, text)));
}

// ------------------------------------------------------------------------------------------------ picking

async function find(q) {
  const query = new URLSearchParams({ limit: "24" });
  if (q) query.set("q", q);
  try {
    const page = await api(`/api/pairs?${query}`);
    const list = $("found");
    list.replaceChildren(...page.items.map((item) => {
      const button = el("button", { type: "button", "aria-pressed": String(item.serial === state.serial),
        dataset: { order: item.order_number, serial: item.serial } },
      el("b", {}, item.order_number), el("span", { class: "serial" }, item.serial),
      el("small", {}, `${words(item.style)} · ${words(item.state)}${item.pipeline_state ? ` · pipeline ${item.pipeline_state}` : ""}`));
      button.addEventListener("click", () => choose(item.order_number, item.serial));
      return el("li", {}, button);
    }));
    if (!page.items.length) list.replaceChildren(el("li", { class: "meta" }, q ? `Nothing matches “${q}”.` : "No orders yet."));
  } catch (error) {
    if (error.status === 403) {
      // This account may not list pairs: an order number typed and entered still opens the order.
      state.listing = false;
      $("found").replaceChildren(el("li", { class: "meta" }, "Type an order number and press Enter."));
      return;
    }
    notice(error.status === 422 ? `Search refused: ${error.message}` : `Could not search: ${error.message}`, "error");
  }
}

async function choose(order, serial) {
  state.order = order;
  state.serial = serial;
  history.replaceState(null, "", `?order=${encodeURIComponent(order)}${serial ? `&pair=${encodeURIComponent(serial)}` : ""}`);
  for (const button of document.querySelectorAll("#found button")) {
    button.setAttribute("aria-pressed", String(button.dataset.serial === serial));
  }
  const section = $("design");
  section.hidden = false;
  section.dataset.loaded = "false";
  notice("");
  try {
    const [patterns, lasts] = await Promise.all([api(`/api/orders/${encodeURIComponent(order)}/patterns`),
      api(`/api/orders/${encodeURIComponent(order)}/lasts`)]);
    state.patterns = patterns.pairs.find((p) => p.serial === serial) ?? patterns.pairs[0];
    state.lasts = lasts.pairs.find((p) => p.serial === state.patterns.serial) ?? lasts.pairs[0];
    state.serial = state.patterns.serial;
    const reportFile = state.patterns.files.find((f) => f.format === "report");
    state.report = reportFile ? await api(reportFile.url) : null;
    renderDesign();
    renderFiles();
    renderPieces();
    renderFit();
    prepareSizeRun();
    section.dataset.loaded = "true";
  } catch (error) {
    notice(error.status === 404 ? `Order ${order} does not exist.` : `Could not load order ${order}: ${error.message}`, "error");
    section.dataset.loaded = "error";
  }
}

// ------------------------------------------------------------------------------------------------ design

function renderDesign() {
  const p = state.patterns;
  const l = state.lasts;
  const latest = l.revisions.at(-1);
  $("design-title").textContent = `${words(l.style)} · order ${state.order} · pair ${p.serial}`;
  const facts = [
    ["Style", words(l.style)], ["Design", `#${p.design_id}`], ["Pair", p.serial],
    ["Patterns", `${words(p.state)}${p.run_id ? ` (run ${p.run_id})` : ""}`],
    ["Last", l.record ? `fitted, EU ${l.size_eu}` : words(l.state)],
    ["Re-orders use", latest ? `revision ${latest.revision} (${latest.source})` : "the fitted last"],
  ];
  if (state.report) facts.push(["Pattern size", state.report.size], ["Flattening", `${state.report.seconds} s, ${state.report.mirrored ? "left mirrored from right" : "each foot on its own last"}`]);
  $("design-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
}

function renderFiles() {
  const table = $("files");
  const files = state.patterns.files;
  if (!files.length) {
    emptyRow(table, `The patterns are not made yet (stage ${words(state.patterns.state)}).`);
    $("report-link").replaceChildren();
    return;
  }
  table.tBodies[0].replaceChildren(...["left", "right"].map((side) => el("tr", { dataset: { side } },
    el("th", {}, side), ...FORMATS.map(([format, label]) => {
      const file = files.find((f) => f.side === side && f.format === format);
      return el("td", {}, file ? [el("a", { href: file.url, download: file.filename, dataset: { format, side } }, label), " ",
        el("small", {}, kb(file.size_bytes))] : "—");
    }))));
  const report = files.find((f) => f.format === "report");
  $("report-link").replaceChildren(...(report ? ["Strain and seam report of both feet: ",
    el("a", { href: report.url, download: report.filename }, report.filename)] : []));
}

function renderPieces() {
  for (const button of document.querySelectorAll(".sides button")) button.setAttribute("aria-pressed", String(button.dataset.side === state.side));
  const table = $("pieces");
  const shoe = state.report?.[state.side];
  if (!shoe) {
    emptyRow(table, "No pattern report yet.");
    $("seams").tBodies[0].replaceChildren();
    $("strain-maps").replaceChildren();
    $("strain-summary").textContent = "";
    return;
  }
  table.tBodies[0].replaceChildren(...shoe.pieces.map((piece) => el("tr", { dataset: { piece: piece.piece } },
    el("td", {}, words(piece.piece)), el("td", { class: "wide" }, `${piece.kind}${piece.moulded ? ", moulded" : ""}`),
    el("td", { class: "num" }, percent(piece.strain.area_change_mean_pct)),
    el("td", { class: "num" }, percent(piece.strain.edge_strain_p99_pct)),
    el("td", { class: "num wide" }, String(piece.strain.flipped_faces)),
    el("td", {}, piece.within_budget ? el("span", { class: "ok" }, "within") : el("span", { class: "bad" }, "over")),
    el("td", { class: "num wide" }, `${(piece.cut_area_mm2 / 100).toFixed(1)} cm²`))));
  const over = shoe.pieces.filter((p) => !p.within_budget).length;
  $("strain-summary").textContent = `${shoe.pieces.length} pieces, ${over ? `${over} over their strain budget` : "all within their strain budget"}; ` +
    `coverage area change ${percent(shoe.coverage_area_change_pct)}` +
    (shoe.over_budget_changes.length ? `; changed: ${shoe.over_budget_changes.join(", ")}` : "") + ".";
  const maps = state.patterns.files.filter((f) => f.format === "strain" && f.side === state.side);
  $("strain-maps").replaceChildren(...maps.map((file) => {
    const piece = file.kind.split(".strain.")[1]?.replace(/\.svg$/, "") ?? file.kind;
    return el("figure", { dataset: { piece } }, el("img", { src: file.url, alt: `Strain map of the ${words(piece)}`, loading: "lazy" }),
      el("figcaption", {}, `${words(piece)}: area change per face`));
  }));
  const seams = $("seams");
  if (!shoe.seams.length) emptyRow(seams, "No stitched seams.");
  else seams.tBodies[0].replaceChildren(...shoe.seams.map((seam) => el("tr", {},
    el("td", {}, seam.pieces.map(words).join(" – "), seam.stub ? " (stub)" : ""), el("td", { class: "num" }, mm(seam.length_3d_mm)),
    el("td", { class: "num" }, mm(seam.mismatch_flattened_mm, 2)), el("td", { class: "num" }, mm(seam.mismatch_mm, 2)))));
}

function renderFit() {
  const lasts = state.lasts;
  const record = lasts.record;
  const regions = $("fit-regions");
  const targets = $("fit-targets");
  if (!record) {
    $("fit-summary").textContent = `The last is not fitted yet (stage ${words(lasts.state)}).`;
    emptyRow(regions, "—");
    emptyRow(targets, "—");
    $("fit-map").replaceChildren();
    return;
  }
  const report = record.fit_report;
  $("fit-summary").textContent = `${words(record.style)} last for the ${record.side} foot, fit ${record.fit}, toe ${words(record.toe_shape)}: ` +
    `largest error against its targets ${mm(record.max_error_mm, 2)}` + (report ? `, toe room ${mm(report.toe_room_mm)}.` : ".");
  $("fit-warnings").replaceChildren(...(report?.warnings ?? []).map((w) => el("li", {}, w)));
  if (report) {
    regions.tBodies[0].replaceChildren(...Object.entries(report.regions).map(([name, r]) => el("tr", { dataset: { region: name } },
      el("td", {}, words(name)), el("td", { class: "num" }, mm(r.mean_room_mm)), el("td", { class: "num" }, mm(r.min_room_mm)),
      el("td", { class: "num" }, mm(r.max_room_mm)), el("td", { class: "num" }, `${(100 * r.compressed_share).toFixed(1)} %`))));
  } else emptyRow(regions, "No fit report (the foot's surface was not kept).");
  targets.tBodies[0].replaceChildren(...Object.entries(record.targets).map(([key, target]) => el("tr", {},
    el("td", {}, words(key.replace(/_mm$/, ""))), el("td", { class: "num" }, mm(target)),
    el("td", { class: "num" }, mm(record.achieved[key])), el("td", { class: "num" }, mm(record.errors_mm[key], 2)))));
  const heat = lasts.files.find((f) => f.kind === "last.fit-report.svg");
  $("fit-map").replaceChildren(...(heat ? [el("img", { src: heat.url, alt: "Room between the foot and the last" }),
    el("figcaption", {}, "Room between foot and last (red: pressed, blue: room)")] : []));
  $("fit-revisions").textContent = lasts.revisions.length
    ? `Revisions: ${lasts.revisions.map((r) => `r${r.revision} ${r.source}${Object.keys(r.changes).length ? ` (${Object.entries(r.changes).map(([k, v]) => `${words(k.replace(/_mm$/, ""))} ${v > 0 ? "+" : ""}${v} mm`).join(", ")})` : ""}`).join(" → ")}.`
    : "No revision from fit feedback yet.";
}

// ------------------------------------------------------------------------------------------------ size run

function prepareSizeRun() {
  const size = state.lasts.size_eu;
  if (size && !$("run-sizes").value) $("run-sizes").value = [size - 1, size, size + 1].join(",");
  $("run-state").textContent = "";
  $("run-files").replaceChildren();
  $("run-sizes-table").hidden = true;
}

async function makeSizeRun(event) {
  event.preventDefault();
  const button = $("run-make");
  const sizes = $("run-sizes").value.trim();
  button.disabled = true;
  $("run-state").textContent = `Grading and flattening ${sizes}…`;
  $("run-state").dataset.state = "running";
  const started = performance.now();
  try {
    const run = await api(`/api/orders/${encodeURIComponent(state.order)}/size-runs`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sizes, system: $("run-system").value, side: $("run-side").value, pair: state.serial }),
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const report = run.report;
    $("run-state").textContent = `${run.first ? "Made" : "Read back"} in ${seconds} s: ${report.sizes.length} sizes × ` +
      `${report.pieces_per_size} pieces, ${run.side} foot, sample size ${report.sample_size}; lasts ` +
      `${report.all_lasts_within_tolerance ? "all within tolerance" : "NOT all within tolerance"}, pieces ` +
      `${report.all_pieces_within_budget ? "all within budget" : "not all within budget"}.`;
    $("run-state").dataset.state = "done";
    $("run-files").replaceChildren(...run.files.map((file) => el("li", {},
      el("a", { href: file.url, download: file.filename, dataset: { format: file.format } }, file.filename), " ",
      el("small", {}, kb(file.size_bytes)))));
    const table = $("run-sizes-table");
    table.hidden = false;
    table.tBodies[0].replaceChildren(...report.sizes.map((size) => {
      const within = size.pieces.filter((p) => p.within_budget).length;
      const worst = Math.max(...size.pieces.map((p) => p.area_change_mean_pct));
      return el("tr", { dataset: { size: size.label } }, el("td", {}, `${run.system.toUpperCase()} ${size.label}`),
        el("td", { class: size.last.within_tolerance ? "num" : "num bad" }, mm(size.last.max_error_mm, 2)),
        el("td", { class: "num" }, `${within} / ${size.pieces.length}`), el("td", { class: "num" }, percent(worst)),
        el("td", { class: "wide" }, size.over_budget_changes.join(", ") || "—"));
    }));
  } catch (error) {
    $("run-state").textContent = `Could not make the size run: ${error.message}`;
    $("run-state").dataset.state = "error";
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------------------------------------ start

function debounce(action, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => action(...args), ms); };
}

$("find").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = $("find-q").value.trim();
  if (state.listing) find(q);
  else if (q) choose(q, null);
});
$("find-q").addEventListener("input", debounce(() => { if (state.listing) find($("find-q").value.trim()); }, 300));
for (const button of document.querySelectorAll(".sides button")) {
  button.addEventListener("click", () => { state.side = button.dataset.side; renderPieces(); });
}
$("size-run").addEventListener("submit", makeSizeRun);
const params = new URLSearchParams(location.search);
if (params.get("order")) {
  $("find-q").value = params.get("order");
  find(params.get("order"));
  choose(params.get("order"), params.get("pair"));
} else find("");
