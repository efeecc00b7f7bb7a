"""GET /v1/incidents on one org of every kind of incident: each filter and both orders, page by page, against
the same question asked of all the incidents at once."""

import random
import re

import pytest

from stormwatch import wiring
from tests.integration.conftest import Stack
from tests.support.aws import local_table
from tests.support.clock import FakeClock

SERVICES = ["checkout", "payments", "search"]
ENVIRONMENTS = ["prod", "staging"]
TITLES = ["Checkout latency p99 high", "Payments API errors", "Search index lag", "Disk almost full"]


@pytest.fixture(scope="module")
def org():
    """Built once: the tests only read it."""
    with pytest.MonkeyPatch.context() as patch:
        clock = FakeClock()
        patch.setattr(wiring, "clock", clock)
        patch.setattr(wiring, "sleep", lambda seconds: None)
        with local_table() as client:
            stack = Stack(client, clock)
            yield stack, build_org(stack)


def build_org(stack, count=30, seed=7):
    """Incidents of every status, severity, service and environment, some assigned, some discussed."""
    rng = random.Random(seed)
    stack.add_member("bob", role="responder")
    ids = []
    for index in range(count):
        body = {
            "incident_key": f"alarm-{index}",
            "severity": rng.choice(["low", "medium", "high", "critical"]),
            "title": rng.choice(TITLES),
            "service": rng.choice(SERVICES),
            "environment": rng.choice(ENVIRONMENTS),
        }
        answer = stack.hook("generic_firing", body=body)
        assert answer.status == 202, answer.body
        ids.append(answer.body["results"][0]["incident_id"])
        stack.clock.advance(minutes=rng.randint(1, 30))
    for incident_id in ids:
        stack.clock.advance(minutes=rng.randint(1, 10))
        action = rng.choice(["none", "ack", "investigate", "resolve", "cancel", "assign", "comment"])
        path = f"/v1/incidents/{incident_id}"
        if action == "ack":
            stack.call("POST", f"{path}/status", {"status": "acknowledged"})
        elif action == "investigate":
            stack.call("POST", f"{path}/status", {"status": "investigating"})
        elif action == "resolve":
            stack.call("POST", f"{path}/status", {"status": "resolved", "note": "fixed"})
        elif action == "cancel":
            stack.call("POST", f"{path}/status", {"status": "cancelled", "note": "noise"}, roles="[lead]")
        elif action == "assign":
            stack.call("POST", f"{path}/assignment", {"assignee": rng.choice(["alice", "bob"])})
        elif action == "comment":
            stack.call("POST", f"{path}/comments", {"body": "still looking"})
    everything = stack.incidents()
    assert len(everything) == count
    return everything


def expected(everything, user="alice", **query):
    """The question asked of all the incidents at once, as the README defines each filter."""
    wanted = []
    words = re.findall(r"[a-z0-9]+", query.get("q", "").lower())
    for item in everything:
        text = " ".join([item["title"], item["service"] or "", item["incident_key"]]).lower()
        text_words = re.findall(r"[a-z0-9]+", text)
        assignee = query.get("assignee")
        if (
            ("status" in query and item["status"] not in query["status"].split(","))
            or ("severity" in query and item["severity"] not in query["severity"].split(","))
            or ("service" in query and item["service"] != query["service"])
            or ("environment" in query and item["environment"] != query["environment"])
            or (assignee is not None and item["assignee"] != (user if assignee == "me" else assignee))
            or not all(any(word_.startswith(w) for word_ in text_words) for w in words)
            or ("created_after" in query and not item["created_at"] > query["created_after"])
            or ("created_before" in query and not item["created_at"] < query["created_before"])
        ):
            continue
        wanted.append(item)
    order = "last_activity_at" if query.get("sort") == "activity" else "created_at"
    return [item["id"] for item in sorted(wanted, key=lambda item: (item[order], item["id"]), reverse=True)]


def page_through(stack, limit, **query):
    seen, cursor, pages = [], None, 0
    while True:
        pages += 1
        assert pages < 50, "the cursor never ends"
        params = {"limit": str(limit), **query, **({"cursor": cursor} if cursor else {})}
        answer = stack.rest("queries/list_incidents", roles="[viewer]", query=params)
        assert answer.status == 200, answer.body
        seen += [item["id"] for item in answer.body["items"]]
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return seen


def at(everything, index):
    return sorted(item["created_at"] for item in everything)[index]


QUERIES = [
    {},
    {"status": "open"},
    {"status": "open,acknowledged,investigating"},
    {"severity": "critical,high"},
    {"status": "resolved,cancelled", "severity": "low"},
    {"service": "checkout"},
    {"environment": "staging", "severity": "medium"},
    {"assignee": "me"},
    {"assignee": "bob", "status": "open,acknowledged"},
    {"q": "checkout"},
    {"q": "lat p99"},
    {"q": "PAY"},
    {"q": "alarm-1"},
    {"sort": "activity"},
    {"sort": "activity", "status": "open"},
    {"sort": "activity", "assignee": "alice"},
    {"sort": "activity", "q": "disk", "environment": "prod"},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: "&".join(f"{k}={v}" for k, v in query.items()))
def test_every_filter_pages_to_what_the_whole_set_answers(org, query):
    stack, everything = org
    assert page_through(stack, 4, **query) == expected(everything, **query)


@pytest.mark.parametrize("sort", ["created", "activity"])
def test_created_ranges_bound_the_list_in_either_order(org, sort):
    stack, everything = org
    window = {"created_after": at(everything, 5), "created_before": at(everything, 20), "sort": sort}
    found = page_through(stack, 3, **window)
    assert found == expected(everything, **window)
    assert len(found) == 14
    assert page_through(stack, 3, created_after=at(everything, 25), status="open") == expected(
        everything, created_after=at(everything, 25), status="open"
    )


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: "&".join(f"{k}={v}" for k, v in query.items()))
def test_pages_cut_short_by_the_read_budget_still_lose_nothing(org, query, monkeypatch):
    """Two index entries a Query and one Query beyond one per partition: filtered pages come back short,
    their cursors resume below what was read, and the whole list is still exactly the answer."""
    from stormwatch.store import listing

    monkeypatch.setattr(listing, "FILTERED_READ_SIZE", 2)
    monkeypatch.setattr(listing, "EXTRA_QUERIES", 1)
    stack, everything = org
    assert page_through(stack, 3, **query) == expected(everything, **query)
