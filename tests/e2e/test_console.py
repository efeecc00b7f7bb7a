"""The console in a real headless Chromium (Debian's, driven by Playwright) on one local stack: what an
on-call engineer does, checked in the page and through the API. Any error in the browser's console fails the
test. With STORMWATCH_SCREENSHOTS=DIR (`make screenshots`), the guide's screenshots are saved there."""

import json
import os
import re
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LocalStack, start_stack
from tests.support.paths import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed (make tools installs it as root)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
# Two busy cores run the stack, its Lambda containers and the browser: give the page time to answer.
expect.set_options(timeout=15_000)
# Waits for the page (not sleeps): the live list refreshes every 10 s.
LIVE_MS = 25_000


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    yield from start_stack(tmp_path_factory.mktemp("console-stack"))


@pytest.fixture(scope="module")
def members(stack: LocalStack) -> None:
    """Rita and Olga, and their rotation: Rita on call for the week."""
    admin = stack.credentials["admin_token"]
    for handle, name, role in (("rita", "Rita Responder", "responder"), ("olga", "Olga Lead", "lead")):
        assert (
            stack.request("POST", "/v1/members", {"handle": handle, "name": name, "role": role}, admin).status
            == 201
        )
    layer = {
        "name": "primary",
        "participants": ["rita"],
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": (datetime.now(UTC).date() - timedelta(days=1)).isoformat(),
    }
    schedule = {"name": "Checkout primary", "time_zone": "Europe/Berlin", "layers": [layer]}
    assert stack.request("POST", "/v1/schedules", schedule, admin).status == 201


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        # Root in a container has no user namespaces for Chromium's sandbox.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def console_errors() -> list[str]:
    """What the browser's console logged as errors; a test that provokes one on purpose takes it out."""
    return []


@pytest.fixture
def page(browser: Any, stack: LocalStack, console_errors: list[str]) -> Iterator[Any]:
    context = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors = console_errors
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"the browser's console logged errors: {errors}"


def screenshot(page: Any, name: str, full_page: bool = False) -> None:
    folder = os.environ.get("STORMWATCH_SCREENSHOTS")
    if folder:
        target = ROOT / folder
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"), full_page=full_page)


def sign_in(page: Any, stack: LocalStack, user: str, role: str, path: str = "/") -> str:
    token = stack.token("demo", user, role)
    page.goto(f"{path}#token={token}")
    expect(page.locator("#who")).to_contain_text(f"{user} · {role}")
    return token


def alarm(stack: LocalStack, title: str, severity: str = "critical", service: str = "checkout") -> str:
    body = {
        "route": f"GET /{uuid.uuid4().hex[:10]}",
        "kind": "error_rate",
        "severity": severity,
        "service": service,
        "environment": "production",
        "title": title,
    }
    answer = stack.request(
        "POST", "/v1/hooks/generic", body, key=stack.credentials["integration_keys"]["generic"]
    )
    assert answer.status == 202
    incident_id: str = answer.body["results"][0]["incident_id"]
    return incident_id


def test_the_local_sign_in_page_signs_in_with_a_dev_token_and_clears_it_from_the_address(page, stack):
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to Stormwatch")).to_be_visible()
    page.get_by_role("link", name="Sign in to the local stack").click()
    screenshot(page, "signin")
    page.get_by_label("User (handle)").fill("rita")
    page.get_by_label("Role").select_option("responder")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_contain_text("rita · responder · demo")
    assert "token" not in page.url
    assert page.evaluate("sessionStorage.getItem('stormwatch.token')").count(".") == 2
    expect(page.get_by_role("link", name="Admin")).to_be_hidden()


