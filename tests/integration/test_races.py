"""Concurrency: many deliveries and commands at once on one key, through the handlers, on a store that
applies each request atomically (as DynamoDB does)."""

from concurrent.futures import ThreadPoolExecutor


def test_fifty_simultaneous_firings_of_a_new_alarm_make_one_incident_counting_fifty(stack):
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: stack.hook("generic_firing"), range(50)))
    assert all(answer.status == 202 for answer in answers), {a.status for a in answers}
    actions = sorted(answer.body["results"][0]["action"] for answer in answers)
    assert actions.count("created") == 1 and actions.count("updated") == 49
    (incident,) = stack.incidents()
    assert incident["alert_count"] == 50
    assert len({answer.body["results"][0]["incident_id"] for answer in answers}) == 1


def test_simultaneous_acknowledgements_succeed_once(stack):
    incident_id = stack.hook("generic_firing").body["results"][0]["incident_id"]
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(
                lambda user: stack.rest("commands/acknowledge", user=f"u{user}", incident_id=incident_id),
                range(20),
            )
        )
    assert sorted(answer.status for answer in answers) == [200] + [409] * 19
    detail = stack.incident(incident_id)
    assert [event["type"] for event in detail["timeline"]].count("status_changed") == 1


def test_repeats_racing_a_status_change_lose_nothing(stack):
    incident_id = stack.hook("generic_firing").body["results"][0]["incident_id"]

    def work(index):
        if index == 10:
            return stack.rest("commands/acknowledge", incident_id=incident_id)
        return stack.hook("generic_critical" if index == 20 else "generic_firing")

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(work, range(40)))
    assert all(answer.status in (200, 202) for answer in answers)
    incident = stack.incident(incident_id)
    assert incident["alert_count"] == 40
    assert incident["status"] == "acknowledged"
    assert incident["severity"] == "critical"
