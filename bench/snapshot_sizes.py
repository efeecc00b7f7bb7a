"""What a repeat firing costs in capacity, and whom it wakes.

1. Snapshot sizes: every firing payload of tests/fixtures (real payloads of each source), and the
   benchmarks' heavy alarm, normalized and correlated into a new incident, then counted as a repeat; the
   snapshot item's size by DynamoDB's rules (capacity.py) and the WCU of the repeat's write (the larger of
   the item before and after, per started KB).
2. Stream consumers woken by 1,000 repeats of one incident: the table's stream (moto, in process), every
   record matched against each consumer's event filters from template.yaml, as Lambda filters them.

    .venv/bin/python bench/snapshot_sizes.py
"""

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import _environment
from capacity import KB, item_size
from cpu_per_alert import heavy_alarm
from payloads import alertmanager_body
from stormwatch import wiring
from stormwatch.domain.correlation import CorrelationPolicy, correlate
from stormwatch.domain.integrations import configured
from stormwatch.domain.models import AlertStatus, Integration
from stormwatch.ids import key_hash
from stormwatch.local.streams import matches
from stormwatch.local.template import Template
from stormwatch.normalizers import WebhookRequest, normalizer_for
from stormwatch.store.codec import encode_item
from stormwatch.store.incidents import IncidentStore

ROOT = _environment.ROOT
FIXTURES = ROOT / "tests" / "fixtures"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


# Sentry names the resource of each webhook in a header.
SENTRY_RESOURCE = {"issue_alert": "event_alert", "issue_created": "issue", "metric_alert": "metric_alert"}


def payloads() -> list[tuple[str, str, Any, dict[str, str]]]:
    """(source, file, payload, headers) of every fixture request that may fire, and the heavy alarm."""
    found = [
        ("generic", "the benchmarks' heavy alarm", json.loads(heavy_alarm()), {}),
        (
            "alertmanager",
            "bench payload: 10 alerts, 10 fingerprints",
            json.loads(alertmanager_body("g", 10, 10)),
            {},
        ),
    ]
    for path in sorted(FIXTURES.glob("*/*.json")):
        source = path.parent.name
        payload = json.loads(path.read_text())
        if path.name.startswith("response_") or (
            source == "cloudwatch" and payload.get("Type") != "Notification"
        ):
            continue
        headers = {}
        if source == "sentry":
            resource = next(
                value for prefix, value in SENTRY_RESOURCE.items() if path.name.startswith(prefix)
            )
            headers["sentry-hook-resource"] = resource
        found.append((source, path.name, payload, headers))
    return found


def snapshot_sizes() -> None:
    integration_of = {
        source: Integration(id="int1", org="acme", source=source, name=source, created_at=NOW)
        for source in ("generic", "alertmanager", "grafana", "cloudwatch", "sentry", "datadog", "pagerduty")
    }
    print("snapshot items by source (a new incident, then the same body again: a repeat)")
    print(f"{'source':<13} {'payload':<48} {'bytes':>6} {'repeat WCU':>10}")
    for source, name, payload, headers in payloads():
        normalize = normalizer_for(source)
        assert normalize is not None
        integration = integration_of[source]
        try:
            alerts = [
                configured(a, integration) for a in normalize(WebhookRequest(payload, headers), integration)
            ]
        except Exception as error:  # a fixture this source answers with an error: not a firing
            print(f"{source:<13} {name:<48} (not ingested: {error})")
            continue
        firing = [alert for alert in alerts if alert.status is AlertStatus.FIRING]
        if not firing:
            continue
        hashed = key_hash("acme", firing[0].incident_key)
        group = [alert for alert in firing if key_hash("acme", alert.incident_key) == hashed]
        opened = correlate("acme", hashed, None, group, NOW, CorrelationPolicy())
        assert opened.incident is not None
        repeated = correlate(
            "acme", hashed, opened.incident, group, NOW + timedelta(seconds=30), CorrelationPolicy()
        )
        assert repeated.incident is not None
        before = item_size(encode_item(IncidentStore._item(opened.incident)))
        # The repeat's own write removes the `changed` marker.
        after_item = IncidentStore._item(repeated.incident)
        after_item.pop("changed")
        after = item_size(encode_item(after_item))
        units = max(1, math.ceil(max(before, after) / KB))
        print(f"{source:<13} {name:<48} {after:>6} {units:>10}")


def consumers_woken(repeats: int) -> None:
    consumers = Template(ROOT / "template.yaml").stream_consumers()
    with _environment.moto_table() as (client, _raw):
        import boto3

        from stormwatch.settings import get_settings

        settings = get_settings()
        streams = boto3.client("dynamodbstreams", region_name=settings.region)
        arn = client.describe_table(TableName=settings.table_name)["Table"]["LatestStreamArn"]
        key = wiring.integration_admin().create("acme", "generic", "generic").key
        ingest = wiring.ingest_service()
        headers = {"authorization": f"Bearer {key}"}
        ingest.receive("generic", headers, heavy_alarm().encode())

        def records() -> list[dict[str, Any]]:
            found = []
            for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                iterator = streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                while iterator:
                    page = streams.get_records(ShardIterator=iterator, Limit=1000)
                    found.extend(page["Records"])
                    iterator = page.get("NextShardIterator") if page["Records"] else None
            return found

        opening = len(records())
        for _ in range(repeats):
            ingest.receive("generic", headers, heavy_alarm().encode())
        written = records()[opening:]
        print(f"\n{repeats:,} repeats of one incident: {len(written):,} stream records")
        for consumer in consumers:
            wanted = [r for r in written if any(matches(p, r) for p in consumer.patterns)]
            invocations = math.ceil(len(wanted) / consumer.batch_size)
            print(
                f"  {consumer.function:<22} records matched {len(wanted):>5}; "
                f"invocations at most {invocations} (batches of {consumer.batch_size})"
            )


def main() -> None:
    snapshot_sizes()
    consumers_woken(1000)


if __name__ == "__main__":
    main()
