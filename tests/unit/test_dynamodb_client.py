"""How the stores' DynamoDB client is built: its request signer signs as botocore's SigV4 does (for the same
request, moment and keys, the same Authorization header, so AWS accepts what it signs), and its model
loader finds the same models as botocore's."""

import datetime
import json
from unittest import mock

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import DataNotFoundError
from botocore.handlers import BUILTIN_HANDLERS
from botocore.hooks import HierarchicalEmitter
from botocore.loaders import Loader

from stormwatch.settings import get_settings
from stormwatch.store import sigv4
from stormwatch.store.sigv4 import SIGNATURE_VERSION, DynamoDBSigV4Auth
from stormwatch.store.table import _FolderListingLoader, dynamodb_client, fires_for_dynamodb

BODY = json.dumps({"TableName": "stormwatch", "Key": {"pk": {"S": "org#acme"}, "sk": {"S": "é"}}})


def _request(url: str, body: str | bytes) -> AWSRequest:
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem"}
    return AWSRequest(method="POST", url=url, data=body, headers=headers)


def _authorization(signer: SigV4Auth, request: AWSRequest, at: datetime.datetime) -> str:
    with (
        mock.patch.object(botocore.auth, "get_current_datetime", return_value=at),
        mock.patch.object(sigv4, "_utc_now", return_value=at),
    ):
        signer.add_auth(request)
    return str(request.headers["Authorization"])


@pytest.mark.parametrize("token", [None, "session-token"])
@pytest.mark.parametrize(
    "url",
    [
        "https://dynamodb.eu-west-1.amazonaws.com/",
        "http://127.0.0.1:8000/",
        "https://dynamodb.eu-west-1.amazonaws.com:443/",
    ],
)
@pytest.mark.parametrize("body", [BODY, BODY.encode()])
def test_the_signature_is_botocores(token: str | None, url: str, body: str | bytes) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    at = datetime.datetime(2026, 12, 2, 23, 59, 59)
    ours = _authorization(DynamoDBSigV4Auth(credentials, "dynamodb", "eu-west-1"), _request(url, body), at)
    botocores = _authorization(SigV4Auth(credentials, "dynamodb", "eu-west-1"), _request(url, body), at)
    assert ours == botocores


def test_a_retry_is_signed_afresh_for_its_own_moment_and_a_new_day_gets_a_new_key() -> None:
    credentials = Credentials("AKIDEXAMPLE", "secret", "token")
    request = _request("https://dynamodb.eu-west-1.amazonaws.com/", BODY)
    signer = DynamoDBSigV4Auth(credentials, "dynamodb", "eu-west-1")
    first = _authorization(signer, request, datetime.datetime(2026, 12, 2, 23, 59, 59))
    again = _authorization(signer, request, datetime.datetime(2026, 12, 3, 0, 0, 1))
    fresh = _request("https://dynamodb.eu-west-1.amazonaws.com/", BODY)
    expected = _authorization(
        SigV4Auth(credentials, "dynamodb", "eu-west-1"), fresh, datetime.datetime(2026, 12, 3, 0, 0, 1)
    )
    assert again == expected != first
    assert request.headers.get_all("X-Amz-Security-Token") == ["token"]
    assert request.headers.get_all("X-Amz-Date") == ["20261203T000001Z"]


def test_the_stores_client_signs_with_it() -> None:
    client = dynamodb_client(get_settings())
    chosen = client.meta.events.emit_until_response(
        "choose-signer.dynamodb.GetItem",
        signing_name="dynamodb",
        region_name="eu-west-1",
        signature_version="v4",
        context={},
    )[1]
    assert chosen == SIGNATURE_VERSION
    assert botocore.auth.AUTH_TYPE_MAPS[chosen] is DynamoDBSigV4Auth


def test_the_loader_loads_what_botocores_loads_and_refuses_what_it_lacks() -> None:
    ours, botocores = _FolderListingLoader(), Loader()
    # The same data in the same order (a dict keeps it as botocore's OrderedDicts do): a gzipped model, a
    # plain JSON one, and the files read by name, as building a client reads them.
    for type_name in ("service-2", "endpoint-rule-set-1", "paginators-1"):
        loaded = ours.load_service_model("dynamodb", type_name)
        assert json.dumps(loaded) == json.dumps(botocores.load_service_model("dynamodb", type_name))
    for name in ("endpoints", "partitions", "_retry", "sdk-default-configuration"):
        assert json.dumps(ours.load_data(name)) == json.dumps(botocores.load_data(name))
    assert "dynamodb" in ours.list_available_services("service-2")
    with pytest.raises(DataNotFoundError):
        ours.load_service_model("dynamodb", "no-such-model-9")


def test_the_clients_session_keeps_every_builtin_handler_that_can_run_for_dynamodb() -> None:
    """botocore's own emitter decides: each built-in handler is registered as a recorder, and every event
    a DynamoDB client can emit (each event type of the built-in handlers and of a request, bare, for the
    service, for each operation) is emitted; whatever ran must be among the handlers the session keeps."""
    emitter = HierarchicalEmitter()
    for number, (event_name, *_) in enumerate(BUILTIN_HANDLERS):
        emitter.register(event_name, lambda number=number, **_: ran.add(number), unique_id=str(number))
    request_events = {"provide-client-params", "before-sign", "before-send", "needs-retry", "after-call"}
    event_types = {name.split(".")[0] for name, *_ in BUILTIN_HANDLERS} | request_events
    operations = Loader().load_service_model("dynamodb", "service-2")["operations"]
    ran: set[int] = set()
    for event_type in event_types:
        for event_name in (
            event_type,
            f"{event_type}.dynamodb",
            *(f"{event_type}.dynamodb.{o}" for o in operations),
        ):
            emitter.emit(event_name)
    assert ran, "no built-in handler ran for DynamoDB's events"
    kept = {
        number for number, (event_name, *_) in enumerate(BUILTIN_HANDLERS) if fires_for_dynamodb(event_name)
    }
    assert ran <= kept
    # And the session keeps few of the others: S3's, EC2's and documentation's are dropped.
    assert not fires_for_dynamodb("before-parameter-build.s3.PutObject")
    assert not fires_for_dynamodb("docs.*.s3.*.complete-section")
    assert len(kept) < len(BUILTIN_HANDLERS) / 3