def test_an_alarm_appears_without_a_reload_and_is_worked_to_resolution(page, stack, members):
    token = sign_in(page, stack, "rita", "responder")
    expect(page.get_by_role("table", name="Incidents")).to_be_visible()
    title = f"Checkout 5xx above 2% {uuid.uuid4().hex[:6]}"
    incident_id = alarm(stack, title)
    row = page.get_by_role("row").filter(has_text=title)
    expect(row).to_be_visible(timeout=LIVE_MS)
    expect(page.get_by_role("region", name="On call now")).to_contain_text("Checkout primary: rita")
    open_now = page.get_by_role("button", name=re.compile("^open now"))
    expect(open_now).not_to_have_text("open now 0")  # the counts follow the live list
    screenshot(page, "incidents")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "incidents-dark")
    page.emulate_media(color_scheme="light")

    row.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    page.get_by_role("button", name="Acknowledge").click()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("acknowledged")
    expect(facts).to_contain_text("by rita")
    assert stack.request("GET", f"/v1/incidents/{incident_id}", token=token).body["status"] == "acknowledged"

    box = page.get_by_label("Comment (markdown; @ mentions a member)")
    box.fill("Rolled back the deploy, @ol")
    expect(page.get_by_role("option", name="@olga — Olga Lead")).to_be_visible()
    box.press("Enter")
    box.press_sequentially("please confirm")
    assert box.input_value() == "Rolled back the deploy, @olga please confirm"
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("ol.timeline li[data-type=comment]").first
    expect(comment).to_contain_text("Rolled back the deploy, @olga please confirm")
    expect(comment.locator(".mention")).to_have_text("@olga")
    timeline = stack.request("GET", f"/v1/incidents/{incident_id}/timeline", token=token).body["items"]
    assert [event["data"]["mentions"] for event in timeline if event["type"] == "comment"] == [["olga"]]
    screenshot(page, "incident")

    page.get_by_role("button", name="Resolve…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Resolution note (required)").fill("Rolled back v2.3.1; error rate back to 0.1%")
    screenshot(page, "resolve")
    dialog.get_by_role("button", name="Resolve").click()
    expect(facts).to_contain_text("Rolled back v2.3.1; error rate back to 0.1%")
    expect(facts.locator(".badge.st-resolved")).to_be_visible()
    detail = stack.request("GET", f"/v1/incidents/{incident_id}", token=token).body
    assert (detail["status"], detail["resolution_note"], detail["resolved_by"]) == (
        "resolved",
        "Rolled back v2.3.1; error rate back to 0.1%",
        "user:rita",
    )
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()


