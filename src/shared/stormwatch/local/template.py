"""Reads template.yaml: the table definition to create, the HTTP routes to serve and the functions that
read the table's stream."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class _CloudFormationLoader(yaml.SafeLoader):
    """Loads CloudFormation short-form tags (!Ref, !Sub, !GetAtt …) as their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node for !{suffix}", node.start_mark)
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    code_dir: Path
    handler: str
    authorized: bool


@dataclass(frozen=True)
class StreamConsumer:
    function: str
    code_dir: Path
    handler: str
    batch_size: int
    # Lambda's event-filtering patterns: a record is delivered if it matches any.
    patterns: list[dict[str, Any]]
    maximum_retry_attempts: int


@dataclass(frozen=True)
class Schedule:
    function: str
    code_dir: Path
    handler: str
    period_seconds: float


@dataclass(frozen=True)
class TableDefinition:
    create_table: dict[str, Any]
    ttl_attribute: str | None


class Template:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = path.parent
        with path.open(encoding="utf-8") as handle:
            self.document: dict[str, Any] = yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506
        self.resources: dict[str, Any] = self.document["Resources"]

    def table(self, table_name: str) -> TableDefinition:
        (properties,) = (
            resource["Properties"]
            for resource in self.resources.values()
            if resource["Type"] == "AWS::DynamoDB::Table"
        )
        request: dict[str, Any] = {
            "TableName": table_name,
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "KeySchema": properties["KeySchema"],
            "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in properties:
            request["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
        stream = properties.get("StreamSpecification")
        if stream:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        ttl = properties.get("TimeToLiveSpecification") or {}
        return TableDefinition(request, ttl.get("AttributeName") if ttl.get("Enabled") else None)

    def routes(self) -> list[Route]:
        default_authorized = any(
            (resource.get("Properties") or {}).get("Auth", {}).get("DefaultAuthorizer")
            for resource in self.resources.values()
            if resource["Type"] == "AWS::Serverless::HttpApi"
        )
        routes = []
        for name, properties, event in self._function_events("HttpApi"):
            authorizer = (event.get("Auth") or {}).get("Authorizer")
            routes.append(
                Route(
                    method=event["Method"].upper(),
                    path=event["Path"],
                    function=name,
                    code_dir=self.root / properties["CodeUri"],
                    handler=properties["Handler"],
                    authorized=default_authorized and authorizer != "NONE",
                )
            )
        return routes

    def stream_consumers(self) -> list[StreamConsumer]:
        consumers = []
        for name, properties, event in self._function_events("DynamoDB"):
            filters = (event.get("FilterCriteria") or {}).get("Filters") or []
            consumers.append(
                StreamConsumer(
                    function=name,
                    code_dir=self.root / properties["CodeUri"],
                    handler=properties["Handler"],
                    batch_size=int(event.get("BatchSize", 100)),
                    patterns=[json.loads(item["Pattern"]) for item in filters],
                    maximum_retry_attempts=int(event.get("MaximumRetryAttempts", 3)),
                )
            )
        return consumers

    def schedules(self) -> list[Schedule]:
        """Functions on an EventBridge `rate(N minute[s]|hour[s])` schedule."""
        units = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600}
        schedules = []
        for name, properties, event in self._function_events("Schedule"):
            count, unit = event["Schedule"].removeprefix("rate(").removesuffix(")").split()
            schedules.append(
                Schedule(
                    name, self.root / properties["CodeUri"], properties["Handler"], int(count) * units[unit]
                )
            )
        return schedules

    def _function_events(self, event_type: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(function name, its properties, the event's properties) for each event of that type."""
        for name, resource in self.resources.items():
            if resource["Type"] != "AWS::Serverless::Function":
                continue
            properties = resource["Properties"]
            for event in (properties.get("Events") or {}).values():
                if event["Type"] == event_type:
                    yield name, properties, event["Properties"]
