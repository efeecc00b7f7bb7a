"""`stormwatch dev --data DIR`: the table kept between runs, as items in DynamoDB's own JSON, so the format
does not depend on the embedded engine's internals.

- `table.jsonl`: every item at the last compaction, one per line (written aside, then renamed over).
- `journal.jsonl`: each change since, as the table's stream reports it (`{"put": item}` or
  `{"delete": key}`), appended and synced about every second: a crash loses about a second of writes.
- `stack.json`: the local stack's secrets (dev JWT and cursor secrets, the demo integration keys), mode 600,
  so tokens, cursors and keys handed out keep working.

A start reads the snapshot, then the journal in order, and writes the result as the new snapshot; the
items are written to the table before its stream is enabled, so nothing restored is delivered again.
"""

import base64
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from stormwatch.local.streams import StreamPump, StreamReader

logger = logging.getLogger(__name__)

SNAPSHOT = "table.jsonl"
JOURNAL = "journal.jsonl"
STACK = "stack.json"
LOCK = ".lock"
# The journal is folded into the snapshot when it holds this many changes more than the snapshot has items.
COMPACT_AFTER_CHANGES = 50_000
JOURNAL_POLL_SECONDS = 1.0
_BATCH_WRITE_SIZE = 25


class DataDirectoryInUse(Exception):
    pass


def _to_json(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute value as DynamoDB's JSON has it (binary as base64)."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(part).decode() for part in inner]}
    if kind == "M":
        return {"M": {name: _to_json(part) for name, part in inner.items()}}
    if kind == "L":
        return {"L": [_to_json(part) for part in inner]}
    return value


def _from_json(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(part) for part in inner]}
    if kind == "M":
        return {"M": {name: _from_json(part) for name, part in inner.items()}}
    if kind == "L":
        return {"L": [_from_json(part) for part in inner]}
    return value


def _encode(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _to_json(value) for name, value in item.items()}


def _decode(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _from_json(value) for name, value in item.items()}


def write_snapshot(directory: Path, items: Iterable[dict[str, Any]]) -> None:
    """`items` (botocore's shapes) as the snapshot of the table kept in `directory`: written aside, synced,
    then renamed over the last one. The benchmarks seed a table of any size this way, with no stream
    record for any of it."""
    temporary = directory / f"{SNAPSHOT}.tmp"
    with temporary.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(_encode(item), separators=(",", ":")) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, directory / SNAPSHOT)


class DataDirectory:
    def __init__(self, path: Path, key_names: list[str]) -> None:
        self.path = path
        self._key_names = key_names
        path.mkdir(parents=True, exist_ok=True)
        # One stack per directory: two would interleave their journals.
        self._lock = (path / LOCK).open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataDirectoryInUse(f"{path} is in use by another `stormwatch dev`") from None
        self._journal: Any = None
        self.journal_changes = 0
        self._snapshot_items = 0

    def discard(self) -> None:
        """Start empty (--fresh): only the files this module writes are removed."""
        for name in (SNAPSHOT, JOURNAL, STACK):
            (self.path / name).unlink(missing_ok=True)

    def items(self) -> list[dict[str, Any]]:
        """The table as kept: the snapshot with the journal's changes applied in order."""
        items: dict[str, dict[str, Any]] = {}
        for line in self._lines(SNAPSHOT):
            items[self._key(line)] = line
        for change in self._lines(JOURNAL):
            if "put" in change:
                items[self._key(change["put"])] = change["put"]
            else:
                items.pop(self._key(change["delete"]), None)
        return [_decode(item) for item in items.values()]

    def compact(self, items: list[dict[str, Any]]) -> None:
        """Write `items` as the snapshot and empty the journal. Only the journal's writer calls this, so no
        change is appended between the two (a crash between them replays changes the snapshot holds)."""
        write_snapshot(self.path, items)
        if self._journal is not None:
            self._journal.close()
        self._journal = (self.path / JOURNAL).open("w", encoding="utf-8")
        self.journal_changes = 0
        self._snapshot_items = len(items)

    def append(self, records: list[dict[str, Any]]) -> None:
        """Journal a batch of the table's stream records, synced before returning."""
        lines = []
        for record in records:
            image = record["dynamodb"]
            # The stream's records are DynamoDB JSON already (stormwatch.local.streams).
            if record["eventName"] == "REMOVE":
                lines.append({"delete": image["Keys"]})
            else:
                lines.append({"put": image["NewImage"]})
        self._journal.write("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self.journal_changes += len(lines)

    def needs_compaction(self) -> bool:
        return self.journal_changes > COMPACT_AFTER_CHANGES + self._snapshot_items

    def read_stack(self) -> dict[str, Any] | None:
        path = self.path / STACK
        if not path.is_file():
            return None
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return state

    def write_stack(self, state: dict[str, Any]) -> None:
        path = self.path / STACK
        temporary = self.path / f"{STACK}.tmp"
        temporary.touch(mode=0o600)
        temporary.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)

    def _key(self, item: dict[str, Any]) -> str:
        return json.dumps([item[name] for name in self._key_names])

    def _lines(self, name: str) -> Iterator[dict[str, Any]]:
        path = self.path / name
        if not path.is_file():
            return
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    # A line cut short by a crash ends what was kept.
                    logger.warning("%s:%d: cut short, ignoring the rest", path, number)
                    return


def write_items(client: Any, table_name: str, items: Iterable[dict[str, Any]]) -> int:
    """Put items with BatchWriteItem (retrying what comes back unprocessed); how many were written."""
    batch: list[dict[str, Any]] = []
    written = 0

    def flush() -> None:
        requests = {table_name: [{"PutRequest": {"Item": item}} for item in batch]}
        while requests:
            requests = client.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}

    for item in items:
        batch.append(item)
        if len(batch) == _BATCH_WRITE_SIZE:
            flush()
            written += len(batch)
            batch.clear()
    if batch:
        flush()
        written += len(batch)
    return written


class TableJournal:
    """Reads the table's stream on its own (not behind the notifier's deliveries) into the journal."""

    def __init__(self, data: DataDirectory, dynamodb: Any, streams: Any, table_name: str) -> None:
        self._data = data
        self._stop = threading.Event()
        self._pump = StreamPump(dynamodb, streams, table_name)
        consumer = StreamReader("data-journal", batch_size=1000, maximum_retry_attempts=3)
        self._pump.subscribe(consumer, self._record)
        self._thread: threading.Thread | None = None

    def start(self, restored: list[dict[str, Any]]) -> None:
        self._thread = threading.Thread(target=self._run, args=(restored,), name="data-journal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Journal what the stream still holds, then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._pump.poll()

    def _record(self, event: dict[str, Any]) -> dict[str, Any]:
        self._data.append(event["Records"])
        return {}

    def _run(self, restored: list[dict[str, Any]]) -> None:
        # Off the start's path: the stream holds what is written meanwhile.
        self._data.compact(restored)
        del restored
        while not self._stop.wait(JOURNAL_POLL_SECONDS):
            try:
                self._pump.poll()
                if self._data.needs_compaction():
                    self._data.compact(self._data.items())
            except Exception:
                logger.exception("journaling the table's changes failed (the next poll tries again)")
