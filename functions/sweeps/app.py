"""Every minute (EventBridge schedule): fire the due timers: escalation steps, acknowledgement timeouts,
inactivity nudges, missed heartbeats."""

import gc

# Collection waits until the imports are done (see stormwatch.startup).
gc.disable()

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger

from stormwatch.startup import imported
from stormwatch.wiring import sweeper

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = asdict(sweeper().run())
    logger.info("swept", extra=report)
    return report


imported()
