// Opening an incident by hand.

import { api } from "../api.js";
import { allows } from "../auth.js";
import { SEVERITIES } from "../format.js";
import { h, replace, showError } from "../ui.js";

export async function render(main, { claims, navigate }) {
  document.title = "New incident · Stormwatch";
  if (!allows(claims, "responder")) {
    replace(main, h("h1", {}, "New incident"), h("p", {}, "Opening an incident needs the responder role."));
    return;
  }
  const policy = h("select", { name: "escalation_policy_id" }, h("option", { value: "" }, "the org's default"));
  const form = h(
    "form",
    { class: "stack panel", onsubmit: submit },
    h("label", {}, "Title", h("input", { name: "title", required: true, maxlength: 1024 })),
    h("label", {}, "Severity", h("select", { name: "severity" }, SEVERITIES.map((s) => h("option", { value: s, selected: s === "high" }, s)))),
    h("label", {}, "Service", h("input", { name: "service", maxlength: 200 })),
    h("label", {}, "Environment", h("input", { name: "environment", maxlength: 200, placeholder: "production" })),
    h("label", {}, "Escalation policy", policy),
    h("label", {}, "Description (markdown)", h("textarea", { name: "description", rows: 5 })),
    h("div", {}, h("button", { type: "submit", class: "primary" }, "Open incident")),
  );
  replace(main, h("h1", {}, "New incident"), form);
  // Only admins may list the policies; everyone else opens incidents under the org's default.
  if (allows(claims, "admin")) {
    api("/v1/escalation-policies").then((answer) => {
      for (const item of answer.items) policy.append(h("option", { value: item.id }, item.name));
    }).catch((error) => showError(error, "Escalation policies could not be read"));
  } else {
    policy.closest("label").remove();
  }

  async function submit(event) {
    event.preventDefault();
    const body = {};
    for (const [name, value] of new FormData(form)) if (String(value).trim()) body[name] = String(value).trim();
    try {
      const incident = await api("/v1/incidents", { method: "POST", body });
      navigate(`/console/incidents/${encodeURIComponent(incident.id)}`);
    } catch (error) {
      showError(error, "The incident was not opened");
    }
  }
}
