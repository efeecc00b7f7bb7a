// Administration (admin role): integrations and their webhook URLs, members and contact points,
// escalation policies, org settings. One tab each.

import { api } from "../api.js";
import { allows } from "../auth.js";
import { utc } from "../format.js";
import { confirmDialog, h, replace, secretLine, showError, showNotice } from "../ui.js";

const TABS = [["integrations", "Integrations"], ["members", "Members"], ["policies", "Escalation policies"], ["settings", "Settings"]];
const SOURCES = ["generic", "alertmanager", "grafana", "cloudwatch", "sentry", "datadog", "pagerduty"];
const TARGET_TYPES = ["member", "slack", "webhook", "email", "schedule"];

/** Where a source posts its alarms on this deployment. */
export function webhookUrl(origin, source) {
  return source === "pagerduty" ? `${origin}/v2/enqueue` : `${origin}/v1/hooks/${source}`;
}

/** "member:alice, email:ops@example.com" → [{type, value}]; Error naming a bad entry. */
export function parseTargets(text) {
  return String(text).split(/[,\n]/).map((part) => part.trim()).filter(Boolean).map((part) => {
    const colon = part.indexOf(":");
    const type = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (colon < 1 || !TARGET_TYPES.includes(type) || !value) throw new Error(`“${part}”: write type:value with type one of ${TARGET_TYPES.join(", ")}`);
    return { type, value };
  });
}

export function formatTargets(targets) {
  return (targets || []).map((target) => `${target.type}:${target.value}`).join(", ");
}

export async function render(main, { claims, params, navigate }) {
  document.title = "Admin · Stormwatch";
  if (!allows(claims, "admin")) {
    replace(main, h("h1", {}, "Admin"), h("p", {}, "This page needs the admin role."));
    return;
  }
  const tab = TABS.some(([key]) => key === params.tab) ? params.tab : "integrations";
  const content = h("section", { "aria-labelledby": "tab-title" });
  replace(
    main,
    h("h1", {}, "Admin"),
    h("nav", { class: "tabs", "aria-label": "Admin" }, TABS.map(([key, text]) => h("a", { href: `/console/admin/${key}`, "aria-current": key === tab ? "page" : null }, text))),
    content,
  );
  const pages = { integrations, members, policies, settings };
  await pages[tab](content, navigate);
}

async function run(work, done, reload) {
  try {
    const answer = await work();
    if (done) showNotice(done);
    if (reload) await reload();
    return answer;
  } catch (error) {
    showError(error, "Stormwatch refused");
    return null;
  }
}

function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) if (String(value).trim() !== "") values[name] = String(value).trim();
  return values;
}

async function integrations(content) {
  const list = h("tbody");
  const issued = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "toolbar panel", onsubmit: create },
    h("label", {}, "Source", h("select", { name: "source" }, SOURCES.map((s) => h("option", { value: s }, s)))),
    h("label", {}, "Name", h("input", { name: "name", required: true, placeholder: "prod alertmanager" })),
    h("button", { class: "primary" }, "Create integration"));
  replace(content, h("h2", { id: "tab-title" }, "Integrations"), form, issued,
    h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Source", "Webhook URL", "Id", ""].map((t) => h("th", { scope: "col" }, t)))), list));

  function showKey(integration, heading) {
    replace(issued, h("section", { class: "panel", "aria-label": "New key" },
      h("h3", {}, heading),
      h("p", {}, "The key is shown this once: copy it into the sender now."),
      secretLine("Webhook URL", webhookUrl(location.origin, integration.source), "webhook-url"),
      secretLine("Key", integration.key, "integration-key"),
      h("p", { class: "muted" }, integration.source === "pagerduty" ? "PagerDuty senders: the key is the routing_key." : "Send it as Authorization: Bearer <key> (or HTTP Basic with the key as password).")));
  }

  async function create(event) {
    event.preventDefault();
    const created = await run(() => api("/v1/integrations", { method: "POST", body: formValues(form) }), null, load);
    if (created) {
      form.reset();
      showKey(created, `Integration “${created.name}” created`);
    }
  }

  async function load() {
    const answer = await api("/v1/integrations");
    replace(list, answer.items.map((item) => h("tr", { dataset: { id: item.id } },
      h("td", {}, item.name), h("td", {}, item.source), h("td", {}, h("code", {}, webhookUrl(location.origin, item.source))), h("td", {}, h("code", {}, item.id)),
      h("td", {}, h("div", { class: "actions" },
        h("button", { type: "button", onclick: async () => {
          if (!(await confirmDialog(`Rotate the key of “${item.name}”? The old key keeps working for 24 hours.`, "Rotate"))) return;
          const rotated = await run(() => api(`/v1/integrations/${encodeURIComponent(item.id)}/rotate`, { method: "POST" }), null, load);
          if (rotated) showKey(rotated, `New key for “${rotated.name}”`);
        } }, "Rotate key"),
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!(await confirmDialog(`Delete “${item.name}”? Its key is refused at once.`, "Delete"))) return;
          run(() => api(`/v1/integrations/${encodeURIComponent(item.id)}`, { method: "DELETE" }), "Integration deleted", load);
        } }, "Delete"))))));
  }
  await load();
}

