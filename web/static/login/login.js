// Sign in (or register a customer account), then go back where the visitor came from (?next=/path); a customer
// account whose address is not confirmed yet goes to its account page first (account.html: the e-mailed link or
// the shop's claim code). The session is an HttpOnly cookie the API sets; this page never keeps the token.

const $ = (id) => document.getElementById(id);

function nextPath() {
  const next = new URLSearchParams(window.location.search).get("next") || "/configurator/";
  // Only paths on this site: an open redirect would let a phishing link borrow our sign-in page.
  return next.startsWith("/") && !next.startsWith("//") ? next : "/configurator/";
}

function say(text, kind = "info") {
  $("status").textContent = text;
  $("status").dataset.kind = kind;
}

async function submit(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (response.ok) {
    const { account } = await response.json();
    window.location.assign(account.proof_needed ? `/login/account.html?next=${encodeURIComponent(nextPath())}` : nextPath());
    return;
  }
  let detail = response.statusText;
  try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
  say(detail, "error");
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  say("Signing in…");
  submit("/api/auth/login", { email: $("email").value.trim(), password: $("password").value });
});

$("register").addEventListener("click", () => {
  if (!$("register").dataset.confirming) {  // a second click creates it: no account by a slip of the finger
    $("register").dataset.confirming = "true";
    $("register").textContent = "Create the account";
    say("Choose a password of at least 10 characters. We will e-mail a link to confirm the address.");
    return;
  }
  say("Creating your account…");
  submit("/api/auth/register", { email: $("email").value.trim(), password: $("password").value });
});
