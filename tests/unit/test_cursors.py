import pytest

from stormwatch.cursors import CursorSigner
from stormwatch.domain.errors import InvalidInput

SIGNER = CursorSigner(b"k" * 32)


def test_a_cursor_opens_in_its_own_scope_only():
    cursor = SIGNER.sign("incidents\nacme\n[]", "2026-11-22T09:00:00.000Z#abc-1")
    assert SIGNER.open("incidents\nacme\n[]", cursor) == "2026-11-22T09:00:00.000Z#abc-1"
    for scope in ("incidents\nglobex\n[]", 'incidents\nacme\n["open"]', "timeline\nacme\nabc-1"):
        with pytest.raises(InvalidInput, match=r"^cursor"):
            SIGNER.open(scope, cursor)


@pytest.mark.parametrize("cursor", ["", ".", "abc", "abc.def", "é.é", "=====.====="])
def test_anything_but_a_signed_cursor_is_invalid_input(cursor):
    with pytest.raises(InvalidInput, match=r"^cursor"):
        SIGNER.open("scope", cursor)


def test_another_secret_does_not_open_it():
    cursor = SIGNER.sign("scope", "position")
    with pytest.raises(InvalidInput):
        CursorSigner(b"x" * 32).open("scope", cursor)


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        CursorSigner(b"short")
