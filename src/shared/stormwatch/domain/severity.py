"""Severity names the sources use, mapped to Stormwatch's four."""

from stormwatch.domain.errors import InvalidInput
from stormwatch.domain.models import Severity

ALIASES: dict[str, Severity] = {
    **{severity.value: severity for severity in Severity},
    "sev1": Severity.CRITICAL,
    "sev2": Severity.HIGH,
    "sev3": Severity.MEDIUM,
    "sev4": Severity.LOW,
    "p1": Severity.CRITICAL,
    "p2": Severity.HIGH,
    "p3": Severity.MEDIUM,
    "p4": Severity.LOW,
    "p5": Severity.LOW,
    # PagerDuty Events v2 and Alertmanager's conventional severity label values.
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "info": Severity.LOW,
}


def lookup_severity(text: str) -> Severity | None:
    return ALIASES.get(text.strip().lower())


def parse_severity(text: str, field: str = "severity") -> Severity:
    severity = lookup_severity(text)
    if severity is None:
        raise InvalidInput(
            f"{field}: unknown severity {text!r}; use critical, high, medium or low "
            "(or an alias: sev1-sev4, p1-p5, error, warning, info)",
            details=[{"field": field, "problem": "unknown severity"}],
        )
    return severity
