// On call: every schedule of the org with who is on call now, and its final shifts over the next 14 days as
// a timeline (SVG), shown in the schedule's own time zone (the zone its hand-offs are defined in).

import { api, pooled } from "../api.js";
import { h, replace } from "../ui.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const DAYS = 14;
const PALETTE = 8;
const WIDTH = 840;
const BAR_TOP = 22;
const BAR_HEIGHT = 34;
const HEIGHT = BAR_TOP + BAR_HEIGHT + 4;
const SVG = "http://www.w3.org/2000/svg";

/** The shifts as parts of the window [since, until): where each starts and how wide it is, as fractions
 * of the window; stretches where nobody is on call are kept (member null). */
export function segments(shifts, since, until) {
  const from = Date.parse(since);
  const span = Date.parse(until) - from;
  return shifts.map((shift) => {
    const start = Math.max(0, (Date.parse(shift.start) - from) / span);
    const end = Math.min(1, (Date.parse(shift.end) - from) / span);
    return { member: shift.member, start: shift.start, end: shift.end, left: start, width: Math.max(0, end - start) };
  });
}

/** A colour slot per member, in the order they first appear, so a member keeps one colour on a timeline. */
export function colours(shifts) {
  const slots = new Map();
  for (const shift of shifts) {
    if (shift.member !== null && !slots.has(shift.member)) slots.set(shift.member, slots.size % PALETTE);
  }
  return slots;
}

/** The zone's offset from UTC at an instant, in milliseconds (what its wall clock reads, less the instant). */
function offset(instant, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })
      .formatToParts(new Date(instant))
      .map((part) => [part.type, part.value]),
  );
  const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wall - (instant - (instant % 1000));
}

/** The local midnights in (since, until) of the zone, as instants: the day lines of a timeline. */
export function midnights(since, until, timeZone) {
  const from = Date.parse(since);
  const to = Date.parse(until);
  const found = [];
  const first = from + offset(from, timeZone);
  for (let wall = first - (first % DAY) + DAY; ; wall += DAY) {
    // A midnight's instant: its wall time less the offset in force then (a change of offset moves it).
    const guess = wall - offset(wall - offset(wall, timeZone), timeZone);
    if (guess >= to) break;
    if (guess > from) found.push(guess);
  }
  return found;
}

function local(iso, timeZone, options) {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", ...options }).format(new Date(iso));
}

/** "Mon 2 Mar 09:00" in the schedule's zone. */
export function when(iso, timeZone) {
  if (!iso) return "further notice";
  return local(iso, timeZone, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function timeline(schedule, window, shifts, slots) {
  const zone = schedule.time_zone;
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "shifts", role: "img", "aria-label": `Shifts of ${schedule.name} over the next ${DAYS} days` });
  const from = Date.parse(window.since);
  const span = Date.parse(window.until) - from;
  for (const midnight of midnights(window.since, window.until, zone)) {
    const x = ((midnight - from) / span) * WIDTH;
    chart.append(svg("line", { x1: x, x2: x, y1: 0, y2: HEIGHT, class: "grid" }));
    chart.append(svg("text", { x: x + 3, y: 13 }, local(new Date(midnight).toISOString(), zone, { weekday: "short", day: "numeric" })));
  }
  for (const part of segments(shifts, window.since, window.until)) {
    const who = part.member ?? "nobody";
    const rect = svg("rect", {
      x: part.left * WIDTH,
      y: BAR_TOP,
      width: part.width * WIDTH,
      height: BAR_HEIGHT,
      rx: 3,
      class: part.member === null ? "nobody" : `shift shift-${slots.get(part.member)}`,
      "data-member": who,
      "data-start": part.start,
    });
    rect.append(svg("title", {}, `${who}: ${when(part.start, zone)} – ${when(part.end, zone)}`));
    chart.append(rect);
    if (part.member !== null && part.width * WIDTH > 48) {
      chart.append(svg("text", { x: part.left * WIDTH + 5, y: BAR_TOP + BAR_HEIGHT / 2 + 4, class: "label" }, part.member));
    }
  }
  // Now is the window's start: its line is the left edge.
  chart.append(svg("line", { x1: 1, x2: 1, y1: BAR_TOP - 4, y2: BAR_TOP + BAR_HEIGHT + 4, class: "now" }));
  return chart;
}

function card(schedule, now, window, shifts) {
  const zone = schedule.time_zone;
  const slots = colours(shifts);
  const heading = `schedule-${schedule.id}`;
  const current = now
    ? now.member
      ? h("p", { class: "on-call-now" }, "On call now: ", h("strong", {}, now.member), now.until ? ` until ${when(now.until, zone)}` : " (no change within 93 days)")
      : h("p", { class: "on-call-now" }, "Nobody is on call now", now.until ? ` (until ${when(now.until, zone)})` : "")
    : null;
  const legend = h("ul", { class: "legend", "aria-label": "Members" }, [...slots].map(([member, slot]) => h("li", {}, h("span", { class: `swatch shift-${slot}`, "aria-hidden": "true" }), member)));
  const rows = shifts.map((shift) =>
    h("tr", {}, h("td", {}, shift.member ?? h("span", { class: "muted" }, "nobody")), h("td", {}, when(shift.start, zone)), h("td", {}, when(shift.end, zone))),
  );
  const list = h(
    "details",
    {},
    h("summary", {}, `Shifts as a list (${zone})`),
    h("table", { "aria-label": `Shifts of ${schedule.name}` }, h("thead", {}, h("tr", {}, h("th", {}, "Who"), h("th", {}, "From"), h("th", {}, "Until"))), h("tbody", {}, rows)),
  );
  return h(
    "section",
    { class: "panel schedule", "aria-labelledby": heading, dataset: { scheduleId: schedule.id } },
    h("h2", { id: heading }, schedule.name, " ", h("small", { class: "muted" }, zone)),
    schedule.description ? h("p", { class: "muted" }, schedule.description) : null,
    current,
    timeline(schedule, window, shifts, slots),
    legend,
    list,
  );
}

export async function render(main) {
  document.title = "On call · Stormwatch";
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  replace(main, h("h1", {}, "On call"), h("p", { class: "muted" }, `Who is on call now, and the next ${DAYS} days of shifts, in each schedule's own time zone.`), body);
  const since = new Date();
  const until = new Date(since.getTime() + DAYS * DAY);
  const window = { since: since.toISOString(), until: until.toISOString() };
  try {
    const [schedules, everyone] = await Promise.all([api("/v1/schedules"), api("/v1/oncall", { query: new URLSearchParams({ at: window.since }).toString() })]);
    if (!schedules.items.length) {
      replace(body, h("p", {}, "This org has no on-call schedules yet. Admins create them with the REST API (", h("code", {}, "POST /v1/schedules"), ")."));
      return;
    }
    const onCall = new Map(everyone.items.map((item) => [item.schedule_id, item]));
    const shifts = await pooled(schedules.items, 4, (schedule) =>
      api(`/v1/schedules/${encodeURIComponent(schedule.id)}/shifts`, { query: new URLSearchParams(window).toString() }),
    );
    const sorted = schedules.items.map((schedule, index) => [schedule, shifts[index].items]).sort(([a], [b]) => a.name.localeCompare(b.name));
    replace(body, sorted.map(([schedule, items]) => card(schedule, onCall.get(schedule.id), window, items)));
  } catch (error) {
    replace(body, h("p", { role: "alert" }, `The schedules could not be read: ${error.message}`));
  }
}
