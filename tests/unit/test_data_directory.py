"""The data directory of `stormwatch dev --data`: the snapshot with the journal's changes applied in order,
a line cut short by a crash ignored, binary values kept, one stack per directory."""

import pytest

from stormwatch.local.datadir import DataDirectory, DataDirectoryInUse


def key(pk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": "SNAPSHOT"}}


def record(event: str, pk: str, **attributes) -> dict:
    image = {**key(pk), **attributes}
    body = {"Keys": key(pk)} if event == "REMOVE" else {"Keys": key(pk), "NewImage": image}
    return {"eventName": event, "dynamodb": body}


def test_the_journal_applies_over_the_snapshot_in_order(tmp_path):
    data = DataDirectory(tmp_path, ["pk", "sk"])
    data.compact([{**key("a"), "n": {"N": "1"}}, {**key("b"), "n": {"N": "1"}}])
    data.append([record("MODIFY", "a", n={"N": "2"}), record("REMOVE", "b"), record("INSERT", "c")])
    data.append([record("MODIFY", "a", n={"N": "3"})])
    assert sorted(data.items(), key=lambda item: item["pk"]["S"]) == [
        {**key("a"), "n": {"N": "3"}},
        key("c"),
    ]


def test_compaction_keeps_the_items_and_empties_the_journal(tmp_path):
    data = DataDirectory(tmp_path, ["pk", "sk"])
    data.compact([])
    data.append([record("INSERT", "a"), record("INSERT", "b"), record("REMOVE", "a")])
    data.compact(data.items())
    assert (tmp_path / "journal.jsonl").read_text() == ""
    assert data.items() == [key("b")]


def test_a_line_cut_short_by_a_crash_ends_the_journal(tmp_path):
    data = DataDirectory(tmp_path, ["pk", "sk"])
    data.compact([])
    data.append([record("INSERT", "a")])
    with (tmp_path / "journal.jsonl").open("a") as journal:
        journal.write('{"put": {"pk": {"S": "b"')
    assert data.items() == [key("a")]


def test_binary_values_survive_the_round_trip(tmp_path):
    binary = {**key("a"), "blob": {"B": b"\x00\xff"}, "nested": {"M": {"set": {"BS": [b"\x01"]}}}}
    data = DataDirectory(tmp_path, ["pk", "sk"])
    data.compact([binary])
    assert data.items() == [binary]


def test_binary_values_of_stream_records_are_kept(tmp_path):
    # The stream sends DynamoDB JSON: binary in base64.
    data = DataDirectory(tmp_path, ["pk", "sk"])
    data.compact([])
    data.append([record("INSERT", "a", blob={"B": "AP8="}, nested={"M": {"set": {"BS": ["AQ=="]}}})])
    kept = {**key("a"), "blob": {"B": b"\x00\xff"}, "nested": {"M": {"set": {"BS": [b"\x01"]}}}}
    assert data.items() == [kept]


def test_one_stack_per_directory(tmp_path):
    first = DataDirectory(tmp_path, ["pk", "sk"])
    with pytest.raises(DataDirectoryInUse):
        DataDirectory(tmp_path, ["pk", "sk"])
    assert first.path == tmp_path


def test_fresh_discards_only_what_it_keeps(tmp_path):
    data = DataDirectory(tmp_path, ["pk", "sk"])
    data.compact([key("a")])
    data.write_stack({"dev_secret": "s"})
    (tmp_path / "notes.txt").write_text("mine")
    data.discard()
    assert data.items() == []
    assert data.read_stack() is None
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "stack.json").exists() is False
