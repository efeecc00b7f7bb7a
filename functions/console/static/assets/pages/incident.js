// One incident: its facts, the actions the caller's role allows, alerts by fingerprint, the timeline
// (system events folded), comments with @ completion, and links to related incidents.

import { api } from "../api.js";
import { allows } from "../auth.js";
import "../elements.js";
import { ACTIVE, actor, duration, label, SEVERITIES, shortTime, utc } from "../format.js";
import { renderMarkdown } from "../markdown.js";
import { describe, fold, icon, who } from "../timeline.js";
import { badge, formDialog, h, replace, showError, showNotice } from "../ui.js";
import { allowedMoves, changeStatus, resolve } from "./actions.js";

const MOVE_LABELS = { acknowledged: "Acknowledge", investigating: "Investigating", mitigated: "Mitigated" };
const TIMELINE_PAGE = 100;

export async function render(main, { claims, params }) {
  const id = params.id;
  const path = `/v1/incidents/${encodeURIComponent(id)}`;
  let incident = null;
  let events = [];
  let timelineCursor = null;
  let members = [];
  const header = h("section", { "aria-label": "Incident" });
  const actions = h("section", { class: "panel", "aria-label": "Actions" });
  const alerts = h("section", { "aria-labelledby": "alerts-title" });
  const timeline = h("ol", { class: "timeline", "aria-label": "Timeline" });
  const more = h("div", { class: "pager" });
  const links = h("section", { class: "panel", "aria-labelledby": "links-title" });
  const comment = h("sw-mention-input", { name: "body", label: "Comment (markdown; @ mentions a member)" });
  const commentForm = h("form", { class: "panel", onsubmit: submitComment, "aria-label": "Comment" }, comment, h("button", { class: "primary", type: "submit" }, "Comment"));

  replace(
    main,
    h("p", {}, h("a", { href: "/console/incidents" }, "← Incidents")),
    header,
    actions,
    h("div", { class: "columns" },
      h("div", {}, h("h2", { id: "timeline-title" }, "Timeline"), allows(claims, "responder") ? commentForm : null, timeline, more),
      h("div", {}, alerts, links),
    ),
  );

  async function act(work, done) {
    try {
      const answer = await work();
      if (answer === null) return;
      if (done) showNotice(done);
    } catch (error) {
      showError(error, "Stormwatch refused");
    }
    await load();
  }

  function fact(term, value) {
    return h("div", {}, h("dt", {}, term), h("dd", {}, value ?? "—"));
  }

  function drawHeader() {
    const i = incident;
    document.title = `${i.title} · Stormwatch`;
    replace(
      header,
      h("h1", {}, i.title),
      i.description ? h("div", { class: "markdown muted" }, fromMarkdown(i.description)) : null,
      h("dl", { class: "facts" },
        fact("Status", badge("status", i.status)),
        fact("Severity", badge("severity", i.severity)),
        fact("Assignee", i.assignee || "nobody"),
        fact("Service", i.service),
        fact("Environment", i.environment),
        fact("Source", i.source),
        fact("Created", utc(i.created_at)),
        fact("Acknowledged", i.acknowledged_at ? `${utc(i.acknowledged_at)} by ${actor(i.acknowledged_by)}` : null),
        fact("Resolved", i.resolved_at ? `${utc(i.resolved_at)} by ${actor(i.resolved_by)}` : null),
        fact("Time to acknowledge", i.tta_seconds != null ? duration(i.tta_seconds) : null),
        fact("Time to resolve", i.ttr_seconds != null ? duration(i.ttr_seconds) : null),
        fact("Escalation level", i.escalation_level ? String(i.escalation_level) : "none yet"),
        fact("Silenced until", i.silenced_until ? utc(i.silenced_until) : "not silenced"),
        fact("Flapping", i.flapping ? `yes (reopened ${i.reopen_count}×)` : "no"),
        fact("Alerts", String(i.alert_count)),
        fact("Incident key", h("code", {}, i.incident_key)),
        i.resolution_note ? fact("Resolution note", i.resolution_note) : null,
        i.postmortem_status ? fact("Post-mortem", label(i.postmortem_status)) : null,
      ),
      ["resolved", "cancelled"].includes(i.status) || (i.postmortem_status && i.postmortem_status !== "none")
        ? h("p", {}, h("a", { href: `/console/incidents/${encodeURIComponent(i.id)}/postmortem` }, "Post-mortem →"))
        : null,
    );
  }

  function drawActions() {
    const i = incident;
    const moves = allowedMoves(i.status, claims);
    if (!allows(claims, "responder")) {
      replace(actions, h("p", { class: "muted" }, "You can read this incident; your role (viewer) cannot change it."));
      return;
    }
    const buttons = moves.map((status) => {
      if (status === "resolved") return h("button", { type: "button", class: "primary", onclick: () => act(() => resolve(i)) }, "Resolve…");
      if (status === "cancelled") return h("button", { type: "button", class: "danger", onclick: () => act(() => askNote(i, "cancelled", "Cancel as a false alarm"), "Cancelled") }, "Cancel…");
      if (status === "open") return h("button", { type: "button", onclick: () => act(() => changeStatus(i, "open"), "Reopened") }, "Reopen");
      return h("button", { type: "button", class: status === "acknowledged" ? "primary" : "", onclick: () => act(() => changeStatus(i, status), MOVE_LABELS[status]) }, MOVE_LABELS[status]);
    });
    const severity = h("select", { name: "severity", "aria-label": "Severity" }, SEVERITIES.map((s) => h("option", { value: s, selected: s === i.severity }, s)));
    severity.addEventListener("change", () => act(() => api(`${path}/severity`, { method: "POST", body: { severity: severity.value } }), `Severity set to ${severity.value}`));
    const assignee = h("select", { name: "assignee", "aria-label": "Assignee" }, h("option", { value: "" }, "nobody"), members.map((m) => h("option", { value: m.handle, selected: m.handle === i.assignee }, m.name ? `${m.handle} (${m.name})` : m.handle)));
    if (i.assignee && !members.some((m) => m.handle === i.assignee)) assignee.append(h("option", { value: i.assignee, selected: true }, i.assignee));
    assignee.addEventListener("change", () => assign(assignee.value || null));
    const me = claims.sub;
    const active = ACTIVE.includes(i.status);
    replace(
      actions,
      h("div", { class: "actions" },
        buttons,
        allows(claims, "lead") ? h("label", {}, "Severity", severity) : null,
        h("label", {}, "Assignee", assignee),
        i.assignee !== me && members.some((m) => m.handle === me) ? h("button", { type: "button", onclick: () => assign(me) }, "Assign to me") : null,
        active && !i.silenced_until ? h("button", { type: "button", onclick: silence }, "Silence…") : null,
        i.silenced_until ? h("button", { type: "button", onclick: () => act(() => api(`${path}/silence`, { method: "DELETE" }), "Silence ended") }, "End silence") : null,
        h("button", { type: "button", onclick: link }, "Link…"),
      ),
    );
  }

  function assign(handle) {
    act(() => api(`${path}/assignment`, { method: "POST", body: { assignee: handle } }), handle ? `Assigned to ${handle}` : "Unassigned");
  }

  async function askNote(i, status, title) {
    const answer = await formDialog(title, [{ name: "note", label: "Note", type: "textarea" }], "Confirm");
    if (!answer) return null;
    return changeStatus(i, status, answer.note || undefined);
  }

  async function silence() {
    const answer = await formDialog("Silence: record alerts, page nobody", [{ name: "hours", label: "For", type: "select", options: [["1", "1 hour"], ["4", "4 hours"], ["24", "1 day"], ["168", "1 week"]] }], "Silence");
    if (!answer) return;
    const until = new Date(Date.now() + Number(answer.hours) * 3600_000).toISOString();
    act(() => api(`${path}/silence`, { method: "POST", body: { until } }), "Silenced");
  }

  async function link() {
    const answer = await formDialog("Link to another incident", [
      { name: "type", label: "This incident is the … of the other", type: "select", options: [["child", "child (the other is its parent)"], ["parent", "parent (the other is its child)"], ["duplicate_of", "duplicate (cancels this one)"]] },
      { name: "incident_id", label: "The other incident's id", required: true },
    ], "Link");
    if (!answer) return;
    const type = answer.type === "child" ? "parent" : answer.type === "parent" ? "child" : "duplicate_of";
    act(() => api(`${path}/links`, { method: "POST", body: { type, incident_id: answer.incident_id.trim() } }), "Linked");
  }

  function drawAlerts(list) {
    replace(
      alerts,
      h("h2", { id: "alerts-title" }, `Alerts (${list.length})`),
      list.length
        ? h("table", {}, h("thead", {}, h("tr", {}, ["Alert", "Status", "Count", "Last seen"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, list.map((alert) => h("tr", {},
              h("td", {}, h("div", {}, alert.title || alert.fingerprint), h("small", { class: "muted" }, Object.entries(alert.labels || {}).map(([k, v]) => `${k}=${v}`).join(" "))),
              h("td", {}, alert.status), h("td", {}, String(alert.count)), h("td", {}, shortTime(alert.last_seen))))))
        : h("p", { class: "muted" }, "No alerts: opened by hand."),
    );
  }

  function drawLinks() {
    const list = incident.links || [];
    replace(
      links,
      h("h2", { id: "links-title" }, "Related incidents"),
      list.length
        ? h("ul", {}, list.map((l) => h("li", {}, `${l.type.replaceAll("_", " ")}: `, h("a", { href: `/console/incidents/${encodeURIComponent(l.incident_id)}` }, l.incident_id))))
        : h("p", { class: "muted" }, "None."),
      incident.parent_id ? h("p", {}, "Parent: ", h("a", { href: `/console/incidents/${encodeURIComponent(incident.parent_id)}` }, incident.parent_id)) : null,
    );
  }

  function eventItem(event) {
    return h("li", { dataset: { type: event.type } },
      h("time", { datetime: event.at, title: utc(event.at) }, shortTime(event.at)),
      h("span", { class: "icon", "aria-hidden": "true" }, icon(event)),
      h("div", { class: "who-what" }, h("span", { class: "actor" }, who(event)), " ", describe(event),
        event.type === "comment" ? h("div", { class: "markdown" }, fromMarkdown(event.data?.body || "")) : null),
    );
  }

  function drawTimeline() {
    replace(
      timeline,
      fold(events).map((entry) =>
        entry.event
          ? eventItem(entry.event)
          : h("li", {}, h("details", {}, h("summary", {}, `${entry.folded.length} system event${entry.folded.length > 1 ? "s" : ""} (escalations, deliveries, repeats)`), h("ol", { class: "timeline" }, entry.folded.map(eventItem)))),
      ),
    );
    replace(more, timelineCursor ? h("button", { type: "button", onclick: older }, "Older events") : h("span", { class: "muted" }, `${events.length} events`));
  }

  async function older() {
    try {
      const answer = await api(`${path}/timeline`, { query: new URLSearchParams({ order: "newest", limit: TIMELINE_PAGE, cursor: timelineCursor }).toString() });
      events = events.concat(answer.items);
      timelineCursor = answer.next_cursor;
      drawTimeline();
    } catch (error) {
      showError(error, "Older events could not be read");
    }
  }

  async function submitComment(event) {
    event.preventDefault();
    const body = comment.value.trim();
    if (!body) return;
    await act(() => api(`${path}/comments`, { method: "POST", body: { body } }), "Comment added");
    comment.value = "";
  }

  async function load() {
    const [detail, page] = await Promise.all([
      api(path),
      api(`${path}/timeline`, { query: `order=newest&limit=${TIMELINE_PAGE}` }),
    ]);
    incident = detail;
    events = page.items;
    timelineCursor = page.next_cursor;
    drawHeader();
    drawActions();
    drawAlerts(detail.alerts || []);
    drawLinks();
    drawTimeline();
  }

  await load();
  api("/v1/members").then((answer) => {
    members = answer.items;
    comment.members = members;
    drawActions();
  }).catch((error) => showError(error, "Members could not be read"));
}

function fromMarkdown(text) {
  const template = document.createElement("template");
  template.innerHTML = renderMarkdown(text);
  return template.content;
}
