// The customer's configurator: scan → style → materials and colours → logo → options → price → order.
//
// Every geometry choice (style, size, fit) is a new design revision (POST /api/designs) with its own preview
// GLB; colours are applied to the loaded GLB's materials by piece name, instantly and without a request
// (docs/configurator.md). The page exposes `window.cspms` for the browser tests and `cspms bench web`.
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { DecalGeometry } from "three/addons/geometries/DecalGeometry.js";

// Material catalogue ids a customer may choose, by what the piece is (manufacturing/materials/catalogue.json).
const MATERIALS = {
  upper: ["full-grain-cowhide-a", "full-grain-cowhide-b", "full-grain-cowhide-c", "suede-cowhide-a",
    "suede-cowhide-b", "canvas-cotton", "mesh-polyester"],
  elastic: ["elastic-goring"],
  lining: ["lining-cowhide-b", "lining-cowhide-c", "lining-pigskin-b", "lining-textile-polyester"],
  outsole: ["outsole-rubber-dress", "outsole-rubber-cupsole", "outsole-eva-light"],
};
const COMPONENTS = [
  { name: "lining", material: "lining-cowhide-b", colour: "#d8c3a5" },
  { name: "outsole", material: "outsole-rubber-dress", colour: "#2b2b2b" },
];
const DEFAULT_UPPER = { material: "full-grain-cowhide-a", colour: "#5a3a22" };
const LOGO_PIECE = "quarter_lateral";
const REVISE_DELAY_MS = 500; // material and option changes re-price after the customer pauses

const $ = (id) => document.getElementById(id);
const state = {
  account: null, scan: null, styles: [], style: null, choices: {}, sizeEu: null,
  design: null, glbDesignId: null, logo: null, pending: 0,
};
const timings = {
  firstRenderMs: null, lastGlbMs: null, lastGlbBytes: null, lastDesignMs: null, lastRecolourMs: null,
};

// ------------------------------------------------------------------------------------------------ 3D view

const canvas = $("view");
// No MSAA: software WebGL (SwiftShader, headless, some phones) takes 4× longer per frame with it; the pixel
// ratio (up to 2) smooths the edges on the screens that have it.
const renderer = new THREE.WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true });
renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
renderer.toneMapping = THREE.NeutralToneMapping;
const scene = new THREE.Scene();
scene.background = new THREE.Color("#eef0f2");
scene.add(new THREE.HemisphereLight("#ffffff", "#8a8a80", 2.2));
const sun = new THREE.DirectionalLight("#ffffff", 2.0);
sun.position.set(0.4, 0.8, -0.6);
scene.add(sun);
const fill = new THREE.DirectionalLight("#ffffff", 0.8);
fill.position.set(-0.5, 0.3, 0.7);
scene.add(fill);
const camera = new THREE.PerspectiveCamera(35, 1, 0.01, 10);
camera.position.set(0.15, 0.2, -0.45);
const controls = new OrbitControls(camera, canvas);
controls.enableDamping = false;
controls.addEventListener("change", render);
const loader = new GLTFLoader();
let model = null;
let logoMesh = null;

function render() {
  renderer.render(scene, camera);
}

function resize() {
  const { clientWidth: w, clientHeight: h } = canvas;
  if (w === 0 || h === 0) return;
  renderer.setSize(w, h, false);
  camera.aspect = w / h;
  camera.updateProjectionMatrix();
  render();
}
new ResizeObserver(resize).observe(canvas);

function frame(object) {
  const box = new THREE.Box3().setFromObject(object);
  const centre = box.getCenter(new THREE.Vector3());
  const radius = box.getSize(new THREE.Vector3()).length() / 2;
  const distance = radius / Math.sin(THREE.MathUtils.degToRad(camera.fov / 2)) * 0.9;
  // The outside (lateral) quarter faces the camera: -z for a left foot, +z for a right one.
  const lateral = state.design?.last?.side === "right" ? 1 : -1;
  const direction = new THREE.Vector3(0.35, 0.45, lateral).normalize();
  camera.position.copy(centre).addScaledVector(direction, distance);
  camera.near = distance / 50;
  camera.far = distance * 10;
  camera.updateProjectionMatrix();
  controls.target.copy(centre);
  controls.update();
}

