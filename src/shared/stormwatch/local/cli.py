"""`stormwatch`: the local stack and its tools.

stormwatch dev [--port 3000] [--credentials-file PATH]    run Stormwatch locally with a demo org
stormwatch token --org ORG --user USER --role ROLE         print a development JWT
"""

import argparse
import base64
import gc
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from stormwatch.local.datadir import DataDirectory, TableJournal
    from stormwatch.local.lambdas import LocalFunction
    from stormwatch.local.template import Route, Template

DEMO_ORG = "demo"
LOCAL_EMAIL_SENDER = "stormwatch@example.com"
LOCAL_EVENT_BUS = "stormwatch-local"
STREAM_POLL_SECONDS = 1.0
TABLE_NAME = "stormwatch-local"
SNS_TEST_CERTIFICATE = "sns-test.pem"
SIGNAL_CHECK_SECONDS = 0.2
logger = logging.getLogger("stormwatch.local")


def _now() -> datetime:
    return datetime.now(UTC)


def _local_environment(endpoint_url: str, table_name: str, cursor_secret: str | None = None) -> None:
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
            "STORMWATCH_CURSOR_SECRET": cursor_secret or secrets.token_urlsafe(32),
            "STORMWATCH_SERVICES_ENDPOINT_URL": endpoint_url,
            "STORMWATCH_EMAIL_SENDER": LOCAL_EMAIL_SENDER,
            "STORMWATCH_EVENT_BUS_NAME": LOCAL_EVENT_BUS,
            # The console offers the local sign-in page (served by the local stack only).
            "STORMWATCH_CONSOLE_DEV_SIGN_IN": "true",
            "POWERTOOLS_SERVICE_NAME": "stormwatch",
            "POWERTOOLS_METRICS_NAMESPACE": "Stormwatch",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
        }
    )


def create_table(
    client: Any, template: "Template | Path", table_name: str, items: Iterable[dict[str, Any]] = ()
) -> int:
    """The table from the template, holding `items` (how many) before its stream is enabled: as when a
    stream is enabled on AWS, what is already there is not delivered as a change."""
    from stormwatch.local.datadir import write_items
    from stormwatch.local.template import Template

    definition = (template if isinstance(template, Template) else Template(template)).table(table_name)
    request = dict(definition.create_table)
    stream = request.pop("StreamSpecification", None)
    client.create_table(**request)
    if definition.ttl_attribute:
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": definition.ttl_attribute},
        )
    written = write_items(client, table_name, items)
    if stream:
        client.update_table(TableName=table_name, StreamSpecification=stream)
    return written


