// The REST API with the signed-in user's token. Every failure becomes an ApiError whose message is the
// API's own words (the contract's {"error": {code, message, details}}), so pages can show it as it is.

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let tokenSource = () => null;
let onUnauthenticated = () => {};

export function configure({ token, unauthenticated }) {
  tokenSource = token;
  onUnauthenticated = unauthenticated;
}

function describe(status) {
  if (status === 403) return "your role does not allow this";
  if (status === 404) return "not found";
  if (status >= 500) return "the server failed; try again in a moment";
  return `the request failed (${status})`;
}

/** The answer's JSON (or its text with `text: true`); an ApiError in the API's words otherwise. */
export async function api(path, { method = "GET", body, query, headers = {}, text: asText = false } = {}) {
  const url = query ? `${path}?${query}` : path;
  const sent = { Accept: "application/json", ...headers };
  const token = tokenSource();
  if (token) sent.Authorization = `Bearer ${token}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  // A retried click must not act twice: the API answers a repeated key with the first answer.
  if (method === "POST") sent["Idempotency-Key"] = crypto.randomUUID();
  let response;
  try {
    response = await fetch(url, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "network", "Stormwatch cannot be reached: check your connection");
  }
  const text = await response.text();
  if (response.ok && asText) return text;
  let payload = null;
  try {
    payload = text ? JSON.parse(text) : null;
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = payload?.error;
    const failure = new ApiError(response.status, error?.code || "http_error", error?.message || describe(response.status), error?.details);
    if (response.status === 401) onUnauthenticated(failure);
    throw failure;
  }
  return payload;
}

/** Runs `work` over `items` with at most `limit` at once (the dashboard's daily figures). */
export async function pooled(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}
