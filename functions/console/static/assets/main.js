// The console's entry: signs in, draws the shell and hands the page to its module.

import { ApiError, configure } from "./api.js";
import { allows, finishOidc, rolesOf, Session, startOidc } from "./auth.js";
import { match } from "./router.js";
import { clearMessages, h, replace, showError } from "./ui.js";

const session = new Session();
const main = document.getElementById("main");
let cleanup = null;
// Each navigation's number: a page whose render finishes after the user went on is put away unseen.
let routing = 0;
// The deployment's sign-in settings, fetched only when someone has to sign in.
let config = null;

configure({
  token: () => session.token,
  unauthenticated: () => {
    session.signOut();
    showSignIn("Your session ended: sign in again.");
  },
});

window.addEventListener("error", (event) => showError(event.error || event.message, "The console failed"));
window.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const error = event.reason;
  showError(error, error instanceof ApiError ? "Stormwatch refused" : "The console failed");
});

export function navigate(path, { replace: replacing = false } = {}) {
  if (replacing) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  route();
}

document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !(url.pathname === "/" || url.pathname.startsWith("/console/")) || link.target) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => route());

function shell() {
  const claims = session.claims;
  const nav = document.getElementById("nav");
  nav.hidden = !claims;
  for (const link of nav.querySelectorAll("[data-role]")) link.hidden = !allows(claims, link.dataset.role);
  for (const link of nav.querySelectorAll("a")) {
    const here = location.pathname === "/" ? "/console/incidents" : location.pathname;
    if (here.startsWith(link.getAttribute("href"))) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const who = document.getElementById("who");
  if (!claims) return replace(who);
  const signOut = h("button", { type: "button", onclick: () => { session.signOut(); showSignIn("Signed out."); } }, "Sign out");
  replace(who, h("span", {}, `${claims.sub} · ${rolesOf(claims).join(", ") || "no role"}${claims.org ? ` · ${claims.org}` : ""}`), signOut);
}

async function loadConfig() {
  if (config) return config;
  try {
    const response = await fetch("/console/config.json");
    config = response.ok ? await response.json() : { oidc: null, dev_sign_in: null };
  } catch {
    // Without the config the console still works with a #token= sign-in.
    config = { oidc: null, dev_sign_in: null };
  }
  return config;
}

async function showSignIn(message) {
  await loadConfig();
  if (cleanup) cleanup();
  cleanup = null;
  shell();
  document.title = "Sign in · Stormwatch";
  const choices = [];
  if (config.oidc) {
    choices.push(h("button", { type: "button", class: "primary", onclick: () => startOidc(config.oidc).catch((error) => showError(error, "Sign-in failed")) }, "Sign in"));
  }
  if (config.dev_sign_in) {
    choices.push(h("p", {}, h("a", { class: "button primary", href: config.dev_sign_in }, "Sign in to the local stack"), " (development tokens for any user and role)"));
  }
  if (!choices.length) {
    choices.push(h("p", {}, "This deployment names no identity provider for the console (template parameter ConsoleClientId). Open the console with ", h("code", {}, "#token=<JWT>"), " in the address to sign in with a token."));
  }
  replace(main, h("section", { class: "panel", "aria-labelledby": "sign-in" }, h("h1", { id: "sign-in" }, "Sign in to Stormwatch"), message ? h("p", { class: "muted" }, message) : null, choices));
}

async function route() {
  const turn = ++routing;
  clearMessages();
  if (cleanup) cleanup();
  cleanup = null;
  const found = match(location.pathname) || { page: "missing", params: {} };
  if (found.page === "signed-in") {
    try {
      const { oidc, claims } = await loadConfig();
      const back = await finishOidc({ ...oidc, claims }, session);
      return navigate(back, { replace: true });
    } catch (error) {
      return showSignIn(error.message);
    }
  }
  if (!session.token) return showSignIn();
  shell();
  if (found.page === "missing") {
    replace(main, h("h1", {}, "No such page"), h("p", {}, h("a", { href: "/console/incidents" }, "Back to the incidents")));
    return;
  }
  try {
    const module = await import(`./pages/${found.page}.js`);
    if (turn !== routing) return;
    // A page draws into a view of its own, so one still loading when the user moves on draws out of sight.
    const view = h("div", { class: "page" });
    replace(main, view);
    const done = (await module.render(view, { session, claims: session.claims, params: found.params, navigate })) || null;
    if (turn !== routing) {
      if (done) done();
      return;
    }
    cleanup = done;
  } catch (error) {
    if (turn !== routing) return;
    replace(main, h("h1", {}, "This page could not be shown"), h("p", { role: "alert" }, error.message || String(error)));
    if (!(error instanceof ApiError)) throw error;
  }
  if (document.activeElement === document.body) main.focus({ preventScroll: true });
}

session.adoptFragment();
route();
