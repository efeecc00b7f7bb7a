"""`stormwatch`: the local stack and its tools.

stormwatch dev [--port 3000] [--credentials-file PATH]    run Stormwatch locally with a demo org
stormwatch token --org ORG --user USER --role ROLE         print a development JWT
"""

import argparse
import json
import logging
import os
import secrets
import signal
import sys
import threading
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stormwatch.local.lambdas import LocalFunction

DEMO_ORG = "demo"
LOCAL_EMAIL_SENDER = "stormwatch@example.com"
LOCAL_EVENT_BUS = "stormwatch-local"
STREAM_POLL_SECONDS = 1.0
logger = logging.getLogger("stormwatch.local")


def _now() -> datetime:
    return datetime.now(UTC)


def _local_environment(endpoint_url: str, table_name: str) -> None:
    """The environment the handlers read their settings from, as the SAM template sets it on AWS; fake
    credentials and a region so nothing can reach AWS."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "STORMWATCH_DYNAMODB_ENDPOINT_URL": endpoint_url,
            "STORMWATCH_TABLE_NAME": table_name,
            "STORMWATCH_CURSOR_SECRET": secrets.token_urlsafe(32),
            "STORMWATCH_SERVICES_ENDPOINT_URL": endpoint_url,
            "STORMWATCH_EMAIL_SENDER": LOCAL_EMAIL_SENDER,
            "STORMWATCH_EVENT_BUS_NAME": LOCAL_EVENT_BUS,
            # The console offers the local sign-in page (served by the local stack only).
            "STORMWATCH_CONSOLE_DEV_SIGN_IN": "true",
            "POWERTOOLS_SERVICE_NAME": "stormwatch",
            "POWERTOOLS_METRICS_NAMESPACE": "Stormwatch",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        }
    )


def create_table(client: Any, template_path: Path, table_name: str) -> None:
    from stormwatch.local.template import Template

    definition = Template(template_path).table(table_name)
    client.create_table(**definition.create_table)
    if definition.ttl_attribute:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": definition.ttl_attribute},
        )


def _dev(args: argparse.Namespace) -> int:
    from stormwatch.local.dynamodb import LocalDynamoDB
    from stormwatch.local.server import LocalApi, LocalHttpServer
    from stormwatch.local.template import Template

    template_path = Path(args.template).resolve()
    if not template_path.is_file():
        print(f"stormwatch dev: no template at {template_path}", file=sys.stderr)
        return 2
    template = Template(template_path)
    if args.sns_test_cert:
        # Trusted for SNS signatures in place of AWS's certificates; read by the handlers' settings.
        os.environ["STORMWATCH_SNS_TEST_CERTIFICATE"] = Path(args.sns_test_cert).read_text(encoding="utf-8")
    database = LocalDynamoDB(args.host)
    database.start()
    table_name = "stormwatch-local"
    _local_environment(database.endpoint_url, table_name)

    from stormwatch.local import devjwt
    from stormwatch.settings import get_settings
    from stormwatch.store.table import dynamodb_client
    from stormwatch.wiring import integration_admin

    create_table(dynamodb_client(get_settings()), template_path, table_name)
    _create_notifier_services(database.endpoint_url)
    routes = template.routes()
    sources = sorted(
        {
            route.path.rsplit("/", 1)[1]
            for route in routes
            if route.path.startswith("/v1/hooks/") and route.path != "/v1/hooks/heartbeat"
        }
    )
    if any(route.path == "/v2/enqueue" for route in routes):
        sources.append("pagerduty")
    keys = {source: integration_admin().create(DEMO_ORG, source, f"demo {source}").key for source in sources}
    dev_secret = secrets.token_urlsafe(32)
    token = devjwt.sign(DEMO_ORG, "admin", ["admin"], dev_secret, _now(), timedelta(days=7))

    api = LocalApi(routes, dev_secret, _now)
    api.warm()
    server = LocalHttpServer(args.host, args.port, api, verbose=args.verbose)
    server.start()
    stop = threading.Event()
    # Functions fed by the stream or a schedule, run by daemon threads that end with the process.
    background = [*_start_stream_pump(template, table_name, stop), *_start_schedules(template, stop)]
    credentials = {
        "api_url": server.url,
        "org": DEMO_ORG,
        "admin_token": token,
        "integration_keys": keys,
        "dev_secret": dev_secret,
        "dynamodb_endpoint": database.endpoint_url,
        "table_name": table_name,
    }
    if args.credentials_file:
        path = Path(args.credentials_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(credentials, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)
    _print_banner(credentials, args.credentials_file)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop()
    for function in background:
        function.stop()
    api.stop()
    database.stop()
    return 0


def _start_stream_pump(template: Any, table_name: str, stop: threading.Event) -> list["LocalFunction"]:
    """Deliver the table's stream to its consumers about every second, as Lambda's event source mapping."""
    from stormwatch.local.lambdas import LocalFunction
    from stormwatch.local.streams import StreamPump, streams_client
    from stormwatch.settings import get_settings
    from stormwatch.store.table import dynamodb_client

    settings = get_settings()
    pump = StreamPump(dynamodb_client(settings), streams_client(settings), table_name, stop.is_set)
    functions = []
    for consumer in template.stream_consumers():
        function = LocalFunction(consumer.function, consumer.code_dir, consumer.handler, max_containers=1)
        function.warm()
        functions.append(function)
        pump.subscribe(consumer, function.invoke)

    def run() -> None:
        while not stop.wait(STREAM_POLL_SECONDS):
            try:
                pump.poll()
            except Exception:
                # The next poll tries again, as Lambda's poller does (at shutdown, the containers are gone).
                if not stop.is_set():
                    logger.exception("reading the table's stream failed")

    threading.Thread(target=run, name="stream-pump", daemon=True).start()
    return functions


def _create_notifier_services(endpoint_url: str) -> None:
    """What the notifier uses besides the table, in the same embedded server: the event bus, and a verified
    email identity (moto's SES keeps what it is asked to send)."""
    import botocore.session

    session = botocore.session.get_session()
    region = os.environ["AWS_DEFAULT_REGION"]
    events: Any = session.create_client("events", region_name=region, endpoint_url=endpoint_url)
    events.create_event_bus(Name=LOCAL_EVENT_BUS)
    ses: Any = session.create_client("ses", region_name=region, endpoint_url=endpoint_url)
    ses.verify_email_identity(EmailAddress=LOCAL_EMAIL_SENDER)


def _start_schedules(template: Any, stop: threading.Event) -> list["LocalFunction"]:
    """Invoke each scheduled function at its rate, as EventBridge Scheduler does on AWS."""
    from stormwatch.local.lambdas import LocalFunction

    functions = []
    for scheduled in template.schedules():
        function = LocalFunction(scheduled.function, scheduled.code_dir, scheduled.handler, max_containers=1)
        function.warm()

        def run(function: LocalFunction = function, period: float = scheduled.period_seconds) -> None:
            while not stop.wait(period):
                try:
                    function.invoke(scheduled_event(function.name, _now()))
                except Exception:
                    if not stop.is_set():
                        logger.exception("scheduled %s failed", function.name)

        threading.Thread(target=run, name=f"schedule-{scheduled.function}", daemon=True).start()
        functions.append(function)
    return functions


def scheduled_event(function: str, now: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": secrets.token_hex(16),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{function}"],
        "detail": {},
    }


