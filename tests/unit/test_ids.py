import base64
import hashlib

from stormwatch.ids import key_hash, new_event_id, short_hash
from tests.support.clock import FakeClock


def test_key_hash_is_per_org_and_ignores_surrounding_blanks():
    assert key_hash("acme", "GET /orders::error_rate") == key_hash("acme", "  GET /orders::error_rate ")
    assert key_hash("acme", "k") != key_hash("globex", "k")
    assert len(key_hash("acme", "k")) == 20


def test_event_ids_sort_in_creation_order_within_one_millisecond():
    moment = FakeClock().now()
    ids = [new_event_id(moment) for _ in range(200)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 200


def test_hashes_name_the_same_keys_as_before_so_stored_items_are_found():
    # As written before the hashes encoded only the bytes they keep: base32 of the whole SHA-256, cut.
    def whole(text: str, characters: int) -> str:
        return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode().lower()[:characters]

    for text in ("GET /orders::error_rate", "", "é" * 40, "db::lag"):
        assert key_hash("acme", text) == whole(f"acme\x00{text.strip()}", 20)
        assert short_hash(text) == whole(text, 16)
