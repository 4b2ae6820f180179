// The customer's account page: confirm the address (the e-mailed link lands here with ?token=…; or a new link;
// or the claim code the shop printed), then the scans, designs and orders the account holds (docs/auth.md).
// The session is the HttpOnly cookie; the token of a link is sent once and wiped from the address bar.
import { api, ApiError } from "/common/api.js";
import { el } from "/common/dom.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);
const dateOnly = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

function nextPath() {
  const next = params.get("next") || "/configurator/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/configurator/";  // this site's paths only
}

function say(text, kind = "info") {
  $("status").textContent = text;
  $("status").dataset.kind = kind;
}

function post(path, body) {
  return api(path, { method: "POST", headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The e-mailed link: redeem its token (no session needed), then take it out of the address. */
async function followLink() {
  const token = params.get("token");
  if (!token) return;
  params.delete("token");
  history.replaceState(null, "", `${location.pathname}${params.toString() ? `?${params}` : ""}`);
  try {
    const account = await post(`/api/auth/verify?token=${encodeURIComponent(token)}`);
    say(`${account.email} is confirmed: the account keeps your scans, designs and orders.`, "ok");
  } catch (error) {
    say(`${error.message}. Sign in and ask for a new link below.`, "error");
  }
}

function item(text, href) {
  return el("li", {}, href ? el("a", { href }, text) : text);
}

function fill(list, items, none) {
  $(list).replaceChildren(...(items.length ? items : [el("li", { class: "none" }, none)]));
}

async function showRecords() {
  const held = await api("/api/auth/records");
  fill("scans", held.scans.map((s) => item(
    `${s.side ? `${s.side[0].toUpperCase()}${s.side.slice(1)} foot` : "A foot"}` +
    `${s.foot_length_mm === null ? "" : `, ${s.foot_length_mm.toFixed(1)} mm long`} · ${dateOnly.format(new Date(s.created_at))}`)),
  "No foot measurements yet.");
  fill("designs", held.designs.map((d) => item(`${d.style}, revision ${d.revision} · ${dateOnly.format(new Date(d.created_at))}`,
    `/configurator/?design=${d.id}`)), "No designs yet.");
  fill("orders", held.orders.map((o) => item(`Order ${o.number} · ${dateOnly.format(new Date(o.created_at))}`,
    `/track/?order=${encodeURIComponent(o.number)}`)), "No orders yet.");
  $("records").hidden = false;
}

async function show() {
  const account = await api("/api/auth/me");
  $("who").textContent = account.email;
  $("confirm-email").textContent = account.email;
  const customer = account.role === "customer";
  $("workshop").hidden = customer;
  $("confirm").hidden = !account.proof_needed;
  $("continue").hidden = !customer || account.proof_needed;
  $("records").hidden = true;
  document.body.dataset.proofNeeded = String(account.proof_needed);
  if (customer && !account.proof_needed) await showRecords();
}

async function resend() {
  $("resend").disabled = true;
  try {
    const account = await post("/api/auth/verification");
    say(`A new link is on its way to ${account.email}; it works once.`, "ok");
  } catch (error) {
    say(error.message, "error");
  } finally {
    $("resend").disabled = false;
  }
}

async function claim(event) {
  event.preventDefault();
  const code = $("code").value.trim();
  if (!code) return say("Type the code from the slip the shop gave you.", "error");
  say("Checking the code…");
  try {
    await post("/api/auth/claim", { code });
    $("code").value = "";
    say("The code fits: the shop's records for your address are yours now.", "ok");
    await show();
  } catch (error) {
    say(error instanceof ApiError && error.status === 422 ? `${error.message}. Check the code on the slip.` : error.message,
      "error");
  }
}

async function signOut() {
  await fetch("/api/auth/logout", { method: "POST" });
  window.location.assign(`/login/?next=${encodeURIComponent(location.pathname + location.search)}`);
}

async function start() {
  $("continue").href = nextPath();
  $("sign-out").addEventListener("click", signOut);
  $("resend").addEventListener("click", resend);
  $("claim").addEventListener("submit", claim);
  await followLink();
  await show();
  document.body.dataset.started = "true";
}

start().catch((error) => {
  if (!(error instanceof ApiError && error.status === 401)) say(`Something went wrong: ${error.message}`, "error");
});  // 401: on the way to the sign-in page, which comes back here
