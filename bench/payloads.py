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
