// The post-mortem editor, on the API of DESIGN's "Post-mortems": sections in markdown with a preview,
// impact and contributing factors, action items, review and publication, markdown download. A save
// carries If-Match with the version the person started from: a 412 means someone else saved first, and
// what this person typed stays on the page.

import { api } from "../api.js";
import { allows } from "../auth.js";
import { actor, duration, label, utc } from "../format.js";
import { renderMarkdown } from "../markdown.js";
import { confirmDialog, formDialog, h, replace, showError, showNotice } from "../ui.js";

// [target, button, role needed]: publishing, and taking a published one back, are a lead's.
const NEXT_STATUS = {
  draft: [["in_review", "Submit for review", "responder"]],
  in_review: [["published", "Publish", "lead"], ["draft", "Back to draft", "responder"]],
  published: [["draft", "Back to draft", "lead"]],
};
// The incident's post-mortem states in which no document exists yet.
const UNWRITTEN = new Set(["none", "required"]);

/** The document's section keys in the org template's order (`template`: GET /v1/org/postmortem-template's
 * sections), then any the template no longer names, by key. */
export function sectionOrder(sections, template) {
  const keys = Object.keys(sections || {});
  const named = template.map((section) => section.key);
  return [...named.filter((key) => keys.includes(key)), ...keys.filter((key) => !named.includes(key)).sort()];
}

/** The status moves a role may make from `status`: [[target, button label]]. */
export function statusMoves(status, claims) {
  return (NEXT_STATUS[status] || []).filter(([, , role]) => allows(claims, role)).map(([target, text]) => [target, text]);
}

/** The PUT body: what the person typed (`fields`: title, sections, services, users_affected,
 * contributing_factors as the form holds them) over the stored document, whose fields the page does not
 * edit (the measured duration, related incidents) are sent back as they are, since a PUT replaces all. */
export function editedDocument(stored, fields) {
  const users = String(fields.users_affected ?? "").trim();
  const list = (text, separator) => String(text || "").split(separator).map((part) => part.trim()).filter(Boolean);
  return {
    title: fields.title.trim(),
    sections: { ...fields.sections },
    impact: {
      duration_seconds: stored.impact?.duration_seconds ?? null,
      services: list(fields.services, ","),
      users_affected: users === "" ? null : Number(users),
    },
    contributing_factors: list(fields.contributing_factors, "\n"),
    related_incident_ids: [...(stored.related_incident_ids || [])],
  };
}

function formFields(form, keys) {
  return {
    title: form.elements.title.value,
    sections: Object.fromEntries(keys.map((key) => [key, form.elements[`section-${key}`].value])),
    services: form.elements.services.value,
    users_affected: form.elements.users_affected.value,
    contributing_factors: form.elements.contributing_factors.value,
  };
}

function storedFields(stored) {
  return {
    title: stored.title,
    sections: stored.sections || {},
    services: (stored.impact?.services || []).join(", "),
    users_affected: stored.impact?.users_affected ?? "",
    contributing_factors: (stored.contributing_factors || []).join("\n"),
  };
}

