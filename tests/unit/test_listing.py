from datetime import UTC, datetime

import pytest

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.listing import IncidentFilter, Sort, search_text, words
from tests.unit.factories import alert, opened


def parse(**fields):
    arguments = dict(
        statuses=[],
        severities=[],
        service=None,
        environment=None,
        assignee=None,
        q=None,
        created_after=None,
        created_before=None,
        sort=Sort.CREATED,
    )
    return IncidentFilter.parse(**{**arguments, **fields})


def test_words_are_lower_case_runs_of_letters_and_digits():
    assert words("Checkout-API p99 / GET::orders") == ["checkout", "api", "p99", "get", "orders"]


def test_the_search_text_starts_each_word_with_a_space():
    now = datetime(2026, 11, 22, tzinfo=UTC)
    text = search_text(opened(now, alert(title="Disk full", service="db-main", incident_key="disk::full")))
    assert text == " disk full db main"


def test_the_same_filter_in_another_order_has_the_same_scope():
    assert parse(q="b a").scope() == parse(q="a b a").scope()
    assert parse(q="a").scope() != parse(q="a", sort=Sort.ACTIVITY).scope()


@pytest.mark.parametrize("q", ["!!!", " ", "a b c d e f g h i"])
def test_a_search_without_words_or_with_too_many_is_refused(q):
    with pytest.raises(InvalidInput, match=r"^q"):
        parse(q=q)
