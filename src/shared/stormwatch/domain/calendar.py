"""A schedule's shifts as an iCalendar feed (RFC 5545): one event per shift of someone, in UTC."""

from datetime import UTC, datetime

from stormwatch.domain.schedules import Schedule, Shift

_PRODUCT = "-//Stormwatch//On-call schedules//EN"


def calendar(schedule: Schedule, shifts: list[Shift], now: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(f'On call: {schedule.name}')}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
    ]
    for shift in shifts:
        if shift.member is None:
            continue
        lines += [
            "BEGIN:VEVENT",
            # Stable across fetches, so a calendar app updates a shift rather than duplicating it.
            f"UID:{schedule.id}-{_stamp(shift.start)}-{shift.member}@stormwatch",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(shift.start)}",
            f"DTEND:{_stamp(shift.end)}",
            f"SUMMARY:{_text(f'On call: {shift.member} ({schedule.name})')}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_folded(line) + "\r\n" for line in lines)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
        .replace("\r", "")
    )


def _folded(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (never splitting a UTF-8 character)."""
    parts: list[str] = []
    current = ""
    for character in line:
        limit = 75 if not parts else 74
        if len((current + character).encode()) > limit:
            parts.append(current)
            current = character
        else:
            current += character
    parts.append(current)
    return "\r\n ".join(parts)
