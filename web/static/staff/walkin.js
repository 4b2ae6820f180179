// Walk-in customers: the measurements staff take in the shop, recorded under the address the customer gives
// (POST /api/scans/typed), and the claim code its answer carries, printed as a slip; or a new code for a lost
// slip (POST /api/auth/claim-codes). Only the account of that address that enters the code gets the records.
import { api } from "/common/api.js";
import { $, fmtDateTime } from "./shared.js";

function say(text, kind = "info") {
  $("walkin-state").textContent = text;
  $("walkin-state").dataset.kind = kind;
}

function post(path, body) {
  return api(path, { method: "POST", headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body) });
}

function showSlip(email, code, expiresAt) {
  $("slip-code").textContent = code;
  $("slip-email").textContent = email;
  $("slip-until").textContent = expiresAt ? `, until ${fmtDateTime(expiresAt)}` : "";
  $("slip-url").textContent = `${location.origin}/login/account.html`;
  $("slip").hidden = false;
}

async function busy(button, work) {
  button.disabled = true;
  try { await work(); } catch (error) { say(error.message, "error"); } finally { button.disabled = false; }
}

function record(event) {
  event.preventDefault();
  if (!$("walkin").reportValidity()) return;
  const email = $("w-email").value.trim();
  const body = { email, side: $("w-side").value, foot_length_mm: Number($("w-length").value),
    ball_girth_mm: Number($("w-girth").value) };
  if ($("w-width").value) body.ball_width_mm = Number($("w-width").value);
  $("slip").hidden = true;
  say("Recording…");
  return busy($("w-record"), async () => {
    const scan = await post("/api/scans/typed", body);
    if (scan.claim_code) {
      showSlip(email, scan.claim_code, null);
      say(`Recorded (scan ${scan.id}). Print the slip for the customer.`, "ok");
    } else {
      say(`Recorded (scan ${scan.id}). The account of ${email} holds its records already: nothing to claim.`, "ok");
    }
  });
}

function newCode(event) {
  event.preventDefault();
  if (!$("w-new-code").reportValidity()) return;
  $("slip").hidden = true;
  return busy($("w-code"), async () => {
    const slip = await post("/api/auth/claim-codes", { email: $("w-code-email").value.trim() });
    showSlip(slip.email, slip.claim_code, slip.expires_at);
    say("A new code: the former one still works until it is used or expires.", "ok");
  });
}

let wired = false;

export function loadWalkIn() {
  if (!wired) {
    wired = true;
    $("walkin").addEventListener("submit", record);
    $("w-new-code").addEventListener("submit", newCode);
    $("slip-print").addEventListener("click", () => window.print());
  }
  $("panel-walkin").dataset.loaded = "true";
}
