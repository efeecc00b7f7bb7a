// The timeline in people's words: an icon and a sentence per event, and which events are the system's own
// bookkeeping (folded away unless asked for).

import { actor, duration, label } from "./format.js";

// Symbols every common font has (no emoji font needed).
const ICONS = {
  created: "✚", alert_fired: "⚡", alert_resolved: "✓", status_changed: "➜", severity_changed: "⚠",
  assigned: "☛", comment: "❝", comment_edited: "✎", comment_deleted: "✗", silenced: "∅", unsilenced: "▶",
  linked: "⇄", reopened: "↺", escalated: "⇑", notification: "✉", postmortem: "✍", flapping: "↯",
  acknowledgement_expired: "⌛", escalation_ended: "■", superseded: "⇢", alerts_truncated: "…",
};

/** Events a person rarely needs in the story of an incident: deliveries, escalation steps, repeats. */
export function isSystemEvent(event) {
  if (event.type === "notification" || event.type === "escalated" || event.type === "escalation_ended") return true;
  if (event.type === "alert_fired" && event.data?.refired) return true;
  return event.type !== "comment" && String(event.actor || "").startsWith("system:");
}

export function icon(event) {
  return ICONS[event.type] || "•";
}

/** What happened, in one sentence (without who: the page shows the actor beside it). */
export function describe(event) {
  const data = event.data || {};
  switch (event.type) {
    case "created": return `opened the incident (${data.severity || "?"})`;
    case "alert_fired": return `${data.refired ? "alert fired again" : "alert fired"}: ${data.title || data.fingerprint || ""}`;
    case "alert_resolved": return `alert resolved${data.fingerprint ? ` (${data.fingerprint})` : ""}`;
    case "status_changed": return `${data.from} → ${data.to}${data.note ? `: ${data.note}` : ""}`;
    case "severity_changed": return `severity ${data.from} → ${data.to}${data.reason ? `: ${data.reason}` : ""}`;
    case "assigned": return data.assignee ? `assigned to ${data.assignee}${data.reason ? ` (${data.reason})` : ""}` : "unassigned";
    case "comment": return "commented";
    case "comment_edited": return "edited a comment";
    case "comment_deleted": return "deleted a comment";
    case "silenced": return `silenced until ${data.until}`;
    case "unsilenced": return "ended the silence";
    case "linked": return `linked ${label(data.type)} ${data.incident_id}`;
    case "reopened": return `reopened (was ${data.from})${data.reason ? `: ${data.reason}` : ""}`;
    case "escalated": return `escalated to level ${data.level}${data.targets?.length ? `: ${data.targets.map((t) => t.value).join(", ")}` : ""}`;
    case "notification": return `notified ${data.target || data.channel || ""} ${data.status || ""}`.trim();
    case "acknowledgement_expired": return `acknowledgement expired after ${duration((data.ack_timeout_minutes || 0) * 60)}`;
    case "flapping": return data.flapping === false ? "stopped flapping" : "is flapping";
    case "postmortem": return `post-mortem ${label(data.status || data.action || "")}`.trim();
    default: return label(event.type);
  }
}

export function who(event) {
  return actor(event.actor);
}

/** Consecutive system events grouped, so the story reads as the people's: [{event} | {folded: [...]}]. */
export function fold(events) {
  const out = [];
  for (const event of events) {
    if (!isSystemEvent(event)) {
      out.push({ event });
      continue;
    }
    const last = out[out.length - 1];
    if (last?.folded) last.folded.push(event);
    else out.push({ folded: [event] });
  }
  return out;
}
