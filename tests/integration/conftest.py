import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from stormwatch import wiring
from stormwatch.local.lambdas import LocalFunction
from stormwatch.local.server import path_pattern
from stormwatch.local.streams import StreamPump, streams_client
from stormwatch.local.template import Template
from stormwatch.settings import get_settings
from tests.support.aws import local_table
from tests.support.clock import FakeClock
from tests.support.paths import EVENTS, ROOT, TEMPLATE


@dataclass(frozen=True)
class _Route:
    method: str
    path: str
    pattern: re.Pattern[str]
    function: str


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


class Stack:
    """The handlers over one moto table, with two orgs and their integration keys; the table's stream is
    delivered on demand (`streams.drain()`), and the sweep runs when told (`sweep()`)."""

    def __init__(self, client: Any, clock: FakeClock) -> None:
        self.client = client
        self.clock = clock
        self.functions = {
            name: LocalFunction(name, ROOT / "functions" / name, "app.lambda_handler", in_process=True)
            for name in ("ingest", "commands", "queries", "aggregates", "sweeps", "notifier")
        }
        template = Template(TEMPLATE)
        self.streams = StreamPump(client, streams_client(get_settings()), get_settings().table_name)
        for consumer in template.stream_consumers():
            self.streams.subscribe(consumer, self.functions[consumer.code_dir.name].invoke)
        self.routes = [
            _Route(route.method, route.path, path_pattern(route.path), route.code_dir.name)
            for route in template.routes()
        ]
        self.keys = {
            (org, source): wiring.integration_admin().create(org, source, f"{org} {source}").key
            for org in ("acme", "globex")
            for source in (
                "generic",
                "alertmanager",
                "grafana",
                "cloudwatch",
                "sentry",
                "datadog",
                "pagerduty",
            )
        }

    def invoke(self, function: str, event: dict[str, Any]) -> Answer:
        response = self.functions[function].invoke(event)
        body = response.get("body")
        headers = response.get("headers") or {}
        # Text answers (the post-mortem's markdown) stay text.
        if body and not headers.get("Content-Type", "application/json").startswith("text/"):
            body = json.loads(body)
        return Answer(response["statusCode"], body or None, headers)

    def hook(
        self,
        name: str,
        org: str = "acme",
        body: Any = None,
        authorization: str | None = "key",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Post an ingest event from events/ingest/<name>.json, with this org's key for its source."""
        event = load_event(f"ingest/{name}.json")
        event["headers"].update(headers or {})
        source = event["rawPath"].rsplit("/", 1)[1]
        if body is not None:
            event["body"] = body if isinstance(body, str) else json.dumps(body)
        if authorization == "key":
            event["headers"]["authorization"] = f"Bearer {self.keys[(org, source)]}"
        elif authorization is None:
            event["headers"].pop("authorization", None)
        else:
            event["headers"]["authorization"] = authorization
        return self.invoke("ingest", event)

    def rest(
        self,
        name: str,
        org: str = "acme",
        user: str = "alice",
        roles: str = "[responder]",
        incident_id: str | None = None,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> Answer:
        """Invoke the commands or queries handler with events/<name>.json as (org, user, roles)."""
        event = load_event(f"{name}.json")
        event = copy.deepcopy(event)
        claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
        claims.update(org=org, sub=user, roles=roles)
        if incident_id is not None:
            event["rawPath"] = event["rawPath"].replace("INCIDENT_ID", incident_id)
            event["requestContext"]["http"]["path"] = event["rawPath"]
            event["pathParameters"] = {"id": incident_id}
        if body is not None:
            event["body"] = body if isinstance(body, str) else json.dumps(body)
        if query is not None:
            event["queryStringParameters"] = query
            event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
        return self.invoke(name.split("/")[0], event)

    def enqueue(self, name: str, org: str = "acme", routing_key: str | None = None, **changes: Any) -> Answer:
        """Post a PagerDuty event from events/ingest/<name>.json with this org's routing key."""
        event = load_event(f"ingest/{name}.json")
        body = json.loads(event["body"])
        body["routing_key"] = routing_key if routing_key is not None else self.keys[(org, "pagerduty")]
        body.update(changes)
        event["body"] = json.dumps(body)
        return self.invoke("ingest", event)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        org: str = "acme",
        user: str = "alice",
        roles: str = "[responder]",
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> Answer:
        """Any REST route, as the HTTP API would invoke its handler: the event of events/commands/
        acknowledge.json with another method, path, body and caller."""
        event = load_event("commands/acknowledge.json")
        route = next(r for r in self.routes if r.method == method and r.pattern.match(path))
        event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {route.path}"
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["requestContext"]["http"]["method"] = method
        event["pathParameters"] = route.pattern.match(path).groupdict()
        event["requestContext"]["authorizer"]["jwt"]["claims"].update(org=org, sub=user, roles=roles)
        event["headers"].update(headers or {})
        if body is None:
            event.pop("body", None)
        else:
            event["body"] = body if isinstance(body, str) else json.dumps(body)
        if query:
            event["queryStringParameters"] = query
            event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
        return self.invoke(route.function, event)

    def sweep(self) -> dict[str, Any]:
        """One run of the sweeps function at the fake clock's time, as the schedule invokes it."""
        report: dict[str, Any] = self.functions["sweeps"].invoke(load_event("sweeps/scheduled.json"))
        return report

    def add_member(self, handle: str, org: str = "acme", **fields: Any) -> Any:
        answer = self.call(
            "POST",
            "/v1/members",
            {"handle": handle, "name": handle.title(), **fields},
            org=org,
            roles="[admin]",
        )
        assert answer.status == 201, answer.body
        return answer.body

    def fire(self, key: str, org: str = "acme", severity: str = "high") -> str:
        answer = self.hook("generic_firing", org=org, body={"incident_key": key, "severity": severity})
        assert answer.status == 202, answer.body
        incident_id: str = answer.body["results"][0]["incident_id"]
        return incident_id

    def outbox(self) -> list[dict[str, Any]]:
        """Every notification waiting in the outbox (tests only: reads the whole table)."""
        from stormwatch.store.codec import decode_item

        items = self.client.scan(TableName="stormwatch-test")["Items"]
        return sorted(
            (decode_item(item) for item in items if item["sk"]["S"] == "OUTBOX"), key=lambda item: item["id"]
        )

    def incident(self, incident_id: str, org: str = "acme") -> Any:
        answer = self.rest("queries/get_incident", org=org, roles="[viewer]", incident_id=incident_id)
        assert answer.status == 200, answer.body
        return answer.body

    def incidents(self, org: str = "acme", **query: str) -> list[Any]:
        answer = self.rest(
            "queries/list_incidents", org=org, roles="[viewer]", query={"limit": "100", **query}
        )
        assert answer.status == 200, answer.body
        items: list[Any] = answer.body["items"]
        return items


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    clock = FakeClock()
    monkeypatch.setattr(wiring, "clock", clock)
    monkeypatch.setattr(wiring, "sleep", lambda seconds: None)
    with local_table() as client:
        yield Stack(client, clock)