async function members(content) {
  const list = h("tbody");
  const form = h("form", { class: "toolbar panel", onsubmit: create },
    h("label", {}, "Handle", h("input", { name: "handle", required: true, pattern: "[a-z0-9][a-z0-9_.-]*", size: 12 })),
    h("label", {}, "Name", h("input", { name: "name", required: true })),
    h("label", {}, "Role", h("select", { name: "role" }, ["viewer", "responder", "lead", "admin"].map((r) => h("option", { value: r, selected: r === "responder" }, r)))),
    h("label", {}, "Email", h("input", { name: "email", type: "email" })),
    h("label", {}, "Slack webhook", h("input", { name: "slack_webhook", type: "url" })),
    h("label", {}, "Webhook URL", h("input", { name: "webhook_url", type: "url" })),
    h("button", { class: "primary" }, "Add member"));
  replace(content, h("h2", { id: "tab-title" }, "Members"), form,
    h("table", {}, h("thead", {}, h("tr", {}, ["Handle", "Name", "Role", "Contact points", ""].map((t) => h("th", { scope: "col" }, t)))), list));

  async function create(event) {
    event.preventDefault();
    if (await run(() => api("/v1/members", { method: "POST", body: formValues(form) }), "Member added", load)) form.reset();
  }

  async function load() {
    const answer = await api("/v1/members");
    replace(list, answer.items.map((member) => {
      const role = h("select", { "aria-label": `Role of ${member.handle}` }, ["viewer", "responder", "lead", "admin"].map((r) => h("option", { value: r, selected: r === member.role }, r)));
      role.addEventListener("change", () => run(() => api(`/v1/members/${encodeURIComponent(member.handle)}`, { method: "PATCH", body: { role: role.value } }), `${member.handle} is now ${role.value}`, load));
      const contacts = [member.email && `email ${member.email}`, member.slack_webhook && "Slack", member.webhook_url && `webhook ${member.webhook_url}`].filter(Boolean).join(" · ");
      return h("tr", {}, h("td", {}, member.handle), h("td", {}, member.name), h("td", {}, role), h("td", {}, contacts || "none"),
        h("td", {}, h("button", { type: "button", class: "danger", onclick: async () => {
          if (!(await confirmDialog(`Remove ${member.handle}? Their incidents go to their policy's owner.`, "Remove"))) return;
          run(() => api(`/v1/members/${encodeURIComponent(member.handle)}`, { method: "DELETE" }), `${member.handle} removed`, load);
        } }, "Remove")));
    }));
  }
  await load();
}

