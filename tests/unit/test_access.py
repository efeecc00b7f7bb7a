import base64
from datetime import timedelta

import pytest

from stormwatch.api.http import caller_from_claims
from stormwatch.domain.errors import Forbidden, Unauthenticated
from stormwatch.domain.models import Caller, Integration, Role
from stormwatch.domain.permissions import require
from stormwatch.ids import secret_hash
from stormwatch.local import devjwt
from stormwatch.services.webhook_auth import WebhookAuthenticator, key_from_authorization
from stormwatch.settings import Settings
from tests.support.clock import FakeClock


def test_integration_key_from_bearer_or_basic_password():
    assert key_from_authorization("Bearer sw_key") == "sw_key"
    basic = base64.b64encode(b"sns:sw_key").decode()
    assert key_from_authorization(f"Basic {basic}") == "sw_key"


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer ", "Token sw_key", "Basic !!!", "Basic " + base64.b64encode(b"user:").decode()],
)
def test_missing_or_malformed_integration_key_is_unauthenticated(header):
    with pytest.raises(Unauthenticated):
        key_from_authorization(header)


class CountingStore:
    def __init__(self, integration: Integration, key: str) -> None:
        self.by_hash = {secret_hash(key): integration}
        self.lookups = 0

    def find_by_secret_hash(self, hashed, now):
        self.lookups += 1
        found = self.by_hash.get(hashed)
        return (found, hashed) if found else None


def make_integration(clock: FakeClock) -> Integration:
    return Integration(id="int_1", org="acme", source="generic", name="g", created_at=clock.now())


def test_a_key_is_valid_only_for_its_own_source():
    clock = FakeClock()
    authenticator = WebhookAuthenticator(CountingStore(make_integration(clock), "sw_good"), clock)
    assert authenticator.authenticate("Bearer sw_good", "generic").org == "acme"
    with pytest.raises(Unauthenticated):
        authenticator.authenticate("Bearer sw_good", "alertmanager")
    with pytest.raises(Unauthenticated):
        authenticator.authenticate("Bearer sw_bad", "generic")


def test_every_request_looks_its_key_up_so_a_change_applies_at_once():
    clock = FakeClock()
    store = CountingStore(make_integration(clock), "sw_good")
    authenticator = WebhookAuthenticator(store, clock)
    for _ in range(3):
        authenticator.authenticate("Bearer sw_good", "generic")
    assert store.lookups == 3
    with pytest.raises(Unauthenticated):
        authenticator.authenticate("Bearer sw_unknown", "generic")
    assert store.lookups == 4


def test_roles_are_ordered_viewer_responder_lead_admin():
    lead = Caller(org="acme", user="lee", roles=frozenset({Role.LEAD}))
    require(lead, Role.RESPONDER)
    with pytest.raises(Forbidden) as raised:
        require(lead, Role.ADMIN)
    assert "admin" in raised.value.message


@pytest.mark.parametrize("roles", ["[responder viewer]", ["responder", "viewer"], "responder,viewer"])
def test_claims_are_read_as_http_api_strings_or_json_values(roles):
    caller = caller_from_claims({"org": "acme", "sub": "alice", "roles": roles}, Settings())
    assert caller.org == "acme" and caller.user == "alice"
    assert caller.roles == {Role.RESPONDER, Role.VIEWER}


@pytest.mark.parametrize("claims", [{"sub": "alice"}, {"org": "a#b", "sub": "alice"}, {"org": "acme"}])
def test_claims_without_a_valid_org_or_user_are_unauthenticated(claims):
    with pytest.raises(Unauthenticated):
        caller_from_claims(claims, Settings())


def test_dev_tokens_verify_and_render_like_the_http_api_authorizer():
    clock = FakeClock()
    token = devjwt.sign("acme", "alice", ["lead"], "secret", clock.now(), timedelta(hours=1))
    claims = devjwt.verify(token, "secret", clock.now())
    assert devjwt.as_http_api_claims(claims)["roles"] == "[lead]"
    with pytest.raises(Unauthenticated):
        devjwt.verify(token, "other-secret", clock.now())
    with pytest.raises(Unauthenticated):
        devjwt.verify(token, "secret", clock.now() + timedelta(hours=2))
    header, body, signature = token.split(".")
    with pytest.raises(Unauthenticated):
        devjwt.verify(f"{header}.{body}x.{signature}", "secret", clock.now())