def test_two_incidents_are_triaged_with_the_keyboard_alone(page, stack):
    token = sign_in(page, stack, "rita", "responder")
    word = f"kbd{uuid.uuid4().hex[:6]}"
    older = alarm(stack, f"Disk full {word}", severity="warning", service="storage")
    newer = alarm(stack, f"Queue backlog {word}", severity="critical", service="orders")
    # The shortcuts exist once the incident list is drawn (the signed-in header comes first): a key
    # pressed before goes to a page that has none yet, as it would for a person.
    expect(page.get_by_label("Search")).to_be_visible()
    page.keyboard.press("/")
    expect(page.get_by_label("Search")).to_be_focused()
    page.keyboard.type(word)
    page.keyboard.press("Enter")
    rows = page.locator("table.incidents tbody tr")
    expect(rows).to_have_count(2)
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text(
        "acknowledge the selected incident"
    )
    page.keyboard.press("Escape")

    expect(rows.first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("a")
    expect(rows.first.locator(".badge.st-acknowledged")).to_be_visible()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("r")
    page.keyboard.type("Freed 40 GB of old logs")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(rows.nth(1).locator(".badge.st-resolved")).to_be_visible()
    assert stack.request("GET", f"/v1/incidents/{newer}", token=token).body["status"] == "acknowledged"
    resolved = stack.request("GET", f"/v1/incidents/{older}", token=token).body
    assert (resolved["status"], resolved["resolution_note"]) == ("resolved", "Freed 40 GB of old logs")

    page.keyboard.press("k")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Queue backlog {word}")).to_be_visible()


def test_the_dashboard_shows_the_figures_of_the_metrics_api(page, stack):
    token = sign_in(page, stack, "admin", "admin", "/console/incidents")
    with page.expect_response(lambda response: "/v1/metrics?since=" in response.url) as answered:
        page.get_by_role("link", name="Dashboard").click()
    response = answered.value
    expect(page.locator("[data-testid=open-now]")).to_be_visible()
    metrics = stack.request("GET", response.url.removeprefix(stack.url), token=token).body
    shown = {
        name: json.loads(page.locator(f"[data-testid={name}]").get_attribute("data-value"))
        for name in ("incidents", "open-now", "mtta", "mttr", "sla")
    }
    assert shown == {
        "incidents": metrics["incidents"],
        "open-now": metrics["open_now"],
        "mtta": metrics["mtta_seconds"],
        "mttr": metrics["mttr_seconds"],
        "sla": metrics["ack_within_sla_ratio"],
    }
    assert metrics["incidents"] >= 3
    expect(page.locator("[data-testid=open-now] .figure")).to_have_text(str(metrics["open_now"]))
    by_status = page.get_by_role("region", name="By status")
    for status, count in metrics["counts"]["by_status"].items():
        expect(by_status.locator(f"li[data-key={status}] strong")).to_have_text(str(count))
    expect(page.locator("sw-trend svg rect")).to_have_count(7)
    screenshot(page, "dashboard")


def test_an_admin_creates_an_integration_whose_shown_url_and_key_page_stormwatch(page, stack):
    token = sign_in(page, stack, "admin", "admin", "/console/admin/integrations")
    page.get_by_label("Source").select_option("generic")
    page.get_by_label("Name").fill("payments prometheus")
    page.get_by_role("button", name="Create integration").click()
    url = page.locator("[data-testid=webhook-url]").inner_text()
    key = page.locator("[data-testid=integration-key]").inner_text()
    assert url == f"{stack.url}/v1/hooks/generic"
    expect(page.get_by_role("row").filter(has_text="payments prometheus")).to_be_visible()
    screenshot(page, "integration")

    body = json.dumps(
        {"route": "GET /pay", "kind": "latency", "severity": "high", "title": "Pay slow"}
    ).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202
        incident_id = json.loads(response.read())["results"][0]["incident_id"]
    assert stack.request("GET", f"/v1/incidents/{incident_id}", token=token).body["title"] == "Pay slow"


def test_a_viewer_sees_no_actions_and_the_api_refuses_them_anyway(page, stack):
    incident_id = alarm(stack, f"Viewer sees this {uuid.uuid4().hex[:6]}")
    token = sign_in(page, stack, "vera", "viewer", f"/console/incidents/{incident_id}")
    expect(page.get_by_role("region", name="Actions")).to_contain_text("cannot change it")
    assert page.get_by_role("region", name="Actions").get_by_role("button").count() == 0
    expect(page.get_by_role("form", name="Comment")).to_have_count(0)
    expect(page.get_by_role("link", name="Admin")).to_be_hidden()
    refused = stack.request("POST", f"/v1/incidents/{incident_id}/status", {"status": "acknowledged"}, token)
    assert refused.status == 403
    assert stack.request("GET", f"/v1/incidents/{incident_id}", token=token).body["status"] == "open"


def resolved_incident(stack: LocalStack, title: str) -> str:
    """A critical incident resolved through the API: one whose post-mortem is required."""
    admin = stack.credentials["admin_token"]
    opened = stack.request(
        "POST", "/v1/incidents", {"title": title, "severity": "critical", "service": "checkout"}, admin
    )
    assert opened.status == 201, opened.body
    incident_id: str = opened.body["id"]
    note = {"status": "resolved", "note": "Scaled the pool back to 40 nodes"}
    assert stack.request("POST", f"/v1/incidents/{incident_id}/status", note, admin).status == 200
    return incident_id


def test_a_post_mortem_is_drafted_edited_reviewed_published_and_downloaded(page, stack, members):
    title = f"Checkout nodes drained {uuid.uuid4().hex[:6]}"
    incident_id = resolved_incident(stack, title)
    path = f"/v1/incidents/{incident_id}/postmortem"
    token = sign_in(page, stack, "rita", "responder", f"/console/incidents/{incident_id}")
    expect(page.locator("dl.facts")).to_contain_text("required")
    page.get_by_role("link", name="Post-mortem →").click()
    page.get_by_role("button", name="Draft the post-mortem").click()
    expect(page.get_by_role("heading", name=f"Post-mortem: {title}")).to_be_visible()
    expect(page.get_by_label("Timeline (markdown)")).to_have_value(re.compile("Scaled the pool back"))

    page.get_by_label("Root Cause (markdown)").fill("The **autoscaler** drained every node.\n\n- no canary")
    page.get_by_role("button", name="Preview Root Cause").click()
    preview = page.get_by_label("Root Cause preview")
    expect(preview.locator("strong")).to_have_text("autoscaler")
    expect(preview.locator("li")).to_have_text("no canary")
    expect(page.get_by_label("Root Cause (markdown)")).to_be_hidden()
    page.get_by_role("button", name="Edit Root Cause").click()
    page.get_by_label("Services (comma-separated)").fill("checkout, payments")
    page.get_by_label("Users affected").fill("1200")
    page.get_by_label("Contributing factors (one a line)").fill("no canary stage\nalerts paged late")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("postmortem-status")).to_contain_text("version 2")
    saved = stack.request("GET", path, token=token).body
    assert saved["sections"]["root_cause"] == "The **autoscaler** drained every node.\n\n- no canary"
    assert saved["impact"]["services"] == ["checkout", "payments"]
    assert saved["impact"]["users_affected"] == 1200
    assert saved["impact"]["duration_seconds"] is not None  # the measured duration survives the save
    assert saved["contributing_factors"] == ["no canary stage", "alerts paged late"]

    items = page.get_by_role("form", name="New action item")
    task = "Add a canary stage to the autoscaler rollout"
    items.get_by_label("Action item").fill(task)
    items.get_by_label("Assignee").fill("rita")
    items.get_by_label("Due").fill("2027-01-15")
    items.get_by_role("button", name="Add").click()
    line = page.locator("ul.items li").filter(has_text="Add a canary stage")
    expect(line).to_contain_text("rita, due 2027-01-15")
    line.get_by_role("button", name=f"Assign {task}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Assignee (a member's handle; empty: nobody)").fill("olga")
    dialog.get_by_role("button", name="Save").click()
    expect(line).to_contain_text("olga, due 2027-01-15")
    line.get_by_label(f"Status of {task}").select_option("done")
    expect(line).to_contain_text("closed")
    (item,) = stack.request("GET", path, token=token).body["action_items"]
    assert (item["assignee"], item["due_date"], item["status"]) == ("olga", "2027-01-15", "done")
    assert item["completed_at"] is not None

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_test_id("postmortem-status")).to_contain_text("Status: in review")
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)  # a responder cannot publish
    screenshot(page, "postmortem", full_page=True)

    sign_in(page, stack, "olga", "lead", "/console/incidents")
    page.goto(f"/console/incidents/{incident_id}/postmortem")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("postmortem-status")).to_contain_text("published")
    published = stack.request("GET", path, token=token).body
    assert (published["status"], published["published_by"]) == ("published", "user:olga")

    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download markdown").click()
    assert downloaded.value.suggested_filename == f"postmortem-{incident_id}.md"
    markdown = Path(downloaded.value.path()).read_text()
    assert markdown.startswith(f"# Incident Post-Mortem: {title}")
    assert "The **autoscaler** drained every node." in markdown
    assert f"- [x] {task}" in markdown


