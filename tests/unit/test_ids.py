from stormwatch.ids import key_hash, new_event_id
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
