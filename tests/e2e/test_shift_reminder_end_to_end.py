"""Over HTTP against `stormwatch dev`: `stormwatch sweep --now` at a shift's reminder time tells its member
at their webhook (a loopback receiver), signed, through the notifier fed by the stack's stream; the
schedule's reminders show the delivery, and a second sweep at that instant sends nothing more."""

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.receiver import receiver
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e
SECRET = "end-to-end-reminder-secret"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_a_sweep_at_the_reminder_time_tells_the_member_of_their_shift(local_stack):
    admin = local_stack.token("reminding", "ada", "admin")
    with receiver() as hooks:
        for handle in ("wendy", "xavier"):
            member = {
                "handle": handle,
                "name": handle.title(),
                "webhook_url": f"{hooks.url}/{handle}",
                "webhook_secret": SECRET,
            }
            assert local_stack.request("POST", "/v1/members", member, token=admin).status == 201
        # Far enough ahead that the stack's own minute sweep does not reach the reminder first.
        first_day = (datetime.now(UTC) + timedelta(days=3)).date()
        rota = {
            "name": "databases",
            "time_zone": "Europe/Berlin",
            "reminder_hours": 12,
            "layers": [
                {
                    "name": "primary",
                    "participants": ["wendy", "xavier"],
                    "shift_length": 1,
                    "shift_unit": "weeks",
                    "handoff_time": "09:00",
                    "start_date": first_day.isoformat(),
                }
            ],
        }
        created = local_stack.request("POST", "/v1/schedules", rota, token=admin)
        assert created.status == 201, created.body
        schedule_id = created.body["id"]
        start = datetime.combine(first_day, time(9), ZoneInfo("Europe/Berlin")).astimezone(UTC)
        end = datetime.combine(first_day + timedelta(weeks=1), time(9), ZoneInfo("Europe/Berlin"))

        reminder_time = start - timedelta(hours=11)
        report = json.loads(local_stack.cli("sweep", "--now", reminder_time.isoformat()))
        assert report["fired_by_kind"].get("shift_reminder", 0) >= 1, report

        (request,) = wait_for(lambda: hooks.delivered("/wendy"), 30, "the notifier to call wendy's webhook")
        assert request.signed_with(SECRET)
        body = json.loads(request.body)
        assert body["type"] == "notification.shift_reminder"
        assert body["schedule"] == {"id": schedule_id, "name": "databases", "time_zone": "Europe/Berlin"}
        assert body["shift"]["member"] == "wendy"
        assert datetime.fromisoformat(body["shift"]["start"]) == start
        assert datetime.fromisoformat(body["shift"]["end"]) == end

        window = f"since={stamp(datetime.now(UTC))}&until={stamp(start)}"
        path = f"/v1/schedules/{schedule_id}/reminders?{window}"

        def delivered():
            items = local_stack.request("GET", path, token=admin).body["items"]
            return [item for item in items if item["deliveries"]]

        (reminder,) = wait_for(delivered, 30, "the delivery's outcome beside the reminder")
        assert reminder["member"] == "wendy" and datetime.fromisoformat(reminder["at"]) == reminder_time
        assert [(d["channel"], d["status"]) for d in reminder["deliveries"]] == [("webhook", "sent")]

        local_stack.cli("sweep", "--now", reminder_time.isoformat())
        assert len(local_stack.request("GET", path, token=admin).body["items"]) == 1
        assert hooks.delivered("/xavier") == []