/** Fetch the design's GLB, show it, apply the current colours; resolves after the first frame. */
async function showPreview(design) {
  const started = performance.now();
  const response = await fetch(design.links.preview_glb);
  if (!response.ok) throw new Error(`preview: ${await problem(response)}`);
  const glb = await response.arrayBuffer();
  timings.lastGlbBytes = glb.byteLength;
  const gltf = await loader.parseAsync(glb, "");
  if (state.design?.id !== design.id) return; // a newer revision is on its way
  if (model) {
    scene.remove(model);
    model.traverse((o) => { o.geometry?.dispose(); o.material?.dispose?.(); });
  }
  model = gltf.scene;
  scene.add(model);
  const firstModel = state.glbDesignId === null;
  state.glbDesignId = design.id;
  applyColours();
  placeLogo();
  if (firstModel) frame(model);
  resize();
  render();
  timings.lastGlbMs = performance.now() - started;
  if (timings.firstRenderMs === null) timings.firstRenderMs = performance.now();
  canvas.dataset.ready = "true";
  canvas.dataset.designId = String(design.id);
  $("viewer-hint").hidden = true;
}

function pieceMaterial(name) {
  const node = model?.getObjectByName(name);
  return node?.isMesh ? node.material : node?.children.find((c) => c.isMesh)?.material;
}

/** Recolour one piece of the loaded GLB by its node name; returns the time to the rendered frame (ms). */
function recolour(piece, hex) {
  const started = performance.now();
  const material = pieceMaterial(piece);
  if (!material) return null;
  material.color.set(hex); // sRGB hex → the linear working colour space, as the GLB's base colour is
  render();
  const gl = renderer.getContext();
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); // waits for the GPU
  timings.lastRecolourMs = performance.now() - started;
  return timings.lastRecolourMs;
}

function applyColours() {
  for (const [piece, choice] of Object.entries(state.choices)) {
    const material = pieceMaterial(piece);
    if (material) material.color.set(choice.colour);
  }
}

// Logo: a decal projected on the outside quarter (DecalGeometry wraps the image on the curved piece), at the
// normalised position (along heel→toe, up) of the piece's bounding box, width in mm (the GLB is in metres).
function placeLogo() {
  if (logoMesh) {
    logoMesh.parent?.remove(logoMesh);
    logoMesh.geometry.dispose();
    logoMesh = null;
  }
  const node = model?.getObjectByName(LOGO_PIECE);
  const mesh = node?.isMesh ? node : node?.children.find((c) => c.isMesh);
  if (!state.logo || !mesh) return;
  mesh.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(mesh);
  const lastBox = new THREE.Box3().setFromObject(model.getObjectByName("last") ?? model);
  const outward = box.getCenter(new THREE.Vector3()).z < lastBox.getCenter(new THREE.Vector3()).z ? -1 : 1;
  const u = Number($("logo-u").value);
  const v = Number($("logo-v").value);
  const origin = new THREE.Vector3(
    THREE.MathUtils.lerp(box.min.x, box.max.x, u),
    THREE.MathUtils.lerp(box.min.y, box.max.y, v),
    outward > 0 ? box.max.z + 0.05 : box.min.z - 0.05,
  );
  const hit = new THREE.Raycaster(origin, new THREE.Vector3(0, 0, -outward)).intersectObject(mesh, false)[0];
  if (!hit) return;
  const normal = hit.face.normal.clone().transformDirection(mesh.matrixWorld);
  if (normal.z * outward < 0) normal.negate(); // double-sided pieces: face the outside
  const orientation = new THREE.Euler().setFromQuaternion(
    new THREE.Quaternion().setFromUnitVectors(new THREE.Vector3(0, 0, 1), normal));
  const width = Number($("logo-width").value) / 1000;
  const height = width / state.logo.aspect;
  const geometry = new DecalGeometry(mesh, hit.point, orientation, new THREE.Vector3(width, height, 0.02));
  const material = new THREE.MeshStandardMaterial({
    map: state.logo.texture, transparent: true, depthTest: true, depthWrite: false,
    polygonOffset: true, polygonOffsetFactor: -4, roughness: 0.5,
  });
  logoMesh = new THREE.Mesh(geometry, material);
  logoMesh.name = "logo";
  // DecalGeometry is in world coordinates; the model's root carries no transform of its own.
  scene.add(logoMesh);
}

// ------------------------------------------------------------------------------------------------ API

async function problem(response) {
  try {
    const body = await response.json();
    return body.detail || body.title || response.statusText;
  } catch {
    return response.statusText;
  }
}

