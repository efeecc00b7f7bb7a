"""Commands on post-mortems: create the draft, replace it (If-Match), move its status, its action items,
and the org's template. Every POST honours Idempotency-Key."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from stormwatch.api.http import (
    BODY_ERRORS,
    answers,
    create_router,
    current_caller,
    expected_version,
    json_response,
)
from stormwatch.api.idempotency import command
from stormwatch.api.postmortem_schemas import (
    ActionItemBody,
    ActionItemPatch,
    CreatePostmortemBody,
    PostmortemBody,
    PostmortemStatusBody,
    TemplateBody,
    item_view,
    postmortem_view,
)
from stormwatch.wiring import postmortems

router = create_router()


@router.post(
    "/v1/incidents/<incident_id>/postmortem",
    responses=answers(
        HTTPStatus.CREATED,
        "PostmortemDetail",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
)
def create_postmortem(incident_id: str, body: Annotated[CreatePostmortemBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.CREATED,
        lambda caller: postmortem_view(
            postmortems().create(caller, incident_id, body.related_incident_ids), []
        ),
    )


@router.put(
    "/v1/incidents/<incident_id>/postmortem",
    responses=answers(
        HTTPStatus.OK,
        "PostmortemDetail",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.PRECONDITION_FAILED,
    ),
)
def replace_postmortem(incident_id: str, body: Annotated[PostmortemBody, Body()]) -> Response[str]:
    postmortem, items = postmortems().replace(
        current_caller(router), incident_id, body.to_edit(), expected_version(router)
    )
    return json_response(HTTPStatus.OK, postmortem_view(postmortem, items))


@router.post(
    "/v1/incidents/<incident_id>/postmortem/status",
    responses=answers(
        HTTPStatus.OK,
        "Postmortem",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
        HTTPStatus.PRECONDITION_FAILED,
    ),
)
def move_postmortem(incident_id: str, body: Annotated[PostmortemStatusBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.OK,
        lambda caller: postmortem_view(
            postmortems().move(caller, incident_id, body.status, expected_version(router))
        ),
    )


@router.post(
    "/v1/incidents/<incident_id>/postmortem/action-items",
    responses=answers(
        HTTPStatus.CREATED,
        "ActionItem",
        *BODY_ERRORS,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.CONFLICT,
    ),
)
def add_action_item(incident_id: str, body: Annotated[ActionItemBody, Body()]) -> Response[str]:
    return command(
        router,
        HTTPStatus.CREATED,
        lambda caller: item_view(
            postmortems().add_item(caller, incident_id, body.model_dump(exclude_none=True))
        ),
    )


@router.patch(
    "/v1/incidents/<incident_id>/postmortem/action-items/<item_id>",
    responses=answers(HTTPStatus.OK, "ActionItem", *BODY_ERRORS, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def update_action_item(
    incident_id: str, item_id: str, body: Annotated[ActionItemPatch, Body()]
) -> Response[str]:
    item = postmortems().update_item(
        current_caller(router), incident_id, item_id, body.model_dump(exclude_unset=True)
    )
    return json_response(HTTPStatus.OK, item_view(item))


@router.delete(
    "/v1/incidents/<incident_id>/postmortem/action-items/<item_id>",
    responses=answers(HTTPStatus.NO_CONTENT, None, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND),
)
def delete_action_item(incident_id: str, item_id: str) -> Response[str]:
    postmortems().delete_item(current_caller(router), incident_id, item_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value, body="")


@router.put(
    "/v1/org/postmortem-template",
    responses=answers(HTTPStatus.OK, "PostmortemTemplate", *BODY_ERRORS, HTTPStatus.FORBIDDEN),
)
def save_template(body: Annotated[TemplateBody, Body()]) -> Response[str]:
    sections = postmortems().save_template(current_caller(router), body.sections)
    return json_response(HTTPStatus.OK, {"sections": [section.model_dump() for section in sections]})
