"""The console's on-call page in a real headless Chromium (Debian's, driven by Playwright) on its own local
stack: reached from the nav, it shows who each schedule has on call now and its shifts over the next 14
days as a timeline, as the API answers them. Any error in the browser's console fails the test."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e import test_console as console

pytestmark = pytest.mark.e2e
expect = console.expect

# The browser tests' fixtures: Chromium, a page failing on console errors, and a stack for this module.
browser = console.browser
console_errors = console.console_errors
page = console.page
stack = console.stack


def create_schedule(stack, body):
    admin = stack.credentials["admin_token"]
    answer = stack.request("POST", "/v1/schedules", body, admin)
    assert answer.status == 201, answer.body
    return answer.body


def test_the_on_call_page_shows_who_is_on_call_now_and_the_shifts_ahead(page, stack):
    admin = stack.credentials["admin_token"]
    for handle in ("sam", "tia", "uma"):
        member = {"handle": handle, "name": handle.title(), "role": "responder"}
        assert stack.request("POST", "/v1/members", member, admin).status == 201
    started = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    rotation = {
        "name": "primary",
        "participants": ["sam", "tia"],
        "shift_length": 2,
        "shift_unit": "days",
        "handoff_time": "09:00",
        "start_date": started,
    }
    payments = create_schedule(
        stack, {"name": "payments", "time_zone": "Europe/Berlin", "layers": [rotation], "reminder_hours": 0}
    )
    later = {**rotation, "start_date": (datetime.now(UTC) + timedelta(days=5)).date().isoformat()}
    create_schedule(
        stack, {"name": "quiet", "time_zone": "America/New_York", "layers": [later], "reminder_hours": 0}
    )
    cover = {
        "member": "uma",
        "start": (datetime.now(UTC) + timedelta(days=4)).isoformat(),
        "end": (datetime.now(UTC) + timedelta(days=4, hours=6)).isoformat(),
    }
    path = f"/v1/schedules/{payments['id']}"
    assert stack.request("POST", f"{path}/overrides", cover, admin).status == 201
    now = stack.request("GET", f"{path}/oncall", token=admin).body

    console.sign_in(page, stack, "vera", "viewer")
    with page.expect_response(lambda response: f"{path}/shifts?" in response.url) as answered:
        page.get_by_role("link", name="On call").click()
    shifts = answered.value.json()["items"]
    expect(page.get_by_role("heading", name="On call", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="On call")).to_have_attribute("aria-current", "page")
    assert page.url.endswith("/console/schedules")

    card = page.get_by_role("region", name="payments Europe/Berlin")
    expect(card.locator(".on-call-now")).to_contain_text(f"On call now: {now['member']} until")
    shown = card.locator("svg.shifts rect")
    expect(shown).to_have_count(len(shifts))
    members = [rect.get_attribute("data-member") for rect in shown.all()]
    assert members == [shift["member"] or "nobody" for shift in shifts]
    assert "uma" in members and {"sam", "tia"} <= set(members)
    card.get_by_text("Shifts as a list").click()
    listed = card.get_by_role("table", name="Shifts of payments").locator("tbody tr")
    expect(listed).to_have_count(len(shifts))

    # A schedule whose rotation starts in five days has nobody on call now, then its first shift.
    quiet = page.get_by_role("region", name="quiet America/New_York")
    expect(quiet.locator(".on-call-now")).to_contain_text("Nobody is on call now")
    expect(quiet.locator("svg.shifts rect").first).to_have_attribute("data-member", "nobody")
    expect(quiet.locator("svg.shifts rect").nth(1)).to_have_attribute("data-member", "sam")