function say(text, kind = "info") {
  const status = $("status");
  status.textContent = text;
  status.dataset.kind = kind;
}

function options() {
  const pieces = {};
  for (const [name, choice] of Object.entries(state.choices)) pieces[name] = { ...choice };
  const chosen = {
    style: state.style.name,
    pieces,
    hand_stitching: $("hand-stitching").checked,
    memory_foam: $("memory-foam").checked,
    fit_preference: $("fit").value,
    pairs: Math.max(1, Math.min(20, Number($("pairs").value) || 1)),
  };
  if (state.logo && state.style.pieces.some((p) => p.name === LOGO_PIECE)) {
    chosen.logo = {
      image_sha256: state.logo.sha256,
      piece: LOGO_PIECE,
      position: [Number($("logo-u").value), Number($("logo-v").value)],
      width_mm: Number($("logo-width").value),
      method: $("logo-method").value,
    };
  }
  return chosen;
}

let reviseTimer = null;
let requestSerial = 0;

/** Post a new revision of the design; `geometry` says the preview must be fetched again. */
async function revise({ geometry }) {
  clearTimeout(reviseTimer);
  const serial = ++requestSerial;
  const body = { options: options(), foot_scan_id: state.scan.id };
  if (state.sizeEu !== null) body.size_eu = state.sizeEu;
  if (state.design) body.revises = state.design.id;
  say(geometry ? "Fitting the style on your last…" : "Updating the price…");
  $("order").disabled = true;
  const started = performance.now();
  const response = await fetch("/api/designs", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (serial !== requestSerial) return; // superseded by a later change
  if (!response.ok) {
    say(`Could not make this design: ${await problem(response)}`, "error");
    return;
  }
  const design = await response.json();
  timings.lastDesignMs = performance.now() - started;
  state.design = design;
  showDesign(design);
  if (geometry || state.glbDesignId === null) await showPreview(design);
  if (serial === requestSerial) {
    say(`Design ${design.id} (revision ${design.revision}) is ready.`, "ok");
    $("order").disabled = false;
  }
}

function scheduleRevision() {
  clearTimeout(reviseTimer);
  if (!state.design) return;
  reviseTimer = setTimeout(() => revise({ geometry: false }), REVISE_DELAY_MS);
}

function showDesign(design) {
  const price = design.quote.per_pair?.price_eur;
  $("price").textContent = price === undefined ? "—" : `${Number(price).toFixed(2)} ${design.quote.currency ?? "EUR"}`;
  $("price").title = design.quote.how ?? "";
  const days = design.eta.materials_lead_time_days;
  $("eta").textContent = days === undefined ? "—" : `${days} days`;
  $("eta").title = design.eta.how ?? "";
  canvas.dataset.designId = String(design.id);
  if (state.sizeEu === null) fillSizes(design.size_eu);
}

function fillSizes(current) {
  const select = $("size");
  select.replaceChildren();
  for (let size = Math.floor(current) - 3; size <= Math.ceil(current) + 3; size += 0.5) {
    const option = new Option(`${size}`, `${size}`, false, size === current);
    select.add(option);
  }
  state.sizeEu = current;
}

// ------------------------------------------------------------------------------------------------ steps

async function uploadScan(file) {
  say(`Measuring ${file.name}…`);
  const form = new FormData();
  form.append("scan", file);
  await useFoot(await fetch("/api/scans", { method: "POST", body: form }), "this scan");
}

/** No scan: a foot made from typed measurements (POST /api/scans/typed), then used like a scan. */
async function typeMeasurements(event) {
  event.preventDefault();
  const width = Number($("typed-width").value);
  const body = {
    side: $("typed-side").value,
    foot_length_mm: Number($("typed-length").value),
    ball_girth_mm: Number($("typed-girth").value),
    ...(width > 0 ? { ball_width_mm: width } : {}),
  };
  say("Making your foot from its measurements…");
  await useFoot(await fetch("/api/scans/typed", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  }), "these measurements");
}

async function useFoot(response, what) {
  if (!response.ok) {
    say(`Could not use ${what}: ${await problem(response)}`, "error");
    return;
  }
  state.scan = await response.json();
  showMeasurements(state.scan);
  $("step-style").disabled = false;
  say("Your foot is measured. Now pick a style.", "ok");
  if (state.style) await revise({ geometry: true });
}

