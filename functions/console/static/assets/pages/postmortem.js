// The post-mortem editor, on the API of DESIGN's "Post-mortems": sections in markdown with a preview,
// impact, action items, review and publication, markdown download. A save carries If-Match: a 412 means
// someone else saved first, and what this person typed stays on the page.

import { api } from "../api.js";
import { allows } from "../auth.js";
import { duration, label } from "../format.js";
import { renderMarkdown } from "../markdown.js";
import { h, replace, showError, showNotice } from "../ui.js";

const SECTION_ORDER = ["summary", "timeline", "root_cause", "impact", "action_items", "lessons_learned"];
const NEXT_STATUS = { draft: [["in_review", "Submit for review"]], in_review: [["published", "Publish"], ["draft", "Back to draft"]], published: [["draft", "Back to draft"]] };

/** Section keys in the template's order, then the org's own. */
export function sectionOrder(sections) {
  const keys = Object.keys(sections || {});
  return [...SECTION_ORDER.filter((key) => keys.includes(key)), ...keys.filter((key) => !SECTION_ORDER.includes(key)).sort()];
}

/** What the person typed, as the PUT body of the editable fields. */
export function editedDocument(form, sectionKeys) {
  const sections = Object.fromEntries(sectionKeys.map((key) => [key, form.elements[`section-${key}`].value]));
  const users = form.elements.users_affected.value.trim();
  return {
    title: form.elements.title.value.trim(),
    sections,
    impact: {
      services: form.elements.services.value.split(",").map((service) => service.trim()).filter(Boolean),
      users_affected: users === "" ? null : Number(users),
    },
  };
}

