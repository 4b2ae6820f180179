// What every page's calls to the API share: JSON with the session cookie, problem details turned into an
// ApiError, and a trip to the sign-in page (which comes back here) when the session is missing or ended.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let signingIn = false;

export function signInNeeded() {
  if (signingIn) return;
  signingIn = true;
  location.assign(`/login/?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`);
}

export async function api(path, options = {}) {
  const response = await fetch(path, { headers: { Accept: "application/json", ...(options.headers || {}) },
    credentials: "same-origin", ...options });
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not a problem document */ }
    if (response.status === 401) signInNeeded();
    throw new ApiError(response.status, problem);
  }
  return response.json();
}