function showMeasurements(scan) {
  const m = scan.measurements;
  const rows = [["Foot", scan.side], ["Length", m.foot_length_mm], ["Ball girth", m.ball_girth_mm],
    ["Ball width", m.ball_width_mm], ["Instep girth", m.instep_girth_mm], ["Heel width", m.heel_width_mm]];
  const list = $("measurements");
  list.replaceChildren();
  for (const [label, value] of rows) {
    if (value === null || value === undefined) continue;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = typeof value === "number" ? `${value.toFixed(1)} mm` : value;
    list.append(dt, dd);
  }
  list.hidden = false;
}

function showStyles(styles) {
  const box = $("styles");
  box.replaceChildren();
  for (const style of styles) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "style";
    button.role = "radio";
    button.dataset.style = style.name;
    button.setAttribute("aria-checked", "false");
    button.textContent = style.title;
    button.addEventListener("click", () => chooseStyle(style));
    box.append(button);
  }
}

async function chooseStyle(style) {
  for (const b of $("styles").children) b.setAttribute("aria-checked", String(b.dataset.style === style.name));
  state.style = style;
  state.choices = {};
  for (const piece of style.pieces) {
    const material = piece.material_slot === "elastic" ? "elastic-goring" : DEFAULT_UPPER.material;
    state.choices[piece.name] = { material, colour: piece.material_slot === "elastic" ? "#222222" : DEFAULT_UPPER.colour };
  }
  for (const component of COMPONENTS) state.choices[component.name] = { material: component.material, colour: component.colour };
  showPieces(style);
  for (const id of ["step-pieces", "step-logo", "step-options"]) $(id).disabled = false;
  await revise({ geometry: true });
}

function materialsFor(name, slot) {
  if (name === "lining") return MATERIALS.lining;
  if (name === "outsole") return MATERIALS.outsole;
  return slot === "elastic" ? MATERIALS.elastic : MATERIALS.upper;
}

function showPieces(style) {
  const box = $("pieces");
  box.replaceChildren();
  const rows = [...style.pieces.map((p) => ({ name: p.name, slot: p.material_slot })),
    ...COMPONENTS.map((c) => ({ name: c.name, slot: c.name }))];
  for (const { name, slot } of rows) {
    const row = document.createElement("div");
    row.className = "piece";
    row.dataset.piece = name;
    const label = document.createElement("span");
    label.textContent = name.replaceAll("_", " ");
    const colour = document.createElement("input");
    colour.type = "color";
    colour.value = state.choices[name].colour;
    colour.setAttribute("aria-label", `${name} colour`);
    colour.addEventListener("input", () => {
      state.choices[name].colour = colour.value;
      recolour(name, colour.value);
    });
    colour.addEventListener("change", scheduleRevision);
    const material = document.createElement("select");
    material.setAttribute("aria-label", `${name} material`);
    for (const id of materialsFor(name, slot)) material.add(new Option(id.replaceAll("-", " "), id));
    material.value = state.choices[name].material;
    material.addEventListener("change", () => {
      state.choices[name].material = material.value;
      scheduleRevision();
    });
    row.append(label, colour, material);
    box.append(row);
  }
}

async function loadLogo(file) {
  // Stored first (the workshop needs the image, not just the picture on screen), then drawn from the file.
  const form = new FormData();
  form.append("image", file);
  const response = await fetch("/api/logos", { method: "POST", body: form });
  if (!response.ok) {
    say(`The logo was not accepted: ${await problem(response)}`, "error");
    $("logo").value = "";
    return;
  }
  const stored = await response.json();
  const url = URL.createObjectURL(file);
  new THREE.TextureLoader().load(url, (texture) => {
    texture.colorSpace = THREE.SRGBColorSpace;
    state.logo?.texture.dispose();
    state.logo = {
      texture, aspect: texture.image.width / texture.image.height, name: file.name, sha256: stored.image_sha256,
    };
    $("logo-remove").hidden = false;
    placeLogo();
    render();
    canvas.dataset.logo = "true";
    scheduleRevision();
  });
}

async function placeOrder(event) {
  event.preventDefault();
  if (!state.design) return;
  $("order").disabled = true;
  say("Placing your order…");
  // The design revision on screen is what gets made: its scan, last and choices are stored already.
  const form = new FormData();
  form.append("design_id", String(state.design.id));
  const response = await fetch("/api/orders", { method: "POST", body: form });
  if (!response.ok) {
    say(`The order was not placed: ${await problem(response)}`, "error");
    $("order").disabled = false;
    return;
  }
  const placed = await response.json();
  window.location.assign(`/track/?order=${encodeURIComponent(placed.order_number)}`);
}