export async function render(main, { claims, params }) {
  const incidentPath = `/v1/incidents/${encodeURIComponent(params.id)}`;
  const base = `${incidentPath}/postmortem`;
  const canWrite = allows(claims, "responder");
  let stored = null; // the document as last read
  let version = null; // the version what is on the page is based on (the If-Match of the next save)
  let typed = null; // what the person typed and has not saved, kept across redraws
  let template = []; // the org's sections: their order, titles and help
  // The members, for the assignee fields' completion.
  const memberOptions = h("datalist", { id: "postmortem-members" });

  const header = h("section", { "aria-label": "Post-mortem" });
  const editor = h("div");
  const items = h("section", { class: "panel", "aria-labelledby": "items-title" });
  replace(main, h("p", {}, h("a", { href: `/console/incidents/${encodeURIComponent(params.id)}` }, "← The incident")), header, editor, items, memberOptions);

  async function load() {
    const [incident, answer] = await Promise.all([api(incidentPath), template.length ? null : api("/v1/org/postmortem-template")]);
    if (answer) template = answer.sections;
    stored = UNWRITTEN.has(incident.postmortem_status || "none") ? null : await api(base);
    if (stored && typed === null) version = stored.version;
    draw(incident);
  }

  function draw(incident) {
    document.title = "Post-mortem · Stormwatch";
    if (!stored) {
      replace(header, h("h1", {}, `Post-mortem: ${incident.title}`),
        h("p", {}, incident.postmortem_status === "required" ? "This incident needs a post-mortem. " : "None yet. ",
          "Stormwatch drafts one from the incident's timeline, impact and resolution note."),
        canWrite ? h("button", { type: "button", class: "primary", onclick: create }, "Draft the post-mortem") : null);
      replace(editor);
      replace(items);
      return;
    }
    drawHeader();
    drawEditor(typed || storedFields(stored));
    drawItems();
  }

  function drawHeader() {
    replace(header,
      h("h1", {}, `Post-mortem: ${stored.title}`),
      h("p", { class: "muted", "data-testid": "postmortem-status" },
        `Status: ${label(stored.status)} · version ${stored.version} · drafted by ${actor(stored.author)}`,
        stored.published_at ? ` · published ${utc(stored.published_at)} by ${actor(stored.published_by)}` : ""),
      h("div", { class: "actions" },
        statusMoves(stored.status, claims).map(([target, text]) => h("button", { type: "button", onclick: () => move(target) }, text)),
        h("button", { type: "button", onclick: download }, "Download markdown")));
  }

  function drawEditor(fields) {
    const keys = sectionOrder({ ...stored.sections, ...fields.sections }, template);
    const form = h("form", { class: "stack wide", "aria-label": "Post-mortem document", onsubmit: (event) => { event.preventDefault(); save(form, keys); } },
      h("label", {}, "Title", h("input", { name: "title", value: fields.title, required: true, readonly: !canWrite })),
      keys.map((key) => sectionEditor(key, fields.sections[key] ?? "")),
      h("fieldset", {}, h("legend", {}, "Impact figures"),
        h("p", {}, `Duration: ${duration(stored.impact?.duration_seconds)}`),
        h("label", {}, "Services (comma-separated)", h("input", { name: "services", value: fields.services, readonly: !canWrite })),
        h("label", {}, "Users affected", h("input", { name: "users_affected", type: "number", min: 0, value: fields.users_affected, readonly: !canWrite }))),
      h("label", {}, "Contributing factors (one a line)", textarea("contributing_factors", fields.contributing_factors, 3)),
      canWrite ? h("div", { class: "actions" }, h("button", { class: "primary" }, "Save")) : null);
    form.addEventListener("input", () => (typed = formFields(form, keys)));
    replace(editor, form);
  }

  function textarea(name, text, rows) {
    const area = h("textarea", { name, rows, readonly: !canWrite });
    area.value = text;
    return area;
  }

  function sectionEditor(key, text) {
    const section = template.find((candidate) => candidate.key === key) || { title: label(key), help: "" };
    const area = textarea(`section-${key}`, text, key === "timeline" ? 10 : 5);
    const preview = h("div", { class: "markdown panel", hidden: true, "aria-label": `${section.title} preview` });
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
      toggle.textContent = showing ? `Edit ${section.title}` : `Preview ${section.title}`;
    } }, `Preview ${section.title}`);
    return h("fieldset", {}, h("legend", {}, section.title), section.help ? h("p", { class: "muted" }, section.help) : null,
      h("label", {}, `${section.title} (markdown)`, area), preview, toggle);
  }

  function drawItems() {
    const list = stored.action_items || [];
    const form = h("form", { class: "toolbar", "aria-label": "New action item", onsubmit: async (event) => {
      event.preventDefault();
      const body = Object.fromEntries([...new FormData(form)].map(([name, value]) => [name, String(value).trim()]).filter(([, value]) => value));
      await run(() => api(`${base}/action-items`, { method: "POST", body }), "Action item added");
    } },
      h("label", { class: "grow" }, "Action item", h("input", { name: "title", required: true })),
      h("label", {}, "Assignee", h("input", { name: "assignee", size: 10, list: "postmortem-members" })),
      h("label", {}, "Due", h("input", { name: "due_date", type: "date" })),
      h("label", {}, "Ticket URL", h("input", { name: "ticket_url", type: "url", size: 16 })),
      h("button", {}, "Add"));
    replace(items, h("h2", { id: "items-title" }, "Action items"),
      list.length ? h("ul", { class: "items" }, list.map(itemLine)) : h("p", { class: "muted" }, "None yet."),
      canWrite ? form : null);
  }

  function itemLine(item) {
    const path = `${base}/action-items/${encodeURIComponent(item.id)}`;
    const text = [item.title, " — ", item.assignee || "unassigned", item.due_date ? `, due ${item.due_date}` : "",
      item.ticket_url ? [" · ", h("a", { href: item.ticket_url, rel: "noopener noreferrer", target: "_blank" }, "ticket")] : "",
      item.completed_at ? ` · closed ${item.completed_at.slice(0, 10)}` : ""];
    if (!canWrite) return h("li", { dataset: { id: item.id } }, text, " · ", label(item.status));
    const status = h("select", { "aria-label": `Status of ${item.title}` }, ["open", "done", "wont_do"].map((s) => h("option", { value: s, selected: s === item.status }, label(s))));
    status.addEventListener("change", () => run(() => api(path, { method: "PATCH", body: { status: status.value } }), "Action item updated"));
    const assign = async () => {
      const answer = await formDialog(`Assign “${item.title}”`, [
        { name: "assignee", label: "Assignee (a member's handle; empty: nobody)", value: item.assignee || "", list: "postmortem-members" },
        { name: "due_date", label: "Due date", type: "date", value: item.due_date || "" },
      ], "Save");
      if (!answer) return;
      const body = { assignee: answer.assignee.trim() || null, due_date: answer.due_date || null };
      await run(() => api(path, { method: "PATCH", body }), "Action item updated");
    };
    return h("li", { dataset: { id: item.id } }, text, " ", status,
      h("button", { type: "button", "aria-label": `Assign ${item.title}`, onclick: assign }, "Assign…"),
      h("button", { type: "button", class: "danger", "aria-label": `Delete ${item.title}`, onclick: async () => {
        if (await confirmDialog(`Delete the action item “${item.title}”?`, "Delete")) await run(() => api(path, { method: "DELETE" }), "Action item deleted");
      } }, "Delete"));
  }

  async function run(work, done) {
    try {
      await work();
      showNotice(done);
    } catch (error) {
      showError(error.status === 412 ? new Error(`changed by someone else: ${error.message}`) : error, "Stormwatch refused");
    }
    await load();
  }

  async function create() {
    await run(() => api(base, { method: "POST", body: {} }), "Draft written");
  }

  async function move(status) {
    // At the version on the page, so that a move never follows an edit this person has not seen.
    await run(async () => {
      const moved = await api(`${base}/status`, { method: "POST", body: { status }, headers: { "If-Match": String(version) } });
      version = moved.version;
    }, `Post-mortem ${label(status)}`);
  }

  async function save(form, keys) {
    const fields = formFields(form, keys);
    try {
      stored = await api(base, { method: "PUT", body: editedDocument(stored, fields), headers: { "If-Match": String(version) } });
      version = stored.version;
      typed = null;
      showNotice("Saved");
      drawHeader();
      drawEditor(storedFields(stored));
      drawItems();
    } catch (error) {
      if (error.status !== 412) return showError(error, "Not saved");
      // Someone saved first: what was typed stays on the page, and the person chooses.
      typed = fields;
      const theirs = await api(base);
      showError(new Error(`changed by someone else (now version ${theirs.version}, saved ${theirs.updated_at}). Your text is still here: copy what you need, then Save again to replace theirs with yours, or reload the page to see theirs.`), "Not saved");
      version = theirs.version;
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

  const unsaved = (event) => {
    if (typed !== null) event.preventDefault();
  };
  window.addEventListener("beforeunload", unsaved);
  api("/v1/members").then((answer) => {
    replace(memberOptions, answer.items.map((m) => h("option", { value: m.handle }, m.name || m.handle)));
  }).catch((error) => showError(error, "Members could not be read"));
  await load();
  return () => window.removeEventListener("beforeunload", unsaved);
}
