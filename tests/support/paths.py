from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"
# Real third-party payloads, copied with their source notes (tests/fixtures/SOURCES.md): a fresh clone
# has nothing beside it.
FIXTURES = ROOT / "tests" / "fixtures"