def _dev(args: argparse.Namespace) -> int:
    from stormwatch.local.dynamodb import LocalDynamoDB
    from stormwatch.local.server import LocalApi, LocalHttpServer
    from stormwatch.local.template import Template

    template_path = Path(args.template).resolve()
    if not template_path.is_file():
        print(f"stormwatch dev: no template at {template_path}", file=sys.stderr)
        return 2
    if args.fresh and not args.data:
        print(
            "stormwatch dev: --fresh empties a --data directory; without --data nothing is kept",
            file=sys.stderr,
        )
        return 2
    template = Template(template_path)
    sns_certificate = None
    if args.sns_test_cert == "auto":
        from stormwatch.local.snstest import SnsTestSigner

        sns_certificate = _state_directory(args.credentials_file) / SNS_TEST_CERTIFICATE
        SnsTestSigner.at(sns_certificate)
    elif args.sns_test_cert:
        sns_certificate = Path(args.sns_test_cert)
    if sns_certificate:
        # Trusted for SNS signatures in place of AWS's certificates; read by the handlers' settings.
        os.environ["STORMWATCH_SNS_TEST_CERTIFICATE"] = sns_certificate.read_text(encoding="utf-8")
    from stormwatch.local.datadir import DataDirectoryInUse

    try:
        data = _open_data(args, template.table(TABLE_NAME).create_table["KeySchema"])
    except DataDirectoryInUse as error:
        print(f"stormwatch dev: {error}", file=sys.stderr)
        return 2
    kept = data.read_stack() if data else None
    dev_secret = kept["dev_secret"] if kept else secrets.token_urlsafe(32)
    cursor_secret = kept["cursor_secret"] if kept else secrets.token_urlsafe(32)
    database = LocalDynamoDB(args.host)
    database.start()
    _local_environment(database.endpoint_url, TABLE_NAME, cursor_secret)

    from stormwatch.local import devjwt
    from stormwatch.settings import get_settings
    from stormwatch.store.table import dynamodb_client

    restoring = time.monotonic()
    restored = data.items() if data else []
    count = create_table(dynamodb_client(get_settings()), template, TABLE_NAME, restored)
    restore_seconds = time.monotonic() - restoring
    journal = _start_journal(data, restored) if data else None
    _create_notifier_services(database.endpoint_url)
    routes = template.routes()
    keys = _demo_integration_keys(routes, kept["integration_keys"] if kept else {})
    if data:
        data.write_stack({"dev_secret": dev_secret, "cursor_secret": cursor_secret, "integration_keys": keys})
    token = devjwt.sign(DEMO_ORG, "admin", ["admin"], dev_secret, _now(), timedelta(days=7))

    api = LocalApi(routes, dev_secret, _now)
    api.warm()
    server = LocalHttpServer(args.host, args.port, api, verbose=args.verbose)
    server.start()
    stop = threading.Event()
    # Functions fed by the stream or a schedule, run by daemon threads that end with the process.
    background = [*_start_stream_pump(template, TABLE_NAME, stop), *_start_schedules(template, stop)]
    credentials = {
        "api_url": server.url,
        "org": DEMO_ORG,
        "admin_token": token,
        "integration_keys": keys,
        "dev_secret": dev_secret,
        "dynamodb_endpoint": database.endpoint_url,
        "table_name": TABLE_NAME,
    }
    if args.credentials_file:
        path = Path(args.credentials_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(credentials, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)
    kept_note = None
    if data:
        kept_note = f"Data kept in {data.path}: {count} items restored in {restore_seconds:.1f} s."
    if sns_certificate:
        kept_note = f"{kept_note or ''}\nSNS test certificate trusted: {sns_certificate}".strip()
    _print_banner(credentials, args.credentials_file, kept_note)
    # What the stack has built so far (moto's and botocore's models, the restored table) lives as long as
    # it does: the collector's full collections need not walk it again while every request waits.
    gc.freeze()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # Waking often: a signal taken by another thread runs its Python handler only when this one wakes.
    while not stop.wait(SIGNAL_CHECK_SECONDS):
        pass
    # Prompt whatever is running: the containers end at once (a sweep, a delivery or a request in flight
    # is idempotent or retried, as when Lambda discards an environment).
    server.stop()
    for function in [*background, *api.functions.values()]:
        function.stop()
    if journal:
        journal.stop()
    _exit_now()


def _open_data(args: argparse.Namespace, key_schema: list[dict[str, str]]) -> "DataDirectory | None":
    """The --data directory, emptied first with --fresh."""
    from stormwatch.local.datadir import DataDirectory

    if not args.data:
        return None
    data = DataDirectory(Path(args.data), [key["AttributeName"] for key in key_schema])
    if args.fresh:
        data.discard()
    return data


def _start_journal(data: "DataDirectory", restored: list[dict[str, Any]]) -> "TableJournal":
    from stormwatch.local.datadir import TableJournal
    from stormwatch.local.streams import streams_client
    from stormwatch.settings import get_settings
    from stormwatch.store.table import dynamodb_client

    settings = get_settings()
    journal = TableJournal(data, dynamodb_client(settings), streams_client(settings), TABLE_NAME)
    journal.start(restored)
    return journal


def _demo_integration_keys(routes: list["Route"], kept: dict[str, str]) -> dict[str, str]:
    """A key per webhook source of the demo org: the kept one while it still opens its source's hook (it
    may have been deleted or rotated away since), else a new integration's."""
    from stormwatch.ids import secret_hash
    from stormwatch.wiring import integration_admin, integration_store

    sources = sorted(
        {
            route.path.rsplit("/", 1)[1]
            for route in routes
            if route.path.startswith("/v1/hooks/") and route.path != "/v1/hooks/heartbeat"
        }
    )
    if any(route.path == "/v2/enqueue" for route in routes):
        sources.append("pagerduty")
    keys = {}
    for source in sources:
        key = kept.get(source)
        found = integration_store().find_by_secret_hash(secret_hash(key), _now()) if key else None
        if key and found and (found[0].org, found[0].source) == (DEMO_ORG, source):
            keys[source] = key
        else:
            keys[source] = integration_admin().create(DEMO_ORG, source, f"demo {source}").key
    return keys


def _exit_now() -> NoReturn:
    """Exit without tearing down the interpreter: the containers are ended and nothing is left to save, and
    unloading moto and the rest takes seconds on a busy machine (the embedded DynamoDB ends with us)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


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

        def deliver(event: dict[str, Any], function: LocalFunction = function) -> dict[str, Any]:
            try:
                return function.invoke(event)
            except RuntimeError:
                if stop.is_set():
                    # Stopping: the batch is abandoned (the stream's position is not kept), not failed.
                    return {}
                raise

        pump.subscribe(consumer, deliver)

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


def _state_directory(credentials_file: str | None) -> Path:
    """Where the local stack keeps its generated files: beside the credentials file, else .stormwatch/."""
    return Path(credentials_file).parent if credentials_file else Path(".stormwatch")


def _send_sns(args: argparse.Namespace) -> int:
    """Wrap a CloudWatch alarm in an SNS Notification (or re-sign a Notification), sign it with the local
    stack's test key and post it to the stack's CloudWatch hook with the demo integration key, as SNS
    delivers: the key as the Basic password of the subscription URL, the body as text/plain."""
    import urllib.error
    import urllib.request

    from stormwatch.local.snstest import SnsTestSigner, notification

    path = Path(args.credentials_file)
    if not path.is_file():
        print(
            f"stormwatch send-sns: no credentials file at {path} (is `stormwatch dev` running?)",
            file=sys.stderr,
        )
        return 2
    credentials = json.loads(path.read_text(encoding="utf-8"))
    default_key = (_state_directory(args.credentials_file) / SNS_TEST_CERTIFICATE).with_suffix(".key")
    key_file = Path(args.key) if args.key else default_key
    if not key_file.is_file():
        print(
            f"stormwatch send-sns: no test key at {key_file}: start `stormwatch dev --sns-test-cert auto`",
            file=sys.stderr,
        )
        return 2
    document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    if document.get("Type") == "Notification":
        unsigned = ("Signature", "SignatureVersion", "SigningCertURL")
        message = {name: value for name, value in document.items() if name not in unsigned}
    else:
        message = notification(document, _now())
    body = SnsTestSigner.load(key_file).body(message, args.signature_version).encode()
    password = credentials["integration_keys"]["cloudwatch"]
    hook = f"{credentials['api_url']}/v1/hooks/cloudwatch"
    request = urllib.request.Request(hook, data=body, method="POST")  # noqa: S310 (the local stack's URL)
    request.add_header("Content-Type", "text/plain; charset=UTF-8")
    request.add_header("x-amz-sns-message-type", "Notification")
    request.add_header("x-amz-sns-topic-arn", message["TopicArn"])
    request.add_header("Authorization", "Basic " + base64.b64encode(f"sns:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (the local stack's URL)
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read()
    print(status, answer.decode("utf-8", "replace"))
    return 0 if status < 300 else 1


def _print_banner(credentials: dict[str, Any], credentials_file: str | None, kept: str | None) -> None:
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
    lines += ["", kept or "Nothing is kept after Ctrl-C (--data DIR keeps the table)."]
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
    from stormwatch.local import devjwt

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
        "--data", metavar="DIR", help="keep the table (and the demo org's keys) in DIR across restarts"
    )
    dev.add_argument("--fresh", action="store_true", help="with --data: discard what DIR keeps, start empty")
    dev.add_argument(
        "--sns-test-cert",
        metavar="PEM",
        help="trust this certificate for SNS signatures (test messages signed with its key are accepted);"
        " `auto` makes one (sns-test.pem and .key beside the credentials file) for `stormwatch send-sns`",
    )
    dev.set_defaults(run=_dev)

    token = commands.add_parser("token", help="print a development JWT for the local stack")
    token.add_argument("--org", required=True)
    token.add_argument("--user", required=True)
    token.add_argument("--role", action="append", choices=devjwt.ROLES)
    token.add_argument("--secret", help="the dev secret (default: read from the credentials file)")
    token.add_argument("--credentials-file", default=".stormwatch/credentials.json")
    token.add_argument("--ttl-hours", type=int, default=12)
    token.set_defaults(run=_token)

    sweep = commands.add_parser("sweep", help="run one sweep (due timers) against the local stack's table")
    sweep.add_argument("--now", help="the time to sweep at, ISO 8601 with a zone (default: now)")
    sweep.add_argument("--credentials-file", default=".stormwatch/credentials.json")
    sweep.set_defaults(run=_sweep)

    send_sns = commands.add_parser(
        "send-sns",
        help="sign a CloudWatch alarm as SNS does and post it to the local stack's CloudWatch hook",
    )
    send_sns.add_argument("file", help="a CloudWatch alarm (JSON), or an SNS Notification carrying one")
    send_sns.add_argument("--credentials-file", default=".stormwatch/credentials.json")
    send_sns.add_argument("--key", help="the test key (default: sns-test.key beside the credentials file)")
    send_sns.add_argument("--signature-version", choices=["1", "2"], default="2")
    send_sns.set_defaults(run=_send_sns)

    openapi = commands.add_parser("openapi", help="print the OpenAPI document of every route (or --write it)")
    openapi.add_argument("--write", action="store_true", help="update the document packaged with the layer")
    openapi.set_defaults(run=_openapi)

    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
