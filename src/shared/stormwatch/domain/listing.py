"""What a list of incidents asks for: the filters, the order, and the words it searches."""

import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from stormwatch.clock import iso
from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import Incident, Severity, Status

MAX_SEARCH_WORDS = 8
MAX_SEARCH_TEXT = 1000
_WORD = re.compile(r"[a-z0-9]+")


class Sort(StrEnum):
    CREATED = "created"
    ACTIVITY = "activity"


def words(text: str) -> list[str]:
    """Lower-case runs of letters and digits: `Checkout-API p99` is `checkout`, `api`, `p99`."""
    return _WORD.findall(text.lower())


def search_text(incident: Incident) -> str:
    """The words `q` finds, each preceded by a space, so a word matches at the start of a word only."""
    found: list[str] = []
    for text in (incident.title, incident.service or "", incident.incident_key):
        found.extend(word for word in words(text) if word not in found)
    return "".join(f" {word}" for word in found)[:MAX_SEARCH_TEXT]


@dataclass(frozen=True)
class IncidentFilter:
    statuses: frozenset[Status] = frozenset()
    severities: frozenset[Severity] = frozenset()
    service: str | None = None
    environment: str | None = None
    assignee: str | None = None
    search: tuple[str, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    sort: Sort = Sort.CREATED

    @classmethod
    def parse(
        cls,
        statuses: list[Status],
        severities: list[Severity],
        service: str | None,
        environment: str | None,
        assignee: str | None,
        q: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        sort: Sort,
    ) -> "IncidentFilter":
        search = tuple(dict.fromkeys(words(q or "")))
        if q is not None and not search:
            raise InvalidInput("q: no word to search for (letters or digits)", details=[{"field": "q"}])
        if len(search) > MAX_SEARCH_WORDS:
            raise InvalidInput(f"q: at most {MAX_SEARCH_WORDS} words", details=[{"field": "q"}])
        if created_after and created_before and created_after >= created_before:
            raise InvalidInput(
                "created_after: must be before created_before", details=[{"field": "created_after"}]
            )
        return cls(
            frozenset(statuses),
            frozenset(severities),
            service,
            environment,
            assignee,
            search,
            created_after,
            created_before,
            sort,
        )

    def scope(self) -> str:
        """The filter in one canonical string: a cursor is valid only for the filter it was made for."""
        return json.dumps(
            [
                sorted(self.statuses),
                sorted(self.severities),
                self.service,
                self.environment,
                self.assignee,
                sorted(self.search),
                iso(self.created_after) if self.created_after else None,
                iso(self.created_before) if self.created_before else None,
                self.sort,
            ],
            separators=(",", ":"),
        )
