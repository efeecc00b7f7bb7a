// Who is signed in: a JWT kept in sessionStorage (gone with the tab), read from `#token=` (local stack and
// tests) or obtained by OIDC authorization code with PKCE from the deployment's issuer.

const TOKEN_KEY = "stormwatch.token";
const PKCE_KEY = "stormwatch.pkce";
const NAMES_KEY = "stormwatch.claim-names";
export const REDIRECT_PATH = "/console/signed-in";
const RANK = { viewer: 0, responder: 1, lead: 2, admin: 3 };

function base64UrlDecode(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(padded);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

function base64UrlEncode(bytes) {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The claims of a JWT (not verified: the API verifies; the console only reads who and which roles). */
export function claimsOf(token) {
  try {
    const claims = JSON.parse(base64UrlDecode(String(token).split(".")[1] || ""));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** The token's claims under the names the console reads (`sub`, `org`, `roles`), from the names this
 * deployment's API reads (its config's `claims`). */
export function identity(claims, names = { user: "sub", org: "org", roles: "roles" }) {
  if (!claims) return null;
  return { ...claims, sub: claims[names.user], org: claims[names.org], roles: claims[names.roles] };
}

/** Roles as the API reads them: an array, or API Gateway's "[a b]" string. */
export function rolesOf(claims) {
  const raw = claims?.roles ?? [];
  const list = Array.isArray(raw) ? raw : String(raw).replace(/^\[|\]$/g, "").split(/[\s,]+/);
  return list.filter((role) => role in RANK);
}

/** Whether the claims' best role reaches `needed` (viewer < responder < lead < admin). */
export function allows(claims, needed) {
  return rolesOf(claims).some((role) => RANK[role] >= RANK[needed]);
}

/** The token in a URL fragment ("#token=…"), and the fragment without it. */
export function takeFragmentToken(hash) {
  const params = new URLSearchParams(String(hash).replace(/^#/, ""));
  const token = params.get("token");
  params.delete("token");
  const rest = params.toString();
  return { token, hash: rest ? `#${rest}` : "" };
}

export function expired(claims, now = Date.now()) {
  return !claims || typeof claims.exp !== "number" || claims.exp * 1000 <= now;
}

export class Session {
  constructor(storage = globalThis.sessionStorage) {
    this.storage = storage;
  }

  get token() {
    const token = this.storage.getItem(TOKEN_KEY);
    return token && !expired(claimsOf(token)) ? token : null;
  }

  /** Who is signed in, read with the claim names given at sign-in. */
  get claims() {
    const token = this.token;
    const names = JSON.parse(this.storage.getItem(NAMES_KEY) || "null") || undefined;
    return token ? identity(claimsOf(token), names) : null;
  }

  signIn(token, names) {
    this.storage.setItem(TOKEN_KEY, token);
    if (names) this.storage.setItem(NAMES_KEY, JSON.stringify(names));
  }

  signOut() {
    this.storage.removeItem(TOKEN_KEY);
    this.storage.removeItem(NAMES_KEY);
  }

  /** Reads `#token=` from the address, keeps it, and clears it from the address bar and history. */
  adoptFragment(location = globalThis.location, history = globalThis.history) {
    const { token, hash } = takeFragmentToken(location.hash);
    if (!token) return false;
    this.signIn(token);
    history.replaceState(null, "", location.pathname + location.search + hash);
    return true;
  }
}

// OIDC authorization code with PKCE (RFC 7636): S256 challenge, state against CSRF, no client secret.

export function randomString(bytes = 32) {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function pkceChallenge(verifier) {
  return base64UrlEncode(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

export function authorizeUrl(discovery, oidc, redirectUri, state, challenge) {
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: oidc.client_id,
    redirect_uri: redirectUri,
    scope: oidc.scopes || "openid",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

export function tokenRequestBody(oidc, redirectUri, code, verifier) {
  return new URLSearchParams({
    grant_type: "authorization_code",
    client_id: oidc.client_id,
    redirect_uri: redirectUri,
    code,
    code_verifier: verifier,
  });
}

/** The token the API is given: the ID token (its audience is the console's client id), else the access
 * token. */
export function apiToken(tokenResponse) {
  return tokenResponse.id_token || tokenResponse.access_token || null;
}

async function discover(issuer, fetcher) {
  const response = await fetcher(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`the identity provider's discovery document answered ${response.status}`);
  return response.json();
}

export async function startOidc(oidc, { fetcher = fetch, storage = sessionStorage, location = globalThis.location } = {}) {
  const discovery = await discover(oidc.issuer, fetcher);
  const verifier = randomString(48);
  const state = randomString(16);
  const back = location.pathname === REDIRECT_PATH ? "/console/incidents" : location.pathname + location.search;
  storage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, back }));
  const redirect = location.origin + REDIRECT_PATH;
  location.assign(authorizeUrl(discovery, oidc, redirect, state, await pkceChallenge(verifier)));
}

/** At /console/signed-in: trades the code for tokens; the page to go back to. */
export async function finishOidc(oidc, session, { fetcher = fetch, storage = sessionStorage, location = globalThis.location } = {}) {
  const params = new URLSearchParams(location.search);
  if (params.get("error")) throw new Error(`sign-in refused: ${params.get("error_description") || params.get("error")}`);
  const pending = JSON.parse(storage.getItem(PKCE_KEY) || "null");
  storage.removeItem(PKCE_KEY);
  if (!pending || pending.state !== params.get("state")) throw new Error("sign-in answer does not match this tab's request: sign in again");
  const discovery = await discover(oidc.issuer, fetcher);
  const response = await fetcher(discovery.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: tokenRequestBody(oidc, location.origin + REDIRECT_PATH, params.get("code"), pending.verifier),
  });
  if (!response.ok) throw new Error(`the identity provider refused the sign-in code (${response.status})`);
  const token = apiToken(await response.json());
  if (!token) throw new Error("the identity provider returned no token");
  session.signIn(token, oidc.claims);
  return pending.back || "/console/incidents";
}