// Reopening a design (?design=<id>): its scan, style, choices and preview, as the customer left them.
async function reopen(designId) {
  const response = await fetch(`/api/designs/${designId}`);
  if (!response.ok) {
    say(`Design ${designId}: ${await problem(response)}`, "error");
    return;
  }
  const design = await response.json();
  const scan = await fetch(`/api/scans/${design.foot_scan_id}`);
  if (!scan.ok) {
    say(`Design ${designId} has no scan to reopen.`, "error");
    return;
  }
  state.scan = await scan.json();
  showMeasurements(state.scan);
  state.style = state.styles.find((s) => s.name === design.style);
  for (const b of $("styles").children) b.setAttribute("aria-checked", String(b.dataset.style === design.style));
  state.choices = {};
  for (const piece of design.pieces) state.choices[piece.name] = { material: piece.material ?? DEFAULT_UPPER.material, colour: piece.colour };
  for (const c of COMPONENTS) state.choices[c.name] = { ...(design.options.pieces?.[c.name] ?? c) };
  delete state.choices.lining.name;
  delete state.choices.outsole.name;
  $("hand-stitching").checked = design.options.hand_stitching;
  $("memory-foam").checked = design.options.memory_foam;
  $("fit").value = design.options.fit_preference;
  $("pairs").value = design.options.pairs;
  showPieces(state.style);
  for (const id of ["step-style", "step-pieces", "step-logo", "step-options"]) $(id).disabled = false;
  state.design = design;
  showDesign(design);
  await showPreview(design);
  $("order").disabled = false;
  say(`Design ${design.id} (revision ${design.revision}).`, "ok");
}

function setSize(sizeEu) {
  state.sizeEu = sizeEu;
  $("size").value = String(sizeEu);
  return revise({ geometry: true });
}

/** The signed-in account, or off to the sign-in page (scans, designs and orders are kept per customer). */
async function signedIn() {
  const response = await fetch("/api/auth/me");
  if (response.status === 401) {
    const here = window.location.pathname + window.location.search;
    window.location.assign(`/login/?next=${encodeURIComponent(here)}`);
    return null;
  }
  if (!response.ok) throw new Error(await problem(response));
  return response.json();
}

async function signOut() {
  await fetch("/api/auth/logout", { method: "POST" });
  window.location.assign("/login/?next=/configurator/");
}

async function start() {
  state.account = await signedIn();
  if (!state.account) return;
  if (state.account.proof_needed) {  // nothing can be kept until the address is confirmed: the account page says how
    window.location.assign(`/login/account.html?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    return;
  }
  $("account").textContent = state.account.email;
  $("sign-out").addEventListener("click", signOut);
  const response = await fetch("/api/styles");
  state.styles = await response.json();
  showStyles(state.styles);
  $("scan").addEventListener("change", (e) => e.target.files[0] && uploadScan(e.target.files[0]));
  $("typed-use").addEventListener("click", typeMeasurements);
  $("logo").addEventListener("change", (e) => e.target.files[0] && loadLogo(e.target.files[0]));
  $("logo-remove").addEventListener("click", () => {
    state.logo = null;
    $("logo").value = "";
    $("logo-remove").hidden = true;
    placeLogo();
    render();
    scheduleRevision();
  });
  for (const id of ["logo-u", "logo-v", "logo-width"]) {
    $(id).addEventListener("input", () => {
      $("logo-width-out").textContent = `${$("logo-width").value} mm`;
      placeLogo();
      render();
    });
    $(id).addEventListener("change", scheduleRevision);
  }
  $("logo-method").addEventListener("change", scheduleRevision);
  $("size").addEventListener("change", () => setSize(Number($("size").value)));
  $("fit").addEventListener("change", () => revise({ geometry: true }));
  for (const id of ["hand-stitching", "memory-foam", "pairs"]) $(id).addEventListener("change", scheduleRevision);
  $("design").addEventListener("submit", placeOrder);
  const params = new URLSearchParams(window.location.search);
  if (params.get("design")) await reopen(params.get("design"));
  document.body.dataset.started = "true";
}

window.cspms = {
  state, timings, recolour, revise, render, setSize,
  chooseStyle: (name) => chooseStyle(state.styles.find((s) => s.name === name)),
};
start().catch((error) => say(`Something went wrong: ${error.message}`, "error"));
