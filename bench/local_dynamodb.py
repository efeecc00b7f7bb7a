"""The local stack's embedded DynamoDB (moto's server, as `stormwatch dev` runs it): latency of a request
on tables of 1,000 and 10,000 incident-sized items, and its memory after a run of writes.

    .venv/bin/python bench/local_dynamodb.py [SIZES ...]   (default: 1000 10000)

Each size starts a fresh server in this process with the template's table, fills it with BatchWriteItem,
then times each request kind (median of its repeats, in ms): a transaction of two writes, a transaction
whose condition fails, an UpdateItem, a GetItem, a Query of one partition, Queries of the org index (a
page of the org that holds every incident, and of an org of 10 beside it) and a Query of the timer index.
"""

import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import botocore.session

import _environment  # fake credentials: nothing can reach AWS

ROOT = _environment.ROOT

from stormwatch.local.cli import create_table  # noqa: E402
from stormwatch.local.datadir import write_items  # noqa: E402
from stormwatch.local.dynamodb import LocalDynamoDB  # noqa: E402

REPEATS = 20
PADDING = "x" * 700  # an incident snapshot is about 1 KB


def incident(number: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"ORG#bench#INC#{number:06d}"},
        "sk": {"S": "SNAPSHOT"},
        "gsi1pk": {"S": "ORG#bench"},
        "gsi1sk": {"S": f"2026-11-01T00:00:00Z#{number:06d}"},
        "gsi2pk": {"S": "ORG#bench#STATUS#resolved"},
        "gsi2sk": {"S": f"2026-11-01T00:00:00Z#{number:06d}"},
        "status": {"S": "resolved"},
        "severity": {"S": "high"},
        "service": {"S": f"service-{number % 20}"},
        "evidence": {"S": PADDING},
    }


def timer(number: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"ORG#bench#INC#{number:06d}"},
        "sk": {"S": "TIMER#escalate"},
        "gsi5pk": {"S": f"TIMERS#{number % 8}"},
        "gsi5sk": {"S": f"2026-11-01T00:{number % 60:02d}:00Z#{number:06d}"},
        "due": {"S": "2026-11-01T00:00:00Z"},
    }


def fill(client: Any, table: str, size: int) -> None:
    small_org = [{**incident(size * 10 + number), "gsi1pk": {"S": "ORG#small"}} for number in range(10)]
    items = (
        [incident(number) for number in range(size)]
        + small_org
        + [timer(number) for number in range(size // 10)]
    )
    write_items(client, table, items)


def median_ms(request: Callable[[int], Any]) -> float:
    timings = []
    for attempt in range(REPEATS):
        started = time.perf_counter()
        request(attempt)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure(size: int) -> dict[str, float]:
    table = f"bench-{size}"
    database = LocalDynamoDB()
    database.start()
    try:
        client: Any = botocore.session.get_session().create_client(
            "dynamodb", region_name="us-east-1", endpoint_url=database.endpoint_url
        )
        create_table(client, ROOT / "template.yaml", table)
        fill(client, table, size)
        existing = incident(0)["pk"]

        def transaction(attempt: int) -> None:
            fresh = incident(size + attempt)
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": table,
                            "Item": fresh,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": table, "Item": {**timer(size + attempt)}}},
                ]
            )

        def failed_transaction(attempt: int) -> None:
            try:
                client.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": table, "Item": timer(size + REPEATS + attempt)}},
                        {
                            "Put": {
                                "TableName": table,
                                "Item": incident(0),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
            except client.exceptions.TransactionCanceledException:
                return
            raise AssertionError("the transaction's condition should have failed")

        def newest_page(org: str) -> Any:
            return client.query(
                TableName=table,
                IndexName="gsi1",
                KeyConditionExpression="gsi1pk = :org",
                ExpressionAttributeValues={":org": {"S": org}},
                ScanIndexForward=False,
                Limit=50,
            )

        figures = {
            "TransactWriteItems (2 puts)": median_ms(transaction),
            "TransactWriteItems, condition fails": median_ms(failed_transaction),
            "UpdateItem": median_ms(
                lambda attempt: client.update_item(
                    TableName=table,
                    Key={"pk": existing, "sk": {"S": "SNAPSHOT"}},
                    UpdateExpression="SET alert_count = :n",
                    ExpressionAttributeValues={":n": {"N": str(attempt)}},
                )
            ),
            "GetItem": median_ms(
                lambda _: client.get_item(TableName=table, Key={"pk": existing, "sk": {"S": "SNAPSHOT"}})
            ),
            "Query, one partition": median_ms(
                lambda _: client.query(
                    TableName=table,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": existing},
                )
            ),
            "Query, org index (the newest 50 of 1 org)": median_ms(lambda _: newest_page("ORG#bench")),
            "Query, org index (another org, 10 incidents)": median_ms(lambda _: newest_page("ORG#small")),
            "Query, timer index (one shard, 10 due)": median_ms(
                lambda _: client.query(
                    TableName=table,
                    IndexName="gsi5",
                    KeyConditionExpression="gsi5pk = :shard AND gsi5sk < :due",
                    ExpressionAttributeValues={
                        ":shard": {"S": "TIMERS#3"},
                        ":due": {"S": "2026-11-01T00:05"},
                    },
                    Limit=10,
                )
            ),
        }
        started = time.perf_counter()
        writes = 200
        for attempt in range(writes):
            transaction(1000 + attempt)
        figures["transactions/s (200 in a row)"] = writes / (time.perf_counter() - started)
        return figures
    finally:
        database.stop()


def main() -> None:
    sizes = [int(argument) for argument in sys.argv[1:]] or [1000, 10000]
    results = {}
    for size in sizes:
        results[size] = measure(size)
        print(size, {name: round(value, 1) for name, value in results[size].items()}, flush=True)
    names = list(next(iter(results.values())))
    print("| request | " + " | ".join(f"{size:,} items" for size in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name in names:
        unit = "" if "/s" in name else " ms"
        print(f"| {name} | " + " | ".join(f"{results[size][name]:.1f}{unit}" for size in sizes) + " |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (server, client and every table): {peak:.0f} MB")


if __name__ == "__main__":
    main()
