// Incident commands shared by the list and the incident page: each asks what it needs, calls the API and
// reports in words.

import { api } from "../api.js";
import { allows } from "../auth.js";
import { formDialog, showNotice } from "../ui.js";

const FORWARD = ["open", "acknowledged", "investigating", "mitigated", "resolved"];

/** The status moves the API accepts from `status`, for a role: forward steps (skipping allowed), cancel
 * (lead), reopen. */
export function allowedMoves(status, claims) {
  if (!allows(claims, "responder")) return [];
  if (status === "resolved" || status === "cancelled") return ["open"];
  const moves = FORWARD.slice(FORWARD.indexOf(status) + 1);
  if (allows(claims, "lead")) moves.push("cancelled");
  return moves;
}

export async function changeStatus(incident, status, note) {
  const body = note ? { status, note } : { status };
  return api(`/v1/incidents/${encodeURIComponent(incident.id)}/status`, { method: "POST", body });
}

export function acknowledge(incident) {
  return changeStatus(incident, "acknowledged").then((done) => (showNotice(`Acknowledged: ${incident.title}`), done));
}

/** Resolving needs a note: asked for here; null if the person cancelled. */
export async function resolve(incident) {
  const answer = await formDialog(`Resolve “${incident.title}”`, [{ name: "note", label: "Resolution note (required)", type: "textarea", required: true }], "Resolve");
  if (!answer) return null;
  const done = await changeStatus(incident, "resolved", answer.note);
  showNotice(`Resolved: ${incident.title}`);
  return done;
}
