// The dashboard: GET /v1/metrics for the chosen window, as figures, bars and a daily trend.

import { api, pooled } from "../api.js";
import "../elements.js";
import { duration, percent, SEVERITIES, STATUSES } from "../format.js";
import { h, replace, showError } from "../ui.js";

const DAY = 86_400_000;

/** The window's days as [since, until) ISO pairs, oldest first, ending at `until`. */
export function days(until, count) {
  return Array.from({ length: count }, (_, index) => {
    const end = new Date(until.getTime() - (count - 1 - index) * DAY);
    return { since: new Date(end.getTime() - DAY).toISOString(), until: end.toISOString(), label: end.toISOString().slice(0, 10) };
  });
}

export async function render(main) {
  document.title = "Dashboard · Stormwatch";
  const windowSelect = h("select", { name: "window" }, [[1, "24 hours"], [7, "7 days"], [14, "14 days"], [30, "30 days"], [90, "90 days"]].map(([value, text]) => h("option", { value, selected: value === 7 }, text)));
  const service = h("input", { name: "service", placeholder: "all services" });
  const figures = h("section", { "aria-label": "Figures" });
  const trend = h("section", { class: "panel", "aria-labelledby": "trend-title" });
  const form = h("form", { class: "toolbar", onsubmit: (event) => { event.preventDefault(); load(); } }, h("label", {}, "Window", windowSelect), h("label", {}, "Service", service), h("button", { class: "primary" }, "Show"));
  windowSelect.addEventListener("change", load);
  replace(main, h("h1", {}, "Dashboard"), form, figures, trend);

  // Each card keeps the API's own figure beside the one shown, for scripts and tests to compare.
  function card(title, figure, detail, testid, value) {
    return h("div", { class: "card", dataset: { testid, value: JSON.stringify(value ?? null) } }, h("small", {}, title), h("div", { class: "figure" }, figure), detail ? h("small", {}, detail) : null);
  }

  function bars(title, counts, order) {
    const entries = (order || Object.keys(counts).sort((a, b) => counts[b] - counts[a])).map((key) => [key, counts[key] || 0]);
    const max = Math.max(1, ...entries.map(([, count]) => count));
    const row = ([key, count]) => {
      const fill = h("span", { class: "fill" });
      // Through the CSSOM: the content security policy allows no inline style attribute.
      fill.style.width = `${(100 * count) / max}%`;
      return h("li", { dataset: { key } }, h("span", {}, key), h("span", { class: "track", "aria-hidden": "true" }, fill), h("strong", {}, String(count)));
    };
    return h("section", { class: "panel", "aria-label": title }, h("h2", {}, title), h("ul", { class: "bars" }, entries.map(row)));
  }

  async function load() {
    const count = Number(windowSelect.value);
    const until = new Date();
    const since = new Date(until.getTime() - count * DAY);
    const base = { since: since.toISOString(), until: until.toISOString() };
    if (service.value.trim()) base.service = service.value.trim();
    try {
      const metrics = await api("/v1/metrics", { query: new URLSearchParams(base).toString() });
      const time = (m) => `p50 ${duration(m.p50)} · p90 ${duration(m.p90)}`;
      replace(
        figures,
        h("div", { class: "cards" },
          card("Incidents in the window", String(metrics.incidents ?? "—"), null, "incidents", metrics.incidents),
          card("Open now", String(metrics.open_now), "open, acknowledged, investigating, mitigated", "open-now", metrics.open_now),
          card("MTTA (mean)", duration(metrics.mtta_seconds.mean), time(metrics.mtta_seconds), "mtta", metrics.mtta_seconds),
          card("MTTR (mean)", duration(metrics.mttr_seconds.mean), time(metrics.mttr_seconds), "mttr", metrics.mttr_seconds),
          card("Acknowledged within SLA", percent(metrics.ack_within_sla_ratio), null, "sla", metrics.ack_within_sla_ratio),
        ),
        h("div", { class: "columns" },
          bars("By severity", metrics.counts.by_severity, SEVERITIES),
          bars("By status", metrics.counts.by_status, STATUSES),
        ),
        bars("By service", metrics.counts.by_service),
      );
      drawTrend(count, until, base.service);
    } catch (error) {
      showError(error, "The metrics could not be read");
    }
  }

  async function drawTrend(count, until, serviceName) {
    replace(trend, h("h2", { id: "trend-title" }, "Incidents per day"), h("p", { class: "muted" }, "Loading…"));
    const spans = days(until, Math.min(count, 90));
    try {
      const daily = await pooled(spans, 4, (span) => {
        const query = { since: span.since, until: span.until };
        if (serviceName) query.service = serviceName;
        return api("/v1/metrics", { query: new URLSearchParams(query).toString() });
      });
      const chart = h("sw-trend", { label: "Incidents per day" });
      chart.points = spans.map((span, index) => ({ label: span.label, value: daily[index].incidents ?? 0 }));
      replace(trend, h("h2", { id: "trend-title" }, "Incidents per day"), chart);
    } catch (error) {
      replace(trend, h("h2", { id: "trend-title" }, "Incidents per day"), h("p", { role: "alert" }, `The trend could not be read: ${error.message}`));
    }
  }

  await load();
}
