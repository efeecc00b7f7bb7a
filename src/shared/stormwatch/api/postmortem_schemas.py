"""Request bodies and response views of post-mortems, action items and the org's post-mortem template."""

from datetime import date
from typing import Annotated, Any

from pydantic import Field

from stormwatch.api.schemas import Handle, NotNull, Strict, cleared, kept
from stormwatch.domain.models import PostmortemStatus
from stormwatch.domain.postmortems import (
    ActionItem,
    ActionItemStatus,
    Impact,
    Postmortem,
    PostmortemEdit,
    TemplateSection,
)
from stormwatch.normalizers.limits import Storable

_URL = r"^https?://"


class CreatePostmortemBody(Strict):
    related_incident_ids: list[str] = Field(default_factory=list, max_length=10)


class ImpactBody(Strict):
    # Bounded so that every value is one DynamoDB stores (38 digits, magnitudes to 1e125): a century, and
    # a trillion people.
    duration_seconds: Annotated[float, Field(ge=0, le=3.2e9, allow_inf_nan=False), Storable] | None = None
    services: list[str] = Field(default_factory=list, max_length=50)
    users_affected: int | None = Field(default=None, ge=0, le=10**12)


class PostmortemBody(Strict):
    """The editable fields, replaced whole (PUT)."""

    title: str = Field(min_length=1, max_length=1024)
    sections: dict[str, str] = Field(max_length=50)
    impact: ImpactBody
    contributing_factors: list[str] = Field(default_factory=list, max_length=50)
    related_incident_ids: list[str] = Field(default_factory=list, max_length=10)

    def to_edit(self) -> PostmortemEdit:
        return PostmortemEdit(
            title=self.title,
            sections=self.sections,
            impact=Impact.model_validate(self.impact.model_dump()),
            contributing_factors=self.contributing_factors,
            related_incident_ids=self.related_incident_ids,
        )


class PostmortemStatusBody(Strict):
    status: PostmortemStatus


class TemplateBody(Strict):
    sections: list[TemplateSection] = Field(max_length=20)


class ActionItemBody(Strict):
    title: str = Field(min_length=1, max_length=500)
    assignee: Handle | None = None
    due_date: date | None = None
    ticket_url: str | None = Field(default=None, max_length=2048, pattern=_URL)


class ActionItemPatch(Strict):
    title: Annotated[str, NotNull] = kept(min_length=1, max_length=500)
    assignee: Handle | None = cleared("unassigned")
    due_date: date | None = cleared("no due date (never overdue)")
    ticket_url: str | None = cleared("no ticket", max_length=2048, pattern=_URL)
    status: Annotated[ActionItemStatus, NotNull] = kept()


def item_view(item: ActionItem, incident_id: str | None = None) -> dict[str, Any]:
    view = item.model_dump(mode="json", exclude={"reminders"})
    if incident_id is not None:
        view["incident_id"] = incident_id
    return view


def postmortem_view(postmortem: Postmortem, items: list[ActionItem] | None = None) -> dict[str, Any]:
    view = postmortem.model_dump(mode="json", exclude={"incident_resolved_at"})
    if items is not None:
        view["action_items"] = [item_view(item) for item in items]
    return view