export async function render(main, { claims, params }) {
  const base = `/v1/incidents/${encodeURIComponent(params.id)}/postmortem`;
  const canWrite = allows(claims, "responder");
  let document_ = null;

  async function load() {
    try {
      document_ = await api(base);
    } catch (error) {
      if (error.status !== 404) throw error;
      document_ = null;
    }
    draw();
  }

  function draw() {
    document.title = "Post-mortem · Stormwatch";
    const back = h("p", {}, h("a", { href: `/console/incidents/${encodeURIComponent(params.id)}` }, "← The incident"));
    if (!document_) {
      replace(main, back, h("h1", {}, "Post-mortem"), h("p", {}, "None yet. Stormwatch drafts one from the incident's timeline."),
        canWrite ? h("button", { type: "button", class: "primary", onclick: create }, "Draft the post-mortem") : null);
      return;
    }
    const keys = sectionOrder(document_.sections);
    const form = h("form", { class: "stack", onsubmit: (event) => { event.preventDefault(); save(form, keys); } },
      h("label", {}, "Title", h("input", { name: "title", value: document_.title, required: true, readonly: !canWrite })),
      keys.map((key) => sectionEditor(key, document_.sections[key] || "")),
      h("fieldset", {}, h("legend", {}, "Impact"),
        h("p", {}, `Duration: ${duration(document_.impact?.duration_seconds)}`),
        h("label", {}, "Services (comma-separated)", h("input", { name: "services", value: (document_.impact?.services || []).join(", ") })),
        h("label", {}, "Users affected", h("input", { name: "users_affected", type: "number", min: 0, value: document_.impact?.users_affected ?? "" }))),
      canWrite ? h("div", { class: "actions" }, h("button", { class: "primary" }, "Save")) : null);
    replace(main, back,
      h("h1", {}, `Post-mortem: ${document_.title}`),
      h("p", { class: "muted" }, `Status: ${label(document_.status)} · version ${document_.version}`),
      h("div", { class: "actions" },
        (NEXT_STATUS[document_.status] || []).filter(([status]) => status !== "published" || allows(claims, "lead")).map(([status, text]) =>
          h("button", { type: "button", onclick: () => move(status) }, text)),
        h("button", { type: "button", onclick: download }, "Download markdown")),
      form,
      actionItems());
  }

  function sectionEditor(key, text) {
    const area = h("textarea", { name: `section-${key}`, rows: key === "timeline" ? 10 : 5 });
    area.value = text;
    const preview = h("div", { class: "markdown panel", hidden: true });
    const toggle = h("button", { type: "button", "aria-pressed": "false", onclick: () => {
      const showing = preview.hidden;
      if (showing) {
        const template = document.createElement("template");
        template.innerHTML = renderMarkdown(area.value);
        replace(preview, template.content);
      }
      preview.hidden = !showing;
      area.hidden = showing;
      toggle.setAttribute("aria-pressed", String(showing));
      toggle.textContent = showing ? "Edit" : "Preview";
    } }, "Preview");
    return h("fieldset", {}, h("legend", {}, label(key)), h("label", {}, `${label(key)} (markdown)`, area), preview, toggle);
  }

  function actionItems() {
    const items = document_.action_items || [];
    const form = h("form", { class: "toolbar", onsubmit: async (event) => {
      event.preventDefault();
      const body = Object.fromEntries([...new FormData(form)].filter(([, value]) => String(value).trim()));
      await run(() => api(`${base}/action-items`, { method: "POST", body }), "Action item added");
    } },
      h("label", { class: "grow" }, "Action item", h("input", { name: "title", required: true })),
      h("label", {}, "Assignee", h("input", { name: "assignee", size: 10 })),
      h("label", {}, "Due", h("input", { name: "due_date", type: "date" })),
      h("button", {}, "Add"));
    return h("section", { class: "panel", "aria-labelledby": "items-title" }, h("h2", { id: "items-title" }, "Action items"),
      h("ul", {}, items.map((item) => {
        const status = h("select", { "aria-label": `Status of ${item.title}` }, ["open", "done", "wont_do"].map((s) => h("option", { value: s, selected: s === item.status }, label(s))));
        status.addEventListener("change", () => run(() => api(`${base}/action-items/${encodeURIComponent(item.id)}`, { method: "PATCH", body: { status: status.value } }), "Action item updated"));
        return h("li", {}, `${item.title} — ${item.assignee || "unassigned"}${item.due_date ? `, due ${item.due_date}` : ""} `, canWrite ? status : label(item.status),
          canWrite ? h("button", { type: "button", class: "danger", onclick: () => run(() => api(`${base}/action-items/${encodeURIComponent(item.id)}`, { method: "DELETE" }), "Action item deleted") }, "Delete") : null);
      })),
      canWrite ? form : null);
  }

  async function run(work, done) {
    try {
      await work();
      showNotice(done);
    } catch (error) {
      showError(error, "Stormwatch refused");
    }
    await load();
  }

  async function create() {
    await run(() => api(base, { method: "POST", body: {} }), "Draft written");
  }

  async function move(status) {
    await run(() => api(`${base}/status`, { method: "POST", body: { status } }), `Post-mortem ${label(status)}`);
  }

  async function save(form, keys) {
    const edited = editedDocument(form, keys);
    try {
      document_ = await api(base, { method: "PUT", body: edited, headers: { "If-Match": String(document_.version) } });
      showNotice("Saved");
      draw();
    } catch (error) {
      if (error.status !== 412) return showError(error, "Not saved");
      // Someone saved first: keep what was typed on the page, and let the person choose.
      const theirs = await api(base);
      showError(new Error(`changed by someone else (now version ${theirs.version}). Your text is still here: copy what you need, then Save again to overwrite theirs, or reload to see theirs.`), "Not saved");
      document_ = { ...document_, version: theirs.version };
    }
  }

  async function download() {
    try {
      const text = await api(`${base}/markdown`, { text: true, headers: { Accept: "text/markdown" } });
      const link = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/markdown" })), download: `postmortem-${params.id}.md` });
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (error) {
      showError(error, "The markdown could not be made");
    }
  }

  await load();
}
