"""DynamoDB requests and capacity units per operation (capacity from item sizes: see capacity.py).

.venv/bin/python bench/dynamodb_costs.py
"""

import json
from datetime import UTC, datetime, timedelta

import _environment
from capacity import CapacityMeter
from payloads import TEAM_KEY_TEMPLATE, alertmanager_body, alertmanager_teams_body
from stormwatch import wiring
from stormwatch.domain.listing import IncidentFilter
from stormwatch.domain.models import Caller, NewIncident, Role, Severity, Status
from stormwatch.local.lambdas import LocalFunction
from stormwatch.settings import get_settings


class SteppedClock:
    """Time moves only when the benchmark says, so reopen windows and orderings are exact."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def alarm(route: str, severity: str = "warning", status: str = "firing") -> bytes:
    return json.dumps(
        {
            "route": route,
            "kind": "error_rate",
            "severity": severity,
            "status": status,
            "evidence": {"error_rate": 0.071, "window": "5m", "sample": "GET /orders 500 x 412"},
            "owner": {"owner": "payments", "slack_webhook": "https://hooks.slack.com/services/T0/B0/XXXX"},
            "sentry_url": "https://sentry.io/organizations/acme/issues/4509/",
        }
    ).encode()


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    clock = SteppedClock()
    wiring.clock = clock
    with _environment.moto_table() as (client, raw):
        settings = get_settings()
        keys = {
            source: wiring.integration_admin().create("acme", source, source).key
            for source in ("generic", "alertmanager")
        }
        meter = CapacityMeter(client, raw, settings.table_name)
        ingest = wiring.ingest_service()
        commands = wiring.incident_commands()
        queries = wiring.incident_queries()
        lead = Caller(org="acme", user="lee", roles=frozenset({Role.LEAD}))

        def measure(name: str, goal: str, action) -> object:
            meter.reset()
            result = action()
            rows.append((name, meter.reset().describe(), goal))
            return result

        bearer = f"Bearer {keys['generic']}"
        ingest.receive("generic", {"authorization": bearer}, alarm("GET /warmup"))
        (created,) = measure(
            "new incident",
            "one transaction",
            lambda: ingest.receive("generic", {"authorization": bearer}, alarm("GET /orders")),
        )
        clock.advance(seconds=10)
        measure(
            "repeat firing",
            "one write, no read",
            lambda: ingest.receive("generic", {"authorization": bearer}, alarm("GET /orders")),
        )
        measure(
            "severity rise",
            "",
            lambda: ingest.receive("generic", {"authorization": bearer}, alarm("GET /orders", "critical")),
        )
        measure(
            "resolve from the source",
            "",
            lambda: ingest.receive(
                "generic", {"authorization": bearer}, alarm("GET /orders", status="resolved")
            ),
        )
        clock.advance(minutes=10)
        measure(
            "reopen within the window",
            "",
            lambda: ingest.receive("generic", {"authorization": bearer}, alarm("GET /orders")),
        )
        measure(
            "acknowledge (status change)",
            "",
            lambda: commands.set_status(lead, created.incident_id, Status.ACKNOWLEDGED, None),
        )
        measure(
            "open by hand",
            "one transaction",
            lambda: commands.open(lead, NewIncident(title="Checkout slow", severity=Severity.HIGH)),
        )
        am = f"Bearer {keys['alertmanager']}"
        ingest.receive(
            "alertmanager",
            {"authorization": am},
            alertmanager_body("warm-up", alerts=1, fingerprints=1).encode(),
        )
        body = alertmanager_body('{}:{alertname="HighErrorRate"}', alerts=100, fingerprints=5).encode()
        measure(
            "Alertmanager body: 100 alerts, 1 key, 5 fingerprints (new)",
            "writes per key, not per alert",
            lambda: ingest.receive("alertmanager", {"authorization": am}, body),
        )
        measure(
            "the same body again (all repeats)",
            "writes per key, not per alert",
            lambda: ingest.receive("alertmanager", {"authorization": am}, body),
        )

        team_key = wiring.integration_admin().create("acme", "alertmanager", "teams", TEAM_KEY_TEMPLATE).key
        teams = f"Bearer {team_key}"
        for group, label in (
            ("new", "new"),
            # A container that has not yet seen a key reads its incident's id back after a transaction.
            ("later", "all repeats, the container's first"),
            ("latest", "all repeats"),
        ):
            body = alertmanager_teams_body("bench", teams=10, alerts_per_team=1, fingerprints=1, group=group)
            measure(
                f"Alertmanager body: 10 alerts, 10 keys ({label})",
                "a write per key, each with the delivery's marker",
                lambda body=body: ingest.receive("alertmanager", {"authorization": teams}, body.encode()),
            )

        admin = Caller(org="acme", user="root", roles=frozenset({Role.ADMIN}))
        for handle in ("bob", "carol"):
            wiring.member_admin().create(admin, {"handle": handle, "name": handle.title()})
        measure(
            "comment with two mentions",
            "",
            lambda: commands.comment(lead, created.incident_id, "Rolled back; @bob @carol watch p95"),
        )
        measure("assign to a member", "", lambda: commands.assign(lead, created.incident_id, "bob", None))
        handler = LocalFunction(
            "commands", _environment.ROOT / "functions" / "commands", "app.lambda_handler", in_process=True
        )
        event = json.loads((_environment.ROOT / "events" / "commands" / "set_severity.json").read_text())
        event["rawPath"] = event["requestContext"]["http"]["path"] = (
            f"/v1/incidents/{created.incident_id}/severity"
        )
        event["headers"]["idempotency-key"] = "bench-1"
        event["body"] = json.dumps({"severity": "low", "reason": "internal only"})
        event["requestContext"]["authorizer"]["jwt"]["claims"].update(org="acme", roles="[lead]")
        measure("severity change with Idempotency-Key (first)", "", lambda: handler.invoke(event))
        measure(
            "the same request again (replay)", "one request, nothing written", lambda: handler.invoke(event)
        )

        for index in range(60):
            clock.advance(seconds=1)
            ingest.receive(
                "generic",
                {"authorization": bearer},
                alarm(f"GET /route/{index}", "critical" if index % 4 == 0 else "warning"),
            )
        measure(
            "list 50 incidents",
            "Queries, never Scans",
            lambda: queries.list_incidents(lead, IncidentFilter(), 50, None),
        )
        measure(
            "list 50 open incidents",
            "",
            lambda: queries.list_incidents(lead, IncidentFilter(statuses=frozenset({Status.OPEN})), 50, None),
        )
        measure(
            "list 10 critical (index filter)",
            "",
            lambda: queries.list_incidents(
                lead, IncidentFilter(severities=frozenset({Severity.CRITICAL})), 10, None
            ),
        )
        measure(
            "incident detail (snapshot, alerts, timeline)",
            "",
            lambda: queries.detail(lead, created.incident_id),
        )

    width = max(len(name) for name, _, _ in rows)
    print(f"{'operation':<{width}}  cost")
    for name, cost, goal in rows:
        print(f"{name:<{width}}  {cost}" + (f"   [goal: {goal}]" if goal else ""))


if __name__ == "__main__":
    main()
