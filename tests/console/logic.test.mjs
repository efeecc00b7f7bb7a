// The console's own logic, without a browser: node --experimental-detect-module --test tests/console/
import assert from "node:assert/strict";
import { test } from "node:test";

const ASSETS = new URL("../../functions/console/static/assets/", import.meta.url);
const load = (path) => import(new URL(path, ASSETS));
const { duration, relative, utc, actor } = await load("format.js");
const { renderMarkdown, mentions, escapeHtml } = await load("markdown.js");
const { parseFilters, filtersToQuery, SavedViews } = await load("filters.js");
const auth = await load("auth.js");
const { match } = await load("router.js");
const { fold, describe } = await load("timeline.js");
const { allowedMoves } = await load("pages/actions.js");
const { parseTargets, formatTargets, webhookUrl } = await load("pages/admin.js");

class MemoryStorage {
  constructor() { this.items = new Map(); }
  getItem(key) { return this.items.has(key) ? this.items.get(key) : null; }
  setItem(key, value) { this.items.set(key, String(value)); }
  removeItem(key) { this.items.delete(key); }
}

const jwt = (claims) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;

test("durations show the two largest units", () => {
  assert.equal(duration(0), "0s");
  assert.equal(duration(45), "45s");
  assert.equal(duration(252), "4m 12s");
  assert.equal(duration(3600), "1h");
  assert.equal(duration(7500), "2h 5m");
  assert.equal(duration(3 * 86400 + 4 * 3600 + 59), "3d 4h");
  assert.equal(duration(86400 + 30), "1d");
  assert.equal(duration(null), "—");
  assert.equal(duration(412.5), "6m 53s");
});

test("times read as people paste them", () => {
  const now = Date.parse("2026-02-14T12:00:00Z");
  assert.equal(relative("2026-02-14T11:59:50Z", now), "just now");
  assert.equal(relative("2026-02-14T11:55:00Z", now), "5 min ago");
  assert.equal(relative("2026-02-14T09:00:00Z", now), "3 h ago");
  assert.equal(relative("2026-02-12T12:00:00Z", now), "2 days ago");
  assert.equal(relative("2026-02-14T12:10:00Z", now), "in 10 min");
  assert.equal(utc("2026-02-14T10:32:09.123Z"), "2026-02-14 10:32 UTC");
  assert.equal(actor("source:alertmanager"), "alertmanager");
  assert.equal(actor("system:stormwatch"), "Stormwatch");
  assert.equal(actor("user:rita"), "rita");
});

