"""CloudWatch alarms delivered by SNS to an HTTP(S) endpoint.

The body is the SNS envelope (the ingest service has checked its signature and handled subscription
confirmations); `Message` is the alarm as a JSON string. ALARM fires and OK resolves; INSUFFICIENT_DATA
does what the integration says (ignore by default). The key is the alarm's ARN; the region comes from it.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import AlertEvent, AlertStatus, Integration, LazyModel, SourceUrl
from stormwatch.normalizers import WebhookRequest, require_object, strict_json, validated
from stormwatch.normalizers.limits import check_evidence


class SnsEnvelope(LazyModel):
    model_config = ConfigDict(extra="ignore")

    Type: str
    MessageId: str
    TopicArn: str
    Message: str
    Timestamp: str
    Subject: str | None = None


class Dimension(LazyModel):
    name: str
    value: str


class AlarmTrigger(LazyModel):
    model_config = ConfigDict(extra="ignore")

    MetricName: str | None = None
    Namespace: str | None = None
    Statistic: str | None = None
    Period: int | None = None
    ComparisonOperator: str | None = None
    Threshold: float | None = None
    Dimensions: list[Dimension] = []


class Alarm(LazyModel):
    model_config = ConfigDict(extra="ignore")

    AlarmName: str
    AlarmDescription: str | None = None
    AWSAccountId: str | None = None
    AlarmArn: str | None = None
    NewStateValue: Literal["ALARM", "OK", "INSUFFICIENT_DATA"]
    NewStateReason: str | None = None
    OldStateValue: str | None = None
    StateChangeTime: str | None = None
    Region: str | None = None
    Trigger: AlarmTrigger | None = None


def normalize(request: WebhookRequest, integration: Integration) -> list[AlertEvent]:
    envelope = validated(SnsEnvelope, require_object(request.payload, "an SNS notification"))
    try:
        message = strict_json(envelope.Message)
    except ValueError:
        raise InvalidInput(
            "body.Message: not a CloudWatch alarm (not JSON)", details=[{"field": "body.Message"}]
        ) from None
    alarm = validated(Alarm, require_object(message, "a CloudWatch alarm"), where="body.Message")
    status = _status(alarm.NewStateValue, integration.insufficient_data)
    if status is None:
        return []
    region, account = _region_and_account(alarm, envelope.TopicArn)
    arn = alarm.AlarmArn or f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm.AlarmName}"
    labels = {
        "alarm_name": alarm.AlarmName,
        "region": region,
        "account": account,
        "state": alarm.NewStateValue,
    }
    evidence: dict[str, Any] = {"reason": alarm.NewStateReason, "previous_state": alarm.OldStateValue}
    if alarm.Trigger is not None:
        trigger = alarm.Trigger
        labels.update({f"dimension.{d.name}": d.value for d in trigger.Dimensions})
        if trigger.Namespace:
            labels["namespace"] = trigger.Namespace
        evidence["metric"] = trigger.model_dump(exclude={"Dimensions"}, exclude_none=True)
    console = (
        f"https://console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:alarm/{alarm.AlarmName}"
    )
    return [
        AlertEvent(
            source="cloudwatch",
            incident_key=arn,
            fingerprint=arn,
            status=status,
            severity=integration.default_severity,
            title=alarm.AlarmName,
            description=alarm.AlarmDescription,
            service=alarm.Trigger.Namespace if alarm.Trigger else None,
            labels=labels,
            urls=[SourceUrl(type="console", url=console)],
            evidence=check_evidence({k: v for k, v in evidence.items() if v is not None}, "body.Message"),
            started_at=_state_time(alarm.StateChangeTime),
        )
    ]


def _status(state: str, insufficient_data: str) -> AlertStatus | None:
    if state == "ALARM":
        return AlertStatus.FIRING
    if state == "OK":
        return AlertStatus.RESOLVED
    return {"firing": AlertStatus.FIRING, "resolved": AlertStatus.RESOLVED}.get(insufficient_data)


def _region_and_account(alarm: Alarm, topic_arn: str) -> tuple[str, str]:
    # arn:aws:<service>:<region>:<account>:<resource>; the alarm's own ARN wins over the topic's.
    parts = (alarm.AlarmArn or topic_arn).split(":")
    region = parts[3] if len(parts) > 4 else ""
    account = alarm.AWSAccountId or (parts[4] if len(parts) > 4 else "")
    return region, account


def _state_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None
