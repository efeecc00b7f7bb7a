// Formatting of durations, times and labels: pure functions, unit-tested with node's test runner.

/** "45s", "4m 12s", "2h 5m", "3d 4h": the two largest units; "—" when unknown. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return "—";
  let rest = Math.max(0, Math.round(Number(seconds)));
  const units = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  const parts = [];
  for (const [name, size] of units) {
    if (rest >= size || (name === "s" && parts.length === 0)) {
      const count = Math.floor(rest / size);
      rest -= count * size;
      parts.push(`${count}${name}`);
    } else if (parts.length) {
      parts.push(null);
    }
    if (parts.length === 2) break;
  }
  return parts.filter(Boolean).join(" ");
}

/** "just now", "5 min ago", "3 h ago", "2 days ago" (or "in 5 min" for the future). */
export function relative(iso, now = Date.now()) {
  if (!iso) return "—";
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  const ahead = seconds < 0;
  const span = Math.abs(seconds);
  let text;
  if (span < 45) return ahead ? "in a moment" : "just now";
  if (span < 3600) text = `${Math.round(span / 60)} min`;
  else if (span < 86400) text = `${Math.round(span / 3600)} h`;
  else text = `${Math.round(span / 86400)} days`;
  return ahead ? `in ${text}` : `${text} ago`;
}

/** "2026-02-14 10:32 UTC": the unambiguous form on-call engineers paste into chats. */
export function utc(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "10:32" for today's events, "Feb 14 10:32" otherwise, in the browser's zone. */
export function shortTime(iso, now = new Date()) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  if (date.toDateString() === now.toDateString()) return time;
  return `${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return "—";
  return `${(Number(ratio) * 100).toFixed(1)}%`;
}

export function label(value) {
  if (!value) return "—";
  return String(value).replaceAll("_", " ");
}

/** Who did it, as people read it: "rita" for a person, "alertmanager" for a source, "Stormwatch" for the
 * system. */
export function actor(value) {
  if (!value) return "someone";
  if (value.startsWith("user:")) return value.slice("user:".length);
  if (value.startsWith("source:")) return value.slice("source:".length);
  if (value.startsWith("system:")) return "Stormwatch";
  return value;
}

export const STATUSES = ["open", "acknowledged", "investigating", "mitigated", "resolved", "cancelled"];
export const ACTIVE = ["open", "acknowledged", "investigating", "mitigated"];
export const SEVERITIES = ["critical", "high", "medium", "low"];