test("markdown escapes every tag a user typed", () => {
  const html = renderMarkdown('<img src=x onerror="alert(1)"> **bold** [x](javascript:alert(1))');
  assert.ok(!html.includes("<img"));
  assert.ok(html.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"));
  assert.ok(html.includes("<strong>bold</strong>"));
  assert.ok(!html.includes('href="javascript'));
  assert.equal(escapeHtml(`<>&"'`), "&lt;&gt;&amp;&quot;&#39;");
});

test("markdown renders paragraphs, lists, code, links and mentions", () => {
  const html = renderMarkdown("Rolled back by @rita.\nSee [runbook](https://example.com/rb)\n\n- one\n- *two*\n\n```\n<b>x</b>\n```\n`a<b`");
  assert.equal(
    html,
    '<p>Rolled back by <span class="mention">@rita</span>.<br>See <a href="https://example.com/rb" rel="noopener noreferrer" target="_blank">runbook</a></p>' +
      "<ul><li>one</li><li><em>two</em></li></ul>" +
      "<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>" +
      "<p><code>a&lt;b</code></p>",
  );
  assert.equal(renderMarkdown("## Cause"), "<h4>Cause</h4>");
  assert.deepEqual(mentions("ping @Rita and @olga.k, not mail@example.com"), ["rita", "olga.k"]);
});

test("filters become the API's query string and come back", () => {
  const filters = { status: ["open", "acknowledged"], severity: ["critical"], service: " checkout ", assignee: "me", q: "lat p99", sort: "activity" };
  const query = filtersToQuery(filters, { limit: 50, cursor: null });
  assert.equal(query, "status=open%2Cacknowledged&severity=critical&service=checkout&assignee=me&q=lat+p99&sort=activity&limit=50");
  assert.deepEqual(parseFilters(`?${query}`), { status: ["open", "acknowledged"], severity: ["critical"], service: "checkout", assignee: "me", q: "lat p99", sort: "activity" });
  assert.equal(filtersToQuery({ status: [], q: "", sort: "created" }), "");
  assert.equal(filtersToQuery({}, { cursor: "abc" }), "cursor=abc");
});

test("a tag filter puts tag= in the page's and the API's query string", () => {
  assert.equal(filtersToQuery({ tag: " db " }), "tag=db");
  assert.equal(filtersToQuery({ tag: "team:payments", service: "checkout", status: ["open"] }, { limit: 50 }), "status=open&service=checkout&tag=team%3Apayments&limit=50");
  assert.deepEqual(parseFilters("?tag=team%3Apayments&q=slow"), { tag: "team:payments", q: "slow" });
  assert.deepEqual(parseFilters("?tag=%20"), {});
  assert.equal(filtersToQuery({ tag: "" }), "");
});

test("saved views are kept by name, sorted, and survive bad storage", () => {
  const storage = new MemoryStorage();
  const views = new SavedViews(storage);
  views.save("mine", { assignee: "me", status: ["open"] });
  views.save("checkout", { service: "checkout" });
  views.save("mine", { assignee: "me" });
  assert.deepEqual(views.all(), [{ name: "checkout", query: "service=checkout" }, { name: "mine", query: "assignee=me" }]);
  views.remove("checkout");
  assert.deepEqual(views.all().map((v) => v.name), ["mine"]);
  storage.setItem("stormwatch.views", "{not json");
  assert.deepEqual(views.all(), []);
});

test("a #token= fragment signs in and leaves the address", () => {
  const storage = new MemoryStorage();
  const session = new auth.Session(storage);
  const token = jwt({ sub: "rita", roles: ["responder"], exp: Math.floor(Date.now() / 1000) + 600 });
  const replaced = [];
  const location = { hash: `#token=${token}&x=1`, pathname: "/console/incidents", search: "?q=a" };
  assert.equal(session.adoptFragment(location, { replaceState: (...args) => replaced.push(args[2]) }), true);
  assert.equal(session.token, token);
  assert.deepEqual(replaced, ["/console/incidents?q=a#x=1"]);
  assert.equal(session.claims.sub, "rita");
  storage.setItem("stormwatch.token", jwt({ sub: "old", exp: 1 }));
  assert.equal(session.token, null, "an expired token is no session");
});

test("claims are read under the deployment's names", () => {
  const cognito = { sub: "0f3c-uuid", "cognito:username": "ana", "cognito:groups": "[lead]", org: "acme" };
  const names = { user: "cognito:username", org: "org", roles: "cognito:groups" };
  const seen = auth.identity(cognito, names);
  assert.equal(seen.sub, "ana");
  assert.equal(auth.allows(seen, "lead"), true);
  const storage = new MemoryStorage();
  const session = new auth.Session(storage);
  session.signIn(jwt({ ...cognito, exp: Math.floor(Date.now() / 1000) + 60 }), names);
  assert.deepEqual(auth.rolesOf(session.claims), ["lead"]);
  session.signOut();
  assert.equal(storage.getItem("stormwatch.claim-names"), null);
});

test("roles read as the API reads them", () => {
  assert.deepEqual(auth.rolesOf({ roles: "[responder lead]" }), ["responder", "lead"]);
  assert.deepEqual(auth.rolesOf({ roles: ["admin", "other"] }), ["admin"]);
  assert.equal(auth.allows({ roles: ["lead"] }, "responder"), true);
  assert.equal(auth.allows({ roles: ["viewer"] }, "responder"), false);
  assert.equal(auth.allows(null, "viewer"), false);
});

test("OIDC: an S256 challenge, an authorization URL and a token request with the verifier", async () => {
  // RFC 7636, appendix B.
  assert.equal(await auth.pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const oidc = { issuer: "https://id.example.com", client_id: "console", scopes: "openid email" };
  const url = new URL(auth.authorizeUrl({ authorization_endpoint: "https://id.example.com/authorize" }, oidc, "https://api.example.com/console/signed-in", "st", "ch"));
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    response_type: "code", client_id: "console", redirect_uri: "https://api.example.com/console/signed-in",
    scope: "openid email", state: "st", code_challenge: "ch", code_challenge_method: "S256",
  });
  assert.equal(auth.tokenRequestBody(oidc, "https://r", "c0de", "v3r").toString(), "grant_type=authorization_code&client_id=console&redirect_uri=https%3A%2F%2Fr&code=c0de&code_verifier=v3r");
  assert.equal(auth.apiToken({ id_token: "id", access_token: "acc" }), "id");
});

test("OIDC: the callback trades the code once, and refuses a state it did not send", async () => {
  const storage = new MemoryStorage();
  const session = new auth.Session(storage);
  const oidc = { issuer: "https://id.example.com/", client_id: "console" };
  const calls = [];
  const fetcher = async (url, options) => {
    calls.push([url, options?.body?.toString()]);
    if (url.endsWith("/.well-known/openid-configuration")) return { ok: true, json: async () => ({ token_endpoint: "https://id.example.com/token", authorization_endpoint: "https://id.example.com/auth" }) };
    return { ok: true, json: async () => ({ id_token: jwt({ sub: "ana", exp: Math.floor(Date.now() / 1000) + 60 }) }) };
  };
  const location = { origin: "https://api.example.com", pathname: "/console/signed-in", search: "?code=abc&state=s1", assign: () => {} };
  storage.setItem("stormwatch.pkce", JSON.stringify({ verifier: "ver", state: "s1", back: "/console/dashboard" }));
  assert.equal(await auth.finishOidc(oidc, session, { fetcher, storage, location }), "/console/dashboard");
  assert.equal(session.claims.sub, "ana");
  assert.equal(calls[1][0], "https://id.example.com/token");
  assert.match(calls[1][1], /code=abc/);
  assert.match(calls[1][1], /code_verifier=ver/);
  await assert.rejects(auth.finishOidc(oidc, session, { fetcher, storage, location }), /does not match/);
});

