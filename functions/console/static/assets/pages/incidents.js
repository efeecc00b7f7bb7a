// The incident list: filters, search, counts per status, saved views, paging, live refresh, shortcuts.

import { api } from "../api.js";
import { allows } from "../auth.js";
import { FILTER_FIELDS, filtersToQuery, parseFilters, SavedViews } from "../filters.js";
import { ACTIVE, relative, SEVERITIES, STATUSES } from "../format.js";
import { anyDialogOpen, badge, formDialog, h, infoDialog, replace, showError, typing } from "../ui.js";
import { acknowledge, resolve } from "./actions.js";

const REFRESH_MS = 10_000;
const KEYS = [
  ["j / k", "next / previous incident"],
  ["Enter", "open the selected incident"],
  ["a", "acknowledge the selected incident"],
  ["r", "resolve the selected incident (asks for the note)"],
  ["/", "search"],
  ["?", "this list"],
];

export async function render(main, { claims, navigate }) {
  const views = new SavedViews(localStorage);
  let filters = parseFilters(location.search);
  let pages = [null]; // the cursors of the pages up to the one shown
  let items = [];
  let selected = 0;
  let asked = 0;
  let nextCursor = null;
  let members = [];
  let listed = null; // the ids and statuses the list last showed
  let countReads = 0; // refreshes that are still to read the counts again
  const canWork = allows(claims, "responder");

  const search = h("input", { type: "search", name: "q", placeholder: "Words of title, service or key", value: filters.q || "", "aria-keyshortcuts": "/" });
  const severity = h("select", { name: "severity" }, h("option", { value: "" }, "any"), SEVERITIES.map((s) => h("option", { value: s }, s)));
  const service = h("input", { name: "service", value: filters.service || "", size: 12 });
  const environment = h("input", { name: "environment", value: filters.environment || "", size: 10 });
  const tag = h("input", { name: "tag", value: filters.tag || "", size: 10 });
  const assignee = h("select", { name: "assignee" }, h("option", { value: "" }, "anyone"), h("option", { value: "me" }, "mine"));
  const sort = h("select", { name: "sort" }, h("option", { value: "created" }, "newest"), h("option", { value: "activity" }, "last activity"));
  const viewSelect = h("select", { name: "view", "aria-label": "Saved views" });
  const counts = h("ul", { class: "counts", "aria-label": "Incidents per status (last 30 days)" });
  const onCall = h("section", { class: "oncall", "aria-label": "On call now", hidden: true });
  let onCallUntil = []; // when each shown shift ends: the strip is read again after the first of them
  const body = h("tbody");
  const pager = h("div", { class: "pager" });
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });

  severity.value = filters.severity?.[0] || "";
  sort.value = filters.sort || "created";

  const form = h(
    "form",
    { class: "toolbar", role: "search", onsubmit: (event) => { event.preventDefault(); apply(); } },
    h("label", { class: "grow" }, "Search", search),
    h("label", {}, "Severity", severity),
    h("label", {}, "Service", service),
    h("label", {}, "Environment", environment),
    h("label", {}, "Tag", tag),
    h("label", {}, "Assignee", assignee),
    h("label", {}, "Sort", sort),
    h("button", { type: "submit", class: "primary" }, "Apply"),
    h("label", {}, "Saved views", viewSelect),
    h("button", { type: "button", onclick: saveView }, "Save view"),
    h("button", { type: "button", onclick: deleteView }, "Delete view"),
  );
  for (const control of [severity, assignee, sort]) control.addEventListener("change", apply);
  viewSelect.addEventListener("change", () => {
    const view = views.all().find((v) => v.name === viewSelect.value);
    if (view) setFilters(parseFilters(view.query));
  });

  replace(
    main,
    h("h1", {}, "Incidents"),
    onCall,
    form,
    counts,
    h(
      "table",
      { class: "incidents", "aria-label": "Incidents" },
      h("thead", {}, h("tr", {}, ["Severity", "Status", "Title", "Service", "Environment", "Assignee", "Alerts", "Created", "Activity"].map((t) => h("th", { scope: "col" }, t)))),
      body,
    ),
    pager,
    status,
    h("p", { class: "muted" }, "Press ", h("kbd", {}, "?"), " for keyboard shortcuts."),
  );

  function renderViews() {
    replace(viewSelect, h("option", { value: "" }, "—"), views.all().map((view) => h("option", { value: view.name }, view.name)));
  }

  function currentFilters() {
    const next = { ...filters };
    next.q = search.value.trim();
    next.severity = severity.value ? [severity.value] : [];
    next.service = service.value.trim();
    next.environment = environment.value.trim();
    next.tag = tag.value.trim();
    next.assignee = assignee.value;
    next.sort = sort.value;
    for (const field of FILTER_FIELDS) if (!next[field] || (Array.isArray(next[field]) && !next[field].length)) delete next[field];
    return next;
  }

  function setFilters(next) {
    filters = next;
    search.value = filters.q || "";
    severity.value = filters.severity?.[0] || "";
    service.value = filters.service || "";
    environment.value = filters.environment || "";
    tag.value = filters.tag || "";
    assignee.value = filters.assignee || "";
    sort.value = filters.sort || "created";
    reload();
  }

  function apply() {
    filters = currentFilters();
    reload();
  }

  function reload() {
    const query = filtersToQuery(filters);
    history.replaceState(null, "", `/console/incidents${query ? `?${query}` : ""}`);
    pages = [null];
    selected = 0;
    refresh();
    refreshCounts();
  }

  async function saveView() {
    const answer = await formDialog("Save this view", [{ name: "name", label: "Name", required: true }], "Save");
    if (!answer?.name) return;
    views.save(answer.name.trim(), currentFilters());
    renderViews();
    viewSelect.value = answer.name.trim();
  }

  function deleteView() {
    if (!viewSelect.value) return;
    views.remove(viewSelect.value);
    renderViews();
  }

  async function refreshCounts() {
    try {
      const metrics = await api("/v1/metrics", { query: filters.service ? new URLSearchParams({ service: filters.service }).toString() : "" });
      const wanted = new Set(filters.status || []);
      replace(
        counts,
        STATUSES.map((name) =>
          h("li", {}, h("button", { type: "button", "aria-pressed": String(wanted.has(name)), onclick: () => toggleStatus(name) }, badge("status", name), " ", String(metrics.counts.by_status[name] || 0))),
        ),
        h("li", {}, h("button", { type: "button", "aria-pressed": String(ACTIVE.every((s) => wanted.has(s)) && wanted.size === ACTIVE.length), onclick: () => setFilters({ ...filters, status: [...ACTIVE] }) }, `open now ${metrics.open_now}`)),
      );
    } catch (error) {
      replace(counts, h("li", { class: "muted" }, `Counts unavailable: ${error.message}`));
    }
  }

  async function refreshOnCall() {
    try {
      const answer = await api("/v1/oncall");
      onCallUntil = answer.items.map((item) => item.until).filter(Boolean).map(Date.parse);
      onCall.hidden = !answer.items.length;
      replace(onCall, h("h2", {}, "On call"), h("ul", {}, answer.items.map((item) =>
        h("li", { dataset: { schedule: item.schedule_id } }, h("span", { class: "muted" }, `${item.schedule_name}: `),
          h("strong", {}, item.member || "nobody"),
          item.until ? h("small", { class: "muted" }, " until ", h("time", { datetime: item.until, title: item.until }, relative(item.until))) : null))));
    } catch (error) {
      onCall.hidden = false;
      replace(onCall, h("p", { class: "muted" }, `On-call unavailable: ${error.message}`));
    }
  }

  function toggleStatus(name) {
    const wanted = new Set(filters.status || []);
    if (wanted.has(name)) wanted.delete(name);
    else wanted.add(name);
    setFilters({ ...filters, status: STATUSES.filter((s) => wanted.has(s)) });
  }

  async function refresh() {
    // Answers can come back out of order (a live refresh overtaken by a search): only the latest is drawn.
    const turn = ++asked;
    try {
      const query = filtersToQuery(filters, { limit: 50, cursor: pages[pages.length - 1] });
      const answer = await api("/v1/incidents", { query });
      if (turn !== asked) return;
      // The counts follow the list: read when a refresh draws it first or finds an incident new or changed,
      // and at the next two refreshes too, as they are built from the table's stream and can lag the list.
      const shown = answer.items.map((incident) => `${incident.id}:${incident.status}`).join();
      if (shown !== listed) countReads = 3;
      listed = shown;
      if (countReads > 0) {
        countReads -= 1;
        refreshCounts();
      }
      items = answer.items;
      nextCursor = answer.next_cursor;
      selected = Math.min(selected, Math.max(0, items.length - 1));
      drawRows();
      status.textContent = `${items.length} incident${items.length === 1 ? "" : "s"} on this page · refreshed ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      showError(error, "The incidents could not be listed");
    }
  }

  function drawRows() {
    if (!items.length) {
      replace(body, h("tr", {}, h("td", { colspan: 9, class: "muted" }, "No incidents match.")));
    } else {
      replace(
        body,
        items.map((incident, index) =>
          h(
            "tr",
            { "aria-selected": String(index === selected), dataset: { id: incident.id }, onclick: (event) => { if (!event.target.closest("a")) select(index); } },
            h("td", {}, badge("severity", incident.severity)),
            h("td", {}, badge("status", incident.status), incident.silenced_until ? h("small", {}, " silenced") : "", incident.flapping ? h("small", {}, " flapping") : ""),
            h("td", { class: "title" }, h("a", { href: `/console/incidents/${encodeURIComponent(incident.id)}` }, incident.title)),
            h("td", {}, incident.service || "—"),
            h("td", { class: "optional" }, incident.environment || "—"),
            h("td", {}, incident.assignee || "—"),
            h("td", { class: "optional" }, String(incident.alert_count)),
            h("td", {}, h("time", { datetime: incident.created_at, title: incident.created_at }, relative(incident.created_at))),
            h("td", { class: "optional" }, relative(incident.last_activity_at || incident.last_seen)),
          ),
        ),
      );
    }
    replace(
      pager,
      h("button", { type: "button", disabled: pages.length === 1, onclick: () => { pages.pop(); selected = 0; refresh(); } }, "← Newer"),
      h("span", { class: "muted" }, `page ${pages.length}`),
      h("button", { type: "button", disabled: !nextCursor, onclick: () => { pages.push(nextCursor); selected = 0; refresh(); } }, "Older →"),
    );
  }

  function select(index) {
    selected = Math.max(0, Math.min(items.length - 1, index));
    for (const [position, row] of [...body.children].entries()) row.setAttribute("aria-selected", String(position === selected));
    body.children[selected]?.scrollIntoView({ block: "nearest" });
  }

  async function act(work) {
    const incident = items[selected];
    if (!incident || !canWork) return;
    try {
      await work(incident);
    } catch (error) {
      showError(error, `“${incident.title}”`);
    }
    await refresh();
    refreshCounts();
  }

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || anyDialogOpen()) return;
    if (typing(event)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "Enter" && event.target.closest?.("a, button")) return;
    const keys = {
      j: () => select(selected + 1),
      k: () => select(selected - 1),
      Enter: () => items[selected] && navigate(`/console/incidents/${encodeURIComponent(items[selected].id)}`),
      a: () => act(acknowledge),
      r: () => act(resolve),
      "/": () => search.focus(),
      "?": () => infoDialog("Keyboard shortcuts", h("dl", {}, KEYS.map(([key, what]) => [h("dt", {}, h("kbd", {}, key)), h("dd", {}, what)]))),
    };
    const handler = keys[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  }

  // Live: every 10 s, unless the tab is hidden, a dialog is open or the person is selecting text to copy.
  const timer = setInterval(() => {
    if (document.hidden || anyDialogOpen() || String(getSelection() || "").length) return;
    refresh();
    if (onCallUntil.some((until) => until <= Date.now())) refreshOnCall();
  }, REFRESH_MS);
  const onVisible = () => { if (!document.hidden) refresh(); };
  document.addEventListener("keydown", onKey);
  document.addEventListener("visibilitychange", onVisible);

  renderViews();
  // The list first, what the person waits for; the rest once it is drawn (on the local stack, whose
  // table answers one request at a time, four at once made the list wait for all of them).
  refresh().then(() => {
    refreshOnCall();
    api("/v1/members").then((answer) => {
      members = answer.items;
      for (const member of members) assignee.append(h("option", { value: member.handle }, member.handle));
      assignee.value = filters.assignee || "";
    }).catch((error) => showError(error, "Members could not be read"));
  });

  return () => {
    clearInterval(timer);
    document.removeEventListener("keydown", onKey);
    document.removeEventListener("visibilitychange", onVisible);
  };
}