async function policies(content) {
  const list = h("div");
  const editor = h("div");
  replace(content, h("h2", { id: "tab-title" }, "Escalation policies"), h("button", { type: "button", class: "primary", onclick: () => edit(null) }, "New policy"), editor, list);

  function levelRow(level = { delay_minutes: 5, targets: [] }) {
    return h("fieldset", { class: "level" }, h("legend", {}, "Level"),
      h("label", {}, "Delay (minutes)", h("input", { name: "delay_minutes", type: "number", min: 1, max: 1440, value: level.delay_minutes, required: true })),
      h("label", {}, "Targets (type:value, comma-separated)", h("input", { name: "targets", value: formatTargets(level.targets), size: 48, required: true, placeholder: "member:alice, email:ops@example.com" })),
      h("button", { type: "button", onclick: (event) => event.target.closest("fieldset").remove() }, "Remove level"));
  }

  function edit(policy) {
    const levels = h("div", {}, (policy?.levels || [undefined]).map(levelRow));
    const form = h("form", { class: "stack panel", onsubmit: save },
      h("h3", {}, policy ? `Edit “${policy.name}”` : "New policy"),
      h("label", {}, "Name", h("input", { name: "name", required: true, value: policy?.name || "" })),
      levels,
      h("div", {}, h("button", { type: "button", onclick: () => levels.append(levelRow()) }, "Add level")),
      h("label", {}, "Repeat the levels (times)", h("input", { name: "repeat", type: "number", min: 0, max: 10, value: policy?.repeat ?? 0 })),
      h("label", {}, "Acknowledgement timeout (minutes; empty for none)", h("input", { name: "ack_timeout_minutes", type: "number", min: 1, value: policy?.ack_timeout_minutes ?? "" })),
      h("label", {}, "Owner (a member's handle)", h("input", { name: "owner", value: policy?.owner || "" })),
      h("div", { class: "actions" }, h("button", { class: "primary" }, "Save policy"), h("button", { type: "button", onclick: () => replace(editor) }, "Cancel")));
    replace(editor, form);
    form.querySelector("input").focus();

    async function save(event) {
      event.preventDefault();
      let body;
      try {
        body = {
          name: form.elements.name.value.trim(),
          levels: [...levels.querySelectorAll("fieldset")].map((set) => ({ delay_minutes: Number(set.querySelector("[name=delay_minutes]").value), targets: parseTargets(set.querySelector("[name=targets]").value) })),
          repeat: Number(form.elements.repeat.value || 0),
        };
      } catch (error) {
        return showError(error, "Targets");
      }
      const timeout = form.elements.ack_timeout_minutes.value;
      if (timeout) body.ack_timeout_minutes = Number(timeout);
      else if (policy) body.ack_timeout_minutes = null;
      const owner = form.elements.owner.value.trim();
      if (owner) body.owner = owner;
      else if (policy) body.owner = null;
      const saved = await run(() => (policy
        ? api(`/v1/escalation-policies/${encodeURIComponent(policy.id)}`, { method: "PATCH", body })
        : api("/v1/escalation-policies", { method: "POST", body })), "Policy saved", load);
      if (saved) replace(editor);
    }
  }

  async function load() {
    const answer = await api("/v1/escalation-policies");
    replace(list, answer.items.length ? answer.items.map((policy) => h("section", { class: "panel", dataset: { id: policy.id } },
      h("h3", {}, policy.name, " ", h("small", { class: "muted" }, policy.id)),
      h("ol", {}, policy.levels.map((level) => h("li", {}, `after ${level.delay_minutes} min: ${formatTargets(level.targets)}`))),
      h("p", { class: "muted" }, `repeat ${policy.repeat}× · acknowledgement timeout ${policy.ack_timeout_minutes ? `${policy.ack_timeout_minutes} min` : "none"} · owner ${policy.owner || "none"}`),
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => edit(policy) }, "Edit"),
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!(await confirmDialog(`Delete “${policy.name}”?`, "Delete"))) return;
          run(() => api(`/v1/escalation-policies/${encodeURIComponent(policy.id)}`, { method: "DELETE" }), "Policy deleted", load);
        } }, "Delete")))) : h("p", { class: "muted" }, "No policies yet."));
  }
  await load();
}

async function settings(content) {
  const [current, policyList] = await Promise.all([api("/v1/org/settings"), api("/v1/escalation-policies")]);
  const form = h("form", { class: "stack panel", onsubmit: save },
    h("label", {}, "Default escalation policy (for incidents opened from now on)",
      h("select", { name: "default_escalation_policy_id" }, h("option", { value: "" }, "none"), policyList.items.map((p) => h("option", { value: p.id, selected: p.id === current.default_escalation_policy_id }, p.name)))),
    h("label", {}, "Nudge an active incident after this many days without activity", h("input", { name: "inactivity_days", type: "number", min: 1, max: 90, value: current.inactivity_days ?? "" })),
    h("div", {}, h("button", { class: "primary" }, "Save settings")),
    current.updated_at ? h("p", { class: "muted" }, `Last changed ${utc(current.updated_at)}`) : null);
  replace(content, h("h2", { id: "tab-title" }, "Settings"), form);

  async function save(event) {
    event.preventDefault();
    const body = { default_escalation_policy_id: form.elements.default_escalation_policy_id.value || null };
    if (form.elements.inactivity_days.value) body.inactivity_days = Number(form.elements.inactivity_days.value);
    await run(() => api("/v1/org/settings", { method: "PUT", body }), "Settings saved");
  }
}