def _sweep(args: argparse.Namespace) -> int:
    """One sweep against the local stack's table, with `--now` standing in for the clock."""
    path = Path(args.credentials_file)
    if not path.is_file():
        print(
            f"stormwatch sweep: no credentials file at {path} (is `stormwatch dev` running?)", file=sys.stderr
        )
        return 2
    credentials = json.loads(path.read_text(encoding="utf-8"))
    _local_environment(credentials["dynamodb_endpoint"], credentials["table_name"])
    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else _now()
    if now.tzinfo is None:
        print("stormwatch sweep: --now needs a zone (Z or +hh:mm)", file=sys.stderr)
        return 2

    from stormwatch import wiring

    report = wiring.sweeper().run(now)
    print(json.dumps({"now": now.isoformat(), **asdict(report)}))
    return 0


def _print_banner(credentials: dict[str, Any], credentials_file: str | None) -> None:
    url = credentials["api_url"]
    lines = [
        f"Stormwatch is running at {url}  (org: {credentials['org']})",
        "",
        f"Admin token (7 days):\n  {credentials['admin_token']}",
        "",
        "Integration keys:",
        *(f"  {source:<14} {key}" for source, key in credentials["integration_keys"].items()),
    ]
    if credentials_file:
        lines += ["", f"Written as JSON to {credentials_file}"]
    generic = credentials["integration_keys"].get("generic")
    if generic:
        lines += [
            "",
            "Try it:",
            f"  curl -s -X POST {url}/v1/hooks/generic -H 'Authorization: Bearer {generic}' \\",
            '       -d \'{"route": "GET /orders", "kind": "error_rate", "severity": "critical"}\'',
            f"  curl -s {url}/v1/incidents -H 'Authorization: Bearer {credentials['admin_token']}'",
        ]
    lines += ["", "Ctrl-C stops it; nothing is kept."]
    print("\n".join(lines), flush=True)


