"""The one settings model, read once per process through `get_settings()`.

Nothing else reads the environment. Each field is the environment variable `STORMWATCH_<FIELD>` (any
case); the region falls back to Lambda's own `AWS_REGION`, then `AWS_DEFAULT_REGION`. Every field is a
scalar, so the model validates the variables' text itself: a plain pydantic model, because
pydantic-settings' sources cost every cold start about 100 ms for nothing this needs."""

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, SecretStr

PREFIX = "STORMWATCH_"
# Where the region is read when STORMWATCH_REGION is not set, in order.
REGION_FALLBACKS = ("AWS_REGION", "AWS_DEFAULT_REGION")


class Settings(BaseModel):
    # Built when first read (a service's build), not at import: for a handler without request models it is
    # the one model there, and building any model loads pydantic's plugin lookup (importlib.metadata).
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    table_name: str = "stormwatch"
    region: str = "us-east-1"
    # Set only off AWS (the local stack, tests): where the DynamoDB API answers, and where SES and
    # EventBridge do (moto's server).
    dynamodb_endpoint_url: str | None = None
    services_endpoint_url: str | None = None

    # The notifier: the verified SES identity email comes from (no email without it), and the event bus of
    # the lifecycle events (none without it).
    email_sender: str | None = None
    event_bus_name: str | None = None

    max_body_bytes: int = 1_048_576
    reopen_window_seconds: int = 3600
    timeline_page_size: int = 50
    # Signs page cursors (HMAC-SHA256). The template generates it in Secrets Manager; the local stack makes
    # one per run. Without it, the queries service refuses to start rather than hand out forgeable cursors.
    cursor_secret: SecretStr | None = None

    # The metrics' aggregates are spread over this many partitions: more shards, smaller items to rewrite
    # per incident change, more items to read per day of a window.
    metrics_shards: int = Field(default=4, ge=1, le=64)
    # How soon an incident of each severity should be acknowledged (`ack_within_sla_ratio`).
    ack_sla_critical_seconds: int = 300
    ack_sla_high_seconds: int = 900
    ack_sla_medium_seconds: int = 3600
    ack_sla_low_seconds: int = 14400

    # The local stack only: a PEM certificate trusted for SNS signatures in place of AWS's (and SNS
    # subscription confirmations are then not visited).
    sns_test_certificate: str | None = None

    # The console's sign-in (template parameters): OIDC authorization code with PKCE against the JWT
    # authorizer's issuer, for the console's own client id. No issuer or client: no OIDC sign-in offered.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    console_client_id: str | None = None
    console_scopes: str = "openid profile email"
    # The local stack only: its page that issues development tokens is offered on the sign-in screen.
    console_dev_sign_in: bool = False

    # Where the JWT authorizer's claims carry the tenant, the user and the roles.
    org_claim: str = "org"
    user_claim: str = "sub"
    roles_claim: str = "roles"


def from_environment(environment: Mapping[str, str]) -> Settings:
    values: dict[str, str] = {}
    for fallback in REGION_FALLBACKS:
        if fallback in environment:
            values.setdefault("region", environment[fallback])
    for name, value in environment.items():
        if name.upper().startswith(PREFIX):
            values[name[len(PREFIX) :].lower()] = value
    return Settings.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return from_environment(os.environ)
