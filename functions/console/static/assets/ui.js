// Small DOM helpers shared by the pages: an element builder, the error banner, dialogs and key handling.

/** h("a", {href: "/x", class: "c", onclick: fn}, "text", child, [more]) */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** An API failure (or any error) in words, at the top of the page, until dismissed or replaced. */
export function showError(error, context) {
  const text = context ? `${context}: ${error.message || error}` : String(error.message || error);
  const box = document.getElementById("alerts");
  const close = h("button", { type: "button", "aria-label": "Dismiss", onclick: () => item.remove() }, "×");
  const item = h("div", { class: "alert" }, h("span", {}, text), close);
  box.replaceChildren(item);
}

export function showNotice(text) {
  const box = document.getElementById("alerts");
  const item = h("div", { class: "alert notice", role: "status" }, h("span", {}, text));
  box.replaceChildren(item);
  setTimeout(() => item.remove(), 4000);
}

export function clearMessages() {
  document.getElementById("alerts").replaceChildren();
}

/** A modal form: resolves with its fields' values, or null when cancelled. */
export function formDialog(title, fields, submitLabel = "OK") {
  return new Promise((resolve) => {
    const inputs = fields.map((field) => {
      const control =
        field.type === "textarea"
          ? h("textarea", { name: field.name, required: field.required, rows: 4 })
          : field.type === "select"
            ? h("select", { name: field.name }, field.options.map(([value, text]) => h("option", { value }, text)))
            : h("input", { name: field.name, type: field.type || "text", required: field.required, value: field.value, list: field.list });
      return h("label", {}, field.label, control);
    });
    const dialog = h(
      "dialog",
      { "aria-label": title },
      h(
        "form",
        { method: "dialog" },
        h("h2", {}, title),
        inputs,
        h("menu", {}, h("button", { type: "button", value: "cancel", onclick: () => dialog.close("cancel") }, "Cancel"), h("button", { class: "primary", value: "ok" }, submitLabel)),
      ),
    );
    dialog.addEventListener("close", () => {
      const values = dialog.returnValue === "ok" ? Object.fromEntries(new FormData(dialog.querySelector("form"))) : null;
      dialog.remove();
      resolve(values);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export async function confirmDialog(text, action = "Confirm") {
  return (await formDialog(text, [], action)) !== null;
}

export function infoDialog(title, content) {
  const dialog = h("dialog", { "aria-label": title }, h("form", { method: "dialog" }, h("h2", {}, title), content, h("menu", {}, h("button", { class: "primary" }, "Close"))));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

/** Whether a key press belongs to a text field (shortcuts must not steal typing). */
export function typing(event) {
  const target = event.target;
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

export function anyDialogOpen() {
  return Boolean(document.querySelector("dialog[open]"));
}

export async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // Clipboard refused (no permission, not a secure context): select the text so Ctrl-C works.
    const code = button.previousElementSibling;
    if (code) getSelection().selectAllChildren(code);
    button.textContent = "Press Ctrl-C";
  }
  setTimeout(() => (button.textContent = "Copy"), 2000);
}

export function secretLine(label, value, testId) {
  const code = h("code", { dataset: { testid: testId } }, value);
  const button = h("button", { type: "button", "aria-label": `Copy ${label}`, onclick: () => copy(value, button) }, "Copy");
  return h("div", { class: "secret" }, h("strong", {}, `${label}:`), code, button);
}

export function badge(kind, value) {
  const prefix = kind === "severity" ? "sev" : "st";
  return h("span", { class: `badge ${prefix}-${value}` }, value ?? "—");
}