def _token(args: argparse.Namespace) -> int:
    from stormwatch.local import devjwt

    secret = args.secret
    if secret is None:
        path = Path(args.credentials_file)
        if not path.is_file():
            print(f"stormwatch token: no --secret and no credentials file at {path}", file=sys.stderr)
            return 2
        secret = json.loads(path.read_text(encoding="utf-8"))["dev_secret"]
    roles = args.role or ["viewer"]
    print(devjwt.sign(args.org, args.user, roles, secret, _now(), timedelta(hours=args.ttl_hours)))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from stormwatch.api.openapi import PACKAGED, generate

    text = json.dumps(generate(Path("functions").resolve()), indent=2, sort_keys=True) + "\n"
    if args.write:
        PACKAGED.write_text(text, encoding="utf-8")
        print(f"wrote {PACKAGED}")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stormwatch", description="Stormwatch's local stack and tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run Stormwatch locally (embedded DynamoDB, HTTP API, demo org)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    dev.add_argument("--credentials-file", help="write the URL, tokens and keys here as JSON")
    dev.add_argument(
        "--template", default="template.yaml", help="the SAM template to read (default: ./template.yaml)"
    )
    dev.add_argument("--verbose", action="store_true", help="log every request")
    dev.add_argument(
        "--sns-test-cert",
        metavar="PEM",
        help="trust this certificate for SNS signatures (test messages signed with its key are accepted)",
    )
    dev.set_defaults(run=_dev)

    token = commands.add_parser("token", help="print a development JWT for the local stack")
    token.add_argument("--org", required=True)
    token.add_argument("--user", required=True)
    token.add_argument("--role", action="append", choices=["viewer", "responder", "lead", "admin"])
    token.add_argument("--secret", help="the dev secret (default: read from the credentials file)")
    token.add_argument("--credentials-file", default=".stormwatch/credentials.json")
    token.add_argument("--ttl-hours", type=int, default=12)
    token.set_defaults(run=_token)

    sweep = commands.add_parser("sweep", help="run one sweep (due timers) against the local stack's table")
    sweep.add_argument("--now", help="the time to sweep at, ISO 8601 with a zone (default: now)")
    sweep.add_argument("--credentials-file", default=".stormwatch/credentials.json")
    sweep.set_defaults(run=_sweep)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document of every route (or --write it)")
    openapi.add_argument("--write", action="store_true", help="update the document packaged with the layer")
    openapi.set_defaults(run=_openapi)

    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
