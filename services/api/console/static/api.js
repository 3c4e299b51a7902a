// The API, same origin, with the signed-in key from sessionStorage (this tab only; never localStorage, never a URL).
const KEY = "sdg.apiKey";
const ME = "sdg.me";

export const getKey = () => sessionStorage.getItem(KEY);

export function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ME);
}

// An answer that is not 2xx: status and the problem+json body (RFC 9457) when there is one.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function problemOf(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { title: response.statusText, status: response.status, detail: text.slice(0, 500) };
  }
}

// fetch with the key; JSON in and out. `raw: true` gives the Response itself (for a 2xx).
export async function api(path, { method = "GET", body, raw = false, key = getKey(), headers = {} } = {}) {
  const init = { method, headers: { ...headers, Authorization: `Bearer ${key}` } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

// Checks a key (GET /v1/me) and keeps it for this tab; throws ApiError when it is refused.
export async function signIn(key) {
  const me = await api("/v1/me", { key });
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(ME, JSON.stringify(me));
  return me;
}

export async function me() {
  const kept = sessionStorage.getItem(ME);
  if (kept) return JSON.parse(kept);
  const found = await api("/v1/me");
  sessionStorage.setItem(ME, JSON.stringify(found));
  return found;
}

// A short-lived token for one job's event stream and export: what goes in a URL instead of the key.
export const jobToken = (jobId) => api(`/v1/jobs/${encodeURIComponent(jobId)}/stream-token`, { method: "POST" });

export const query = (params) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const one of [].concat(value)) if (one !== undefined && one !== null && one !== "") search.append(name, one);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
};