test("paths lead to their pages", () => {
  assert.deepEqual(match("/"), { page: "incidents", params: {} });
  assert.deepEqual(match("/console/incidents/abc-1"), { page: "incident", params: { id: "abc-1" } });
  assert.deepEqual(match("/console/admin/members"), { page: "admin", params: { tab: "members" } });
  assert.equal(match("/console/nowhere"), null);
});

test("system events fold between the people's", () => {
  const events = [
    { type: "comment", actor: "rita", data: { body: "on it" } },
    { type: "notification", actor: "system:stormwatch", data: {} },
    { type: "escalated", actor: "system:stormwatch", data: { level: 2, targets: [{ type: "member", value: "olga" }] } },
    { type: "status_changed", actor: "rita", data: { from: "open", to: "acknowledged" } },
  ];
  const folded = fold(events);
  assert.equal(folded.length, 3);
  assert.equal(folded[1].folded.length, 2);
  assert.equal(describe(events[2]), "escalated to level 2: olga");
  assert.equal(describe(events[3]), "open → acknowledged");
});

test("actions offered follow the role and the status", () => {
  assert.deepEqual(allowedMoves("open", { roles: ["viewer"] }), []);
  assert.deepEqual(allowedMoves("acknowledged", { roles: ["responder"] }), ["investigating", "mitigated", "resolved"]);
  assert.deepEqual(allowedMoves("open", { roles: ["lead"] }), ["acknowledged", "investigating", "mitigated", "resolved", "cancelled"]);
  assert.deepEqual(allowedMoves("resolved", { roles: ["responder"] }), ["open"]);
});

test("escalation targets are written as type:value", () => {
  assert.deepEqual(parseTargets("member:alice, email:ops@example.com\nslack:https://hooks.slack.com/x"), [
    { type: "member", value: "alice" }, { type: "email", value: "ops@example.com" }, { type: "slack", value: "https://hooks.slack.com/x" },
  ]);
  assert.throws(() => parseTargets("pager:bob"), /pager:bob/);
  assert.equal(formatTargets([{ type: "member", value: "a" }, { type: "schedule", value: "s1" }]), "member:a, schedule:s1");
  assert.equal(webhookUrl("https://x.example", "pagerduty"), "https://x.example/v2/enqueue");
  assert.equal(webhookUrl("https://x.example", "grafana"), "https://x.example/v1/hooks/grafana");
});

test("post-mortem sections keep the template's order, then the ones it no longer names", async () => {
  const { sectionOrder } = await load("pages/postmortem.js");
  const template = ["summary", "timeline", "root_cause", "impact", "action_items", "lessons_learned", "customer_comms"].map((key) => ({ key, title: key }));
  assert.deepEqual(sectionOrder({ lessons_learned: "", zeta: "", customer_comms: "", summary: "", root_cause: "", timeline: "", alpha: "" }, template), [
    "summary", "timeline", "root_cause", "lessons_learned", "customer_comms", "alpha", "zeta",
  ]);
});

test("a post-mortem save sends back the fields the editor does not show, since a PUT replaces them all", async () => {
  const { editedDocument } = await load("pages/postmortem.js");
  const stored = { impact: { duration_seconds: 5400, services: ["old"], users_affected: 3 }, related_incident_ids: ["INC-1"], contributing_factors: ["old"] };
  const fields = { title: " Nodes drained ", sections: { root_cause: "autoscaler" }, services: "checkout, , payments ", users_affected: " 1200 ", contributing_factors: "no canary\n\n paged late " };
  assert.deepEqual(editedDocument(stored, fields), {
    title: "Nodes drained",
    sections: { root_cause: "autoscaler" },
    impact: { duration_seconds: 5400, services: ["checkout", "payments"], users_affected: 1200 },
    contributing_factors: ["no canary", "paged late"],
    related_incident_ids: ["INC-1"],
  });
  assert.equal(editedDocument({}, { ...fields, users_affected: "" }).impact.users_affected, null);
  assert.equal(editedDocument({}, fields).impact.duration_seconds, null);
});

test("publishing a post-mortem, and taking a published one back, are a lead's", async () => {
  const { statusMoves } = await load("pages/postmortem.js");
  const responder = { roles: ["responder"] };
  const lead = { roles: ["lead"] };
  assert.deepEqual(statusMoves("draft", responder), [["in_review", "Submit for review"]]);
  assert.deepEqual(statusMoves("in_review", responder), [["draft", "Back to draft"]]);
  assert.deepEqual(statusMoves("in_review", lead), [["published", "Publish"], ["draft", "Back to draft"]]);
  assert.deepEqual(statusMoves("published", responder), []);
  assert.deepEqual(statusMoves("published", lead), [["draft", "Back to draft"]]);
  assert.deepEqual(statusMoves("draft", { roles: ["viewer"] }), []);
});