def test_a_concurrent_edit_is_shown_as_changed_by_someone_else_and_keeps_what_was_typed(
    page, stack, members, console_errors
):
    incident_id = resolved_incident(stack, f"Payments timeouts {uuid.uuid4().hex[:6]}")
    path = f"/v1/incidents/{incident_id}/postmortem"
    admin = stack.credentials["admin_token"]
    draft = stack.request("POST", path, {}, admin).body
    sign_in(page, stack, "rita", "responder", f"/console/incidents/{incident_id}/postmortem")
    mine = "Connection pool exhausted by retries (rita's analysis)"
    page.get_by_label("Root Cause (markdown)").fill(mine)

    theirs = {
        "title": draft["title"],
        "sections": {**draft["sections"], "root_cause": "DNS (olga's analysis)"},
        "impact": draft["impact"],
    }
    changed = stack.request("PUT", path, theirs, admin, headers={"If-Match": str(draft["version"])})
    assert changed.status == 200, changed.body
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#alerts")).to_contain_text("changed by someone else")
    # Chromium logs every 4xx answer; this one is the refusal the test provoked, and the only error.
    assert console_errors == [
        "Failed to load resource: the server responded with a status of 412 (Precondition Failed)"
    ]
    console_errors.clear()
    expect(page.get_by_label("Root Cause (markdown)")).to_have_value(mine)
    assert stack.request("GET", path, token=admin).body["sections"]["root_cause"] == "DNS (olga's analysis)"

    page.get_by_role("button", name="Save").click()  # the person chose: theirs is replaced by hers
    expect(page.get_by_test_id("postmortem-status")).to_contain_text("version 3")
    assert stack.request("GET", path, token=admin).body["sections"]["root_cause"] == mine
