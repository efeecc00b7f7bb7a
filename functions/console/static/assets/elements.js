// Custom elements shared by pages.

import { h } from "./ui.js";

/** <sw-mention-input name="body" label="Comment">: a textarea completing "@han" to a member's handle
 * (from GET /v1/members), as a listbox navigable with the arrow keys; Enter or Tab picks. */
export class MentionInput extends HTMLElement {
  connectedCallback() {
    if (this.textarea) return;
    this.members = [];
    this.classList.add("mention-box");
    const id = `mention-${Math.random().toString(36).slice(2)}`;
    this.textarea = h("textarea", { name: this.getAttribute("name") || "body", id, rows: 3, required: true, "aria-autocomplete": "list", "aria-controls": `${id}-list`, "aria-expanded": "false" });
    this.list = h("ul", { role: "listbox", id: `${id}-list`, hidden: true, "aria-label": "Members" });
    this.append(h("label", { for: id }, this.getAttribute("label") || "Comment"), this.textarea, this.list);
    this.textarea.addEventListener("input", () => this.update());
    this.textarea.addEventListener("keydown", (event) => this.keydown(event));
    this.textarea.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  set value(text) {
    this.textarea.value = text;
  }

  get value() {
    return this.textarea.value;
  }

  /** The "@prefix" being typed just before the caret, if any. */
  word() {
    const before = this.textarea.value.slice(0, this.textarea.selectionStart);
    const found = /(?:^|[^\w@.])@([a-z0-9_.-]*)$/i.exec(before);
    return found ? found[1].toLowerCase() : null;
  }

  update() {
    const word = this.word();
    if (word === null) return this.close();
    this.matches = this.members.filter((m) => m.handle.startsWith(word) || (m.name || "").toLowerCase().startsWith(word)).slice(0, 8);
    if (!this.matches.length) return this.close();
    this.active = 0;
    this.render();
  }

  render() {
    this.list.replaceChildren(
      ...this.matches.map((member, index) =>
        h("li", { role: "option", "aria-selected": String(index === this.active), onmousedown: (event) => { event.preventDefault(); this.pick(index); } }, `@${member.handle}`, member.name ? ` — ${member.name}` : ""),
      ),
    );
    this.list.hidden = false;
    this.textarea.setAttribute("aria-expanded", "true");
  }

  close() {
    this.list.hidden = true;
    this.matches = [];
    this.textarea.setAttribute("aria-expanded", "false");
  }

  keydown(event) {
    if (this.list.hidden || !this.matches?.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.matches.length) % this.matches.length;
      this.render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      this.pick(this.active);
    } else if (event.key === "Escape") {
      event.stopPropagation();
      this.close();
    }
  }

  pick(index) {
    const member = this.matches[index];
    const caret = this.textarea.selectionStart;
    const text = this.textarea.value;
    const start = text.slice(0, caret).lastIndexOf("@");
    const inserted = `@${member.handle} `;
    this.textarea.value = text.slice(0, start) + inserted + text.slice(caret);
    this.textarea.selectionStart = this.textarea.selectionEnd = start + inserted.length;
    this.close();
    this.textarea.focus();
  }
}

customElements.define("sw-mention-input", MentionInput);

/** A daily trend as SVG bars: <sw-trend> given .points = [{label, value}] and a caption. */
export class Trend extends HTMLElement {
  set points(points) {
    const width = 600;
    const height = 160;
    const top = 10;
    const bottom = 24;
    const max = Math.max(1, ...points.map((point) => point.value));
    const step = width / Math.max(1, points.length);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("class", "trend");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", this.getAttribute("label") || "trend");
    const add = (name, attributes, text) => {
      const node = document.createElementNS(ns, name);
      for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
      if (text !== undefined) node.textContent = text;
      svg.append(node);
      return node;
    };
    add("line", { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: "grid" });
    add("text", { x: 2, y: top, "dominant-baseline": "hanging" }, `max ${max}`);
    points.forEach((point, index) => {
      const barHeight = ((height - top - bottom) * point.value) / max;
      const bar = add("rect", { x: index * step + step * 0.15, y: height - bottom - barHeight, width: step * 0.7, height: barHeight, fill: "currentColor", rx: 2 });
      const title = document.createElementNS(ns, "title");
      title.textContent = `${point.label}: ${point.value}`;
      bar.append(title);
      if (points.length <= 16 || index % Math.ceil(points.length / 12) === 0) {
        add("text", { x: index * step + step / 2, y: height - 8, "text-anchor": "middle" }, point.label.slice(5));
      }
    });
    this.replaceChildren(svg);
  }
}

customElements.define("sw-trend", Trend);
