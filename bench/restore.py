"""How long `stormwatch dev --data DIR` takes to restore N items, and to write its snapshot.

.venv/bin/python bench/restore.py [N ...]   (default: 1000 10000)

Items shaped like incident snapshots (keys, index attributes, about 1 KB each) are written as the data
directory's snapshot, then restored as a start does: read the snapshot and journal, create the template's
table on the embedded DynamoDB (over HTTP, as the stack runs it) and BatchWriteItem them in, stream off.
"""

import sys
import tempfile
import time
from pathlib import Path

import botocore.session

import _environment
from stormwatch.local.cli import create_table
from stormwatch.local.datadir import DataDirectory
from stormwatch.local.dynamodb import LocalDynamoDB

SIZES = (1_000, 10_000)


def item(number: int) -> dict[str, dict[str, str]]:
    incident = f"inc{number:08d}"
    return {
        "pk": {"S": f"ORG#bench#INC#{incident}"},
        "sk": {"S": "SNAPSHOT"},
        "gsi1pk": {"S": "ORG#bench#ACTIVE"},
        "gsi1sk": {"S": f"2026-11-22T09:00:00Z#{incident}"},
        "title": {"S": f"GET /orders/{number} error rate over 5% for 10 minutes"},
        "status": {"S": "open"},
        "severity": {"S": "high"},
        "alert_count": {"N": str(number % 50 + 1)},
        "labels": {"M": {"service": {"S": "orders"}, "env": {"S": "prod"}, "team": {"S": "payments"}}},
        "evidence": {"S": "x" * 600},
    }


def main(sizes: list[int]) -> None:
    database = LocalDynamoDB()
    database.start()
    dynamodb = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", endpoint_url=database.endpoint_url
    )
    print(f"{'items':>8} {'snapshot write s':>17} {'read s':>8} {'restore s':>10} {'items/s':>9}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            data = DataDirectory(Path(folder), ["pk", "sk"])
            items = [item(number) for number in range(size)]
            started = time.perf_counter()
            data.compact(items)
            written = time.perf_counter() - started
            started = time.perf_counter()
            restored = data.items()
            read = time.perf_counter() - started
            started = time.perf_counter()
            count = create_table(dynamodb, _environment.ROOT / "template.yaml", f"restore-{size}", restored)
            restore = time.perf_counter() - started
            assert count == size
            print(f"{size:>8} {written:>17.2f} {read:>8.2f} {restore:>10.2f} {size / (read + restore):>9.0f}")
    database.stop()


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]] or list(SIZES))
