"""Every minute (EventBridge schedule): fire the due timers: escalation steps, acknowledgement timeouts,
inactivity nudges, missed heartbeats."""

from stormwatch import startup

# Before the other imports: it pauses collection and defers powertools' gathering __init__s.
startup.importing()

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger

from stormwatch.wiring import sweeper

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = asdict(sweeper().run())
    logger.info("swept", extra=report)
    return report


startup.imported()
