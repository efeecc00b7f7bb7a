"""Request bodies and views of an incident's context: signals, SLO violations, tags, tickets, actions taken,
and related incidents."""

from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field

from stormwatch.api.schemas import Strict, incident_view
from stormwatch.domain.context import (
    MAX_TAGS,
    ActionKind,
    RelatedReason,
    Signal,
    SignalType,
    SloViolation,
    TicketSystem,
)
from stormwatch.domain.models import Incident
from stormwatch.normalizers.limits import StorableFloat, check_evidence

# A correlation key or trace id: any text a tool puts in a label (hashed in keys, kept as given).
ContextKey = Annotated[str, Field(min_length=1, max_length=512)]
_URL = r"^https?://"


def _lower(value: Any) -> Any:
    return value.lower().strip() if isinstance(value, str) else value


# Tags compare case-insensitively: `Payments` and `payments` are one tag.
Tag = Annotated[str, BeforeValidator(_lower), Field(pattern=r"^[a-z0-9][a-z0-9_.:/=-]{0,63}$")]
# Free-form JSON a tool attaches (kept on the timeline event, never in a key; checked as evidence is).
Data = Annotated[dict[str, Any], Field(max_length=50)]


class SignalBody(Strict):
    type: SignalType
    summary: str = Field(min_length=1, max_length=2048)
    service: str | None = Field(default=None, min_length=1, max_length=200)
    environment: str | None = Field(default=None, min_length=1, max_length=200)
    correlation_key: ContextKey | None = None
    trace_id: ContextKey | None = None
    source: str | None = Field(default=None, min_length=1, max_length=200)
    data: Data | None = None

    def to_signal(self) -> Signal:
        if self.data is not None:
            check_evidence(self.data, "body.data")
        return Signal(**self.model_dump())


class SloViolationBody(Strict):
    slo_id: str = Field(min_length=1, max_length=200)
    window_start: AwareDatetime
    window_end: AwareDatetime
    error_budget_consumed: StorableFloat = Field(
        ge=0, le=1e6, allow_inf_nan=False, description="the share of the error budget used, 0.25 = 25%"
    )
    threshold_breached: StorableFloat = Field(
        ge=-1e12,
        le=1e12,
        allow_inf_nan=False,
        description="the SLO target or burn-rate threshold that was crossed",
    )
    details: Data | None = None

    def checked_details(self) -> dict[str, Any] | None:
        """The details, if DynamoDB can store them (no empty key, not too deep or large)."""
        return check_evidence(self.details, "body.details") if self.details is not None else None


class TagsBody(Strict):
    add: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    remove: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)


class TicketBody(Strict):
    system: TicketSystem
    key: str | None = Field(default=None, min_length=1, max_length=200, description="e.g. OPS-1234")
    url: str = Field(min_length=8, max_length=2048, pattern=_URL)


class ActionBody(Strict):
    kind: ActionKind
    label: str = Field(min_length=1, max_length=500)
    details: str | None = Field(default=None, max_length=16_384)


def related_view(incident: Incident, why: list[RelatedReason]) -> dict[str, Any]:
    return {**incident_view(incident), "why": [reason.model_dump() for reason in why]}


def violation_view(violation: SloViolation) -> dict[str, Any]:
    return violation.model_dump(mode="json")
