// The on-call page's timeline arithmetic, without a browser (run with the other console tests).
import assert from "node:assert/strict";
import { test } from "node:test";

const { segments, colours, midnights, when } = await import(new URL("../../functions/console/static/assets/pages/schedules.js", import.meta.url));

const iso = (text) => new Date(text).toISOString();

test("shifts become parts of the window, clipped to it, nobody's stretches kept", () => {
  const since = "2026-03-01T00:00:00.000Z";
  const until = "2026-03-03T00:00:00.000Z";
  const parts = segments(
    [
      { member: "alice", start: since, end: "2026-03-01T12:00:00.000Z" },
      { member: null, start: "2026-03-01T12:00:00.000Z", end: "2026-03-02T00:00:00.000Z" },
      { member: "bob", start: "2026-03-02T00:00:00.000Z", end: until },
    ],
    since,
    until,
  );
  assert.deepEqual(parts.map((part) => [part.member, part.left, part.width]), [["alice", 0, 0.25], [null, 0.25, 0.25], ["bob", 0.5, 0.5]]);
});

test("a member keeps one colour, in the order members first appear", () => {
  const slots = colours([{ member: "bob" }, { member: null }, { member: "alice" }, { member: "bob" }]);
  assert.deepEqual([...slots], [["bob", 0], ["alice", 1]]);
});

test("day lines fall on the zone's midnights, across a daylight-saving change", () => {
  const found = midnights("2026-03-27T12:00:00Z", "2026-03-31T00:00:00Z", "Europe/Berlin").map((instant) => new Date(instant).toISOString());
  assert.deepEqual(found, [iso("2026-03-27T23:00:00Z"), iso("2026-03-28T23:00:00Z"), iso("2026-03-29T22:00:00Z"), iso("2026-03-30T22:00:00Z")]);
  assert.deepEqual(midnights("2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z", "America/New_York").map((instant) => new Date(instant).toISOString()), [iso("2026-11-01T04:00:00Z"), iso("2026-11-02T05:00:00Z")]);
});

test("times are shown in the schedule's zone", () => {
  assert.equal(when("2026-03-02T08:00:00Z", "Europe/Berlin"), "Mon 2 Mar, 09:00");
  assert.equal(when(null, "UTC"), "further notice");
});
