"""Payloads the benchmarks send."""

import json


def alertmanager_body(group: str, alerts: int, fingerprints: int) -> str:
    return json.dumps(
        {
            "version": "4",
            "groupKey": group,
            "status": "firing",
            "receiver": "stormwatch",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "HighErrorRate",
                        "service": "api",
                        "severity": "critical",
                        "pod": f"p{i % fingerprints}",
                    },
                    "annotations": {"summary": "5xx above 5%", "value": str(i)},
                    "startsAt": "2026-11-22T05:27:24Z",
                    "fingerprint": f"fp{i % fingerprints:04d}",
                }
                for i in range(alerts)
            ],
        }
    )


# An integration whose key template makes each team's alerts of one Alertmanager group their own incident.
TEAM_KEY_TEMPLATE = {"key_template": "{labels.team}"}


def alertmanager_teams_body(
    tag: str, teams: int, alerts_per_team: int, fingerprints: int, group: str = "one"
) -> str:
    """One Alertmanager group whose alerts belong to `teams` teams: under TEAM_KEY_TEMPLATE, one body
    over `teams` incident keys. Bodies of other `group`s fire the same alerts, as a sender's later
    notification of the group does (an identical body within minutes is a retry, not a repeat)."""
    one_team = json.loads(alertmanager_body(tag, alerts_per_team, fingerprints))["alerts"]
    return json.dumps(
        {
            **json.loads(alertmanager_body(f"{tag}-{group}", 0, 1)),
            "alerts": [
                {
                    **alert,
                    "labels": {**alert["labels"], "team": f"{tag}-team{k}"},
                    "fingerprint": f"{k}-{alert['fingerprint']}",
                }
                for k in range(teams)
                for alert in one_team
            ],
        }
    )
