"""A Lambda handler that stays busy, as a long sweep would: it marks that it started, then blocks."""

import time
from pathlib import Path
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    Path(event["started"]).write_text("started", encoding="utf-8")
    time.sleep(600)
    return {"finished": True}
