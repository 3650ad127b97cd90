"""Forged and broken tokens are refused, by verify's validator and by the sandbox gateway alike."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from sandbox.sandbox import GatewaySpec, Issuer, Sandbox, SandboxSpec, free_port
from verify.checks import JSONRPC_TOOLS_LIST, MCP_HEADERS
from verify.tokens import MAX_LIFETIME_SECONDS, Rules, TokenError, validate

AUD = "https://gw.example.com/mcp"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(signature)])


class World:
    """An issuer key pair, its JWKS and a way to mint tokens (good or bad) for one audience."""

    def __init__(self, issuer: str, audience: str) -> None:
        self.issuer, self.audience = issuer, audience
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.jwks = KeySet([self.key]).as_dict(private=False)

    def claims(self, **over: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {
            "iss": self.issuer,
            "aud": self.audience,
            "exp": now + 600,
            "iat": now,
            "azp": "cid",
            "gty": "client-credentials",
            "permissions": ["read:tools"],
        }
        return {k: v for k, v in {**base, **over}.items() if v is not None}

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None, kid: str = "k1") -> str:
        return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": kid}, claims, key or self.key)

    def forgeries(self) -> dict[str, str]:
        pub_pem = self.key.as_pem(private=False)
        hs_header = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
        signing_input = ".".join([b64(json.dumps(hs_header).encode()), b64(json.dumps(self.claims()).encode())])
        hs_sig = hmac.new(pub_pem, signing_input.encode(), hashlib.sha256).digest()
        other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        now = int(time.time())
        return {
            "alg-none": compact({"alg": "none", "typ": "JWT"}, self.claims()),
            "hs256-with-rsa-public-key": signing_input + "." + b64(hs_sig),
            "expired": self.sign(self.claims(exp=now - 3600)),
            "nbf-in-future": self.sign(self.claims(nbf=now + 3600)),
            "wrong-issuer": self.sign(self.claims(iss="https://evil.example.com/")),
            "unknown-kid": self.sign(self.claims(), kid="nope"),
            "other-key-known-kid": self.sign(self.claims(), key=other),
            "missing-exp": self.sign(self.claims(exp=None)),
            # NaN fails every comparison and infinity never expires: both passed before.
            "exp-nan": self.sign(self.claims(exp=float("nan"))),
            "exp-infinity": self.sign(self.claims(exp=float("inf"))),
            "exp-true": self.sign(self.claims(exp=True)),
            "exp-string": self.sign(self.claims(exp=str(now + 600))),
            "exp-in-a-century": self.sign(self.claims(exp=now + 100 * 365 * 86400)),
            "nbf-nan": self.sign(self.claims(nbf=float("nan"))),
            "iat-in-future": self.sign(self.claims(iat=now + 3600)),
            "iat-negative": self.sign(self.claims(iat=-5)),
        }


EXPECTED = {
    "alg-none": "bad-alg",
    "hs256-with-rsa-public-key": "bad-alg",
    "expired": "expired",
    "nbf-in-future": "not-yet-valid",
    "wrong-issuer": "issuer-mismatch",
    "unknown-kid": "unknown-kid",
    "other-key-known-kid": "bad-signature",
    "missing-exp": "no-exp",
    "exp-nan": "absurd-time",
    "exp-infinity": "absurd-time",
    "exp-true": "absurd-time",
    "exp-string": "absurd-time",
    "exp-in-a-century": "absurd-time",
    "nbf-nan": "absurd-time",
    "iat-in-future": "not-yet-valid",
    "iat-negative": "absurd-time",
}


@pytest.fixture(scope="module")
def world() -> World:
    return World("https://acme.us.auth0.com/", AUD)


def test_a_good_token_passes(world: World) -> None:
    claims = validate(world.sign(world.claims()), world.jwks, Rules(world.issuer, [AUD]))
    assert claims["aud"] == AUD


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_verify_refuses_each_forgery(world: World, kind: str) -> None:
    with pytest.raises(TokenError) as info:
        validate(world.forgeries()[kind], world.jwks, Rules(world.issuer, [AUD]))
    assert info.value.code == EXPECTED[kind]
    assert info.value.fix


def test_leeway_accepts_small_clock_skew(world: World) -> None:
    t = world.sign(world.claims(exp=int(time.time()) - 30))
    validate(t, world.jwks, Rules(world.issuer, [AUD]))
    with pytest.raises(TokenError, match="expired"):
        validate(t, world.jwks, Rules(world.issuer, [AUD], leeway=0))


@pytest.fixture(scope="module")
def gateway(world: World) -> Iterator[Callable[[str | None], httpx2.Response]]:
    """The sandbox gateway in front of an issuer serving `world`'s key."""
    port = free_port()
    spec = SandboxSpec(issuer_port=free_port(), apis={}, clients={}, gateways={}, outputs={})
    local_issuer = spec.issuer
    spec.gateways["g"] = GatewaySpec(
        name="g",
        port=port,
        resource_url=f"http://127.0.0.1:{port}/mcp",
        discovery_url=local_issuer + ".well-known/openid-configuration",
        allowed_audiences=[AUD],
    )
    sandbox = Sandbox(spec)
    sandbox.issuer = Issuer(spec)
    sandbox.issuer.key = world.key  # the gateway trusts exactly world's key
    world_local = World(local_issuer, AUD)
    world_local.key, world_local.jwks = world.key, world.jwks
    sandbox.start()

    def call(token: str | None) -> httpx2.Response:
        headers = dict(MCP_HEADERS)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return httpx2.post(f"http://127.0.0.1:{port}/mcp", json=JSONRPC_TOOLS_LIST, headers=headers)

    call.world = world_local  # type: ignore[attr-defined]
    yield call
    sandbox.stop()


def test_the_gateway_admits_a_good_token(gateway: Any) -> None:
    w = gateway.world
    resp = gateway(w.sign(w.claims()))
    assert resp.status_code == 200 and "tools" in resp.json()["result"]


# A token good for a century: `make verify` refuses it (Auth0 never issues one), while AgentCore
# documents no ceiling on exp, so the stand-in admits it (sandbox/gatekeeper.py).
AT_THE_GATEWAY = sorted(set(EXPECTED) - {"exp-in-a-century"})


def test_the_gateway_admits_a_token_good_for_a_century_which_verify_refuses(gateway: Any) -> None:
    resp = gateway(gateway.world.forgeries()["exp-in-a-century"])
    assert resp.status_code == 200


@pytest.mark.parametrize("kind", AT_THE_GATEWAY)
def test_the_gateway_refuses_each_forgery(gateway: Any, kind: str) -> None:
    resp = gateway(gateway.world.forgeries()[kind])
    assert resp.status_code == 401
    # As AgentCore: RFC 6750's error code, nothing of the stand-in's own reasons to key on.
    assert resp.headers["www-authenticate"].endswith('error="invalid_token"')
    assert EXPECTED[kind] not in resp.headers["www-authenticate"]
    assert "result" not in resp.json()


def test_the_gateway_refuses_no_token_with_its_metadata(gateway: Any) -> None:
    resp = gateway(None)
    assert resp.status_code == 401
    assert 'resource_metadata="http://127.0.0.1:' in resp.headers["www-authenticate"]


def test_the_gateway_stand_in_requires_the_allowed_scope_and_every_claim_rule() -> None:
    """The semantics mcpauth chose for AgentCore (rules/claims.py, permission_rules): the
    allowed scope must be in `scope`, and every claim rule must hold."""
    from rules.claims import permission_rules

    w = World("https://acme.us.auth0.com/", AUD)
    scopes, claims = permission_rules(["read:tools", "tools.execute"])
    rules = Rules(issuer=w.issuer, audiences=[AUD], allowed_scopes=scopes, custom_claims=claims)
    ok = w.sign(w.claims(scope="read:tools", permissions=["read:tools", "tools.execute"]))
    assert validate(ok, w.jwks, rules)["scope"] == "read:tools"
    for bad, code in (
        (w.claims(scope="execute:tools", permissions=["read:tools", "tools.execute"]), "scope-not-allowed"),
        (w.claims(scope="read:tools", permissions=["read:tools"]), "missing-permission"),
    ):
        with pytest.raises(TokenError) as info:
            validate(w.sign(bad), w.jwks, rules)
        assert info.value.code == code
    # AWS: a token needs any one of several allowed scopes (inbound JWT authorizer, "Allowed scopes").
    either = Rules(issuer=w.issuer, audiences=[AUD], allowed_scopes=["admin", "read:tools"])
    assert validate(ok, w.jwks, either)["scope"] == "read:tools"
    neither = Rules(issuer=w.issuer, audiences=[AUD], allowed_scopes=["admin", "write:tools"])
    with pytest.raises(TokenError, match="none of"):
        validate(ok, w.jwks, neither)


def test_time_claims_at_their_exact_edges(world: World) -> None:
    """The 60 s leeway and the 30-day ceiling, one second either side; epoch 0 is a valid date."""
    now = 1_800_000_000
    rules = Rules(world.issuer, [AUD])

    def ok(**claims: Any) -> bool:
        try:
            validate(world.sign(world.claims(**claims)), world.jwks, rules, now=now)
        except TokenError:
            return False
        return True

    assert ok(exp=now - 60, iat=now - 600) and not ok(exp=now - 61, iat=now - 600)
    assert ok(exp=now + 600, iat=now, nbf=now + 60) and not ok(exp=now + 600, iat=now, nbf=now + 61)
    assert ok(exp=now + 600, iat=now + 60) and not ok(exp=now + 600, iat=now + 61)
    ceiling = MAX_LIFETIME_SECONDS
    assert ok(exp=now + ceiling, iat=now) and not ok(exp=now + ceiling + 1, iat=now)
    assert ok(exp=now + 600, iat=0) and not ok(exp=now + 600, iat=-1)
    with pytest.raises(TokenError) as info:
        validate(world.sign(world.claims(exp=now - 3600, iat=now - 7200)), world.jwks, rules, now=now)
    assert info.value.cause == "token expired 3600 s ago"
    with pytest.raises(TokenError) as info:
        validate(world.sign(world.claims(exp=now + 600, iat=now, nbf=now + 300)), world.jwks, rules, now=now)
    assert info.value.cause == "token not valid for another 300 s"
    with pytest.raises(TokenError) as info:
        validate(world.sign(world.claims(exp=now + 600, iat=now + 300)), world.jwks, rules, now=now)
    assert info.value.cause == "token issued 300 s in the future"
    with pytest.raises(TokenError) as info:
        validate(world.sign(world.claims(exp=float("nan"))), world.jwks, rules, now=now)
    assert info.value.cause == "exp is nan, not a finite NumericDate"


# --- the gateway stand-in's own admission (sandbox/gatekeeper.py, on PyJWT) -------------------------


def _authorizer(**over: Any) -> Any:
    from types import SimpleNamespace

    base: dict[str, Any] = {
        "allowed_audiences": [AUD],
        "allowed_clients": [],
        "allowed_scopes": [],
        "custom_claims": [],
    }
    return SimpleNamespace(**{**base, **over})


def _rule(name: str, operator: str, value: Any) -> dict[str, Any]:
    key = "matchValueStringList" if operator == "CONTAINS_ANY" else "matchValueString"
    return {
        "inboundTokenClaimName": name,
        "inboundTokenClaimValueType": "STRING_ARRAY" if operator != "EQUALS" else "STRING",
        "authorizingClaimMatchValue": {"claimMatchOperator": operator, "claimMatchValue": {key: value}},
    }


@pytest.mark.parametrize(
    ("rule", "claims", "admitted"),
    [
        (_rule("permissions", "CONTAINS_ANY", ["read:tools"]), {"permissions": ["x", "read:tools"]}, True),
        (_rule("permissions", "CONTAINS_ANY", ["a", "b"]), {"permissions": ["b"]}, True),
        (_rule("permissions", "CONTAINS_ANY", ["a", "b"]), {"permissions": ["c"]}, False),
        (_rule("permissions", "CONTAINS_ANY", ["a"]), {"permissions": "a"}, False),  # not an array
        (_rule("permissions", "CONTAINS", "read:tools"), {"permissions": ["read:tools"]}, True),
        (_rule("permissions", "CONTAINS", "read:tools"), {"permissions": ["read:tool"]}, False),
        (_rule("permissions", "CONTAINS", "read:tools"), {"permissions": "read:tools"}, False),
        (_rule("dept", "EQUALS", "eng"), {"dept": "eng"}, True),
        (_rule("dept", "EQUALS", "eng"), {"dept": "Eng"}, False),
        (_rule("dept", "EQUALS", "eng"), {}, False),
        (_rule("dept", "STARTS_WITH", "eng"), {"dept": "eng"}, False),  # an operator it does not know
    ],
)
def test_the_gatekeeper_applies_each_claim_rule_operator(
    world: World, rule: dict[str, Any], claims: dict[str, Any], admitted: bool
) -> None:
    from sandbox.gatekeeper import Refused, admit

    token = world.sign(world.claims(**{"permissions": None, **claims}))
    authorizer = _authorizer(custom_claims=[rule])
    if admitted:
        assert admit(token, world.jwks, world.issuer, authorizer)["iss"] == world.issuer
    else:
        with pytest.raises(Refused) as refused:
            admit(token, world.jwks, world.issuer, authorizer)
        assert refused.value.reason == "missing-permission"


def test_the_gatekeeper_needs_every_claim_rule_not_one_of_them(world: World) -> None:
    """Two required permissions are two claim rules; AWS admits only a token meeting every one
    ("Configure inbound JWT authorizer": each custom claim rule must hold)."""
    from rules.claims import permission_rules
    from sandbox.gatekeeper import Refused, admit

    _, rules = permission_rules(["tools.read", "tools.execute"])
    authorizer = _authorizer(custom_claims=rules)
    both = world.sign(world.claims(permissions=["tools.execute", "tools.read"]))
    assert admit(both, world.jwks, world.issuer, authorizer)["permissions"] == ["tools.execute", "tools.read"]
    for held in (["tools.read"], ["tools.execute"]):
        with pytest.raises(Refused) as refused:
            admit(world.sign(world.claims(permissions=held)), world.jwks, world.issuer, authorizer)
        assert refused.value.reason == "missing-permission", held


@pytest.mark.parametrize(
    ("over", "authorizer", "reason"),
    [
        ({"aud": ["https://other/mcp", AUD]}, {}, None),
        ({"aud": "https://other/mcp"}, {}, "audience-mismatch"),
        ({"client_id": "c1"}, {"allowed_clients": ["c1"]}, None),
        ({}, {"allowed_clients": ["cid"]}, "client-not-allowed"),  # azp is not client_id
        ({"scope": "openid read:tools"}, {"allowed_scopes": ["read:tools"]}, None),
        ({"scope": "openid"}, {"allowed_scopes": ["read:tools"]}, "scope-not-allowed"),
        # Any one of several allowed scopes admits (AWS, inbound JWT authorizer, "Allowed scopes").
        ({"scope": "read:tools"}, {"allowed_scopes": ["read:tools", "execute:tools"]}, None),
        ({"scope": "openid admin"}, {"allowed_scopes": ["read:tools", "execute:tools"]}, "scope-not-allowed"),
        ({"nbf": 10**10}, {}, "not-yet-valid"),
        ({"iat": -1}, {}, "absurd-time"),
        ({"exp": True}, {}, "expired"),  # PyJWT reads True as 1 (1970); refused either way
    ],
)
def test_the_gatekeeper_checks_audience_clients_scopes_and_times(
    world: World, over: dict[str, Any], authorizer: dict[str, Any], reason: str | None
) -> None:
    from sandbox.gatekeeper import Refused, admit

    token = world.sign(world.claims(**over))
    if reason is None:
        admit(token, world.jwks, world.issuer, _authorizer(**authorizer))
        return
    with pytest.raises(Refused) as refused:
        admit(token, world.jwks, world.issuer, _authorizer(**authorizer))
    assert refused.value.reason == reason


GATEWAY_REASONS = {
    **{k: v for k, v in EXPECTED.items() if k in AT_THE_GATEWAY},
    # PyJWT's own words for these, mapped by the gatekeeper: a missing exp is malformed for it.
    "missing-exp": "malformed",
    "exp-nan": "malformed",
    "exp-infinity": "malformed",
    "exp-string": "absurd-time",
    "exp-true": "expired",
    "nbf-nan": "malformed",
}


@pytest.mark.parametrize("kind", AT_THE_GATEWAY)
def test_the_gatekeeper_gives_each_forgery_its_reason(world: World, kind: str) -> None:
    """The reason stays inside the stand-in (its 401 does not say it), but it must be the right one."""
    from sandbox.gatekeeper import Refused, admit

    with pytest.raises(Refused) as refused:
        admit(world.forgeries()[kind], world.jwks, world.issuer, _authorizer())
    assert refused.value.reason == GATEWAY_REASONS[kind]


def test_the_gatekeeper_refuses_with_a_jwks_that_has_no_keys(world: World) -> None:
    from sandbox.gatekeeper import Refused, admit

    with pytest.raises(Refused) as refused:
        admit(world.sign(world.claims()), {}, world.issuer, _authorizer())
    assert refused.value.reason == "unknown-kid"


@pytest.mark.parametrize(
    ("token", "reason"),
    [("not-a-jwt", "malformed"), ("a.b.c", "malformed")],
)
def test_the_gatekeeper_refuses_what_is_not_a_jws(world: World, token: str, reason: str) -> None:
    from sandbox.gatekeeper import Refused, admit

    with pytest.raises(Refused) as refused:
        admit(token, world.jwks, world.issuer, _authorizer())
    assert refused.value.reason == reason


def test_the_gatekeeper_times_at_their_edges(world: World) -> None:
    """60 s of leeway on exp; epoch 0 is a valid NumericDate; a negative nbf is not."""
    from sandbox.gatekeeper import Refused, admit

    now = int(time.time())
    admit(world.sign(world.claims(exp=now - 30)), world.jwks, world.issuer, _authorizer())
    admit(world.sign(world.claims(iat=0, nbf=0)), world.jwks, world.issuer, _authorizer())
    with pytest.raises(Refused) as refused:
        admit(world.sign(world.claims(exp=now - 90)), world.jwks, world.issuer, _authorizer())
    assert refused.value.reason == "expired"
    with pytest.raises(Refused) as refused:
        admit(world.sign(world.claims(nbf=-5)), world.jwks, world.issuer, _authorizer())
    assert refused.value.reason == "absurd-time"


# --- what `make verify` tells the user for each refusal (verify/checks.py prints code, cause, fix) ---

NOW = 1_800_000_000
FIX_REISSUE = "the token was not issued by Auth0 as is; get one from the issuer's /oauth/token"


def _refusal(world: World, token: str, jwks: dict[str, Any] | None = None, **rules: Any) -> tuple[str, str, str]:
    with pytest.raises(TokenError) as info:
        validate(token, world.jwks if jwks is None else jwks, Rules(world.issuer, [AUD], **rules), now=NOW)
    assert str(info.value) == f"{info.value.code}: {info.value.cause}"
    return info.value.code, info.value.cause, info.value.fix


def _at(world: World, **over: Any) -> dict[str, Any]:
    return world.claims(**{"exp": NOW + 600, "iat": NOW, **over})


def test_each_refusal_names_the_bad_value_and_the_fix(world: World) -> None:
    from joserfc import jws

    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    not_json = jws.serialize_compact({"alg": "RS256", "kid": "k1"}, b"not json", world.key)
    sign = world.sign
    table = [
        ("not-a-jwt", {}, ("malformed", "not a compact JWS (DecodeError)", "send the access_token as issued")),
        (
            not_json,
            {},
            ("malformed", "token does not decode: InvalidPayloadError", "send the access_token as issued"),
        ),
        (
            compact({"alg": "none", "typ": "JWT"}, _at(world)),
            {},
            (
                "bad-alg",
                "token alg is 'none'; only RS256 is accepted",
                "keep the Auth0 API's signing algorithm RS256 (never none or HS256)",
            ),
        ),
        (
            sign(_at(world), kid="nope"),
            {},
            (
                "unknown-kid",
                "token kid 'nope' is not in the issuer's JWKS",
                "the token was signed by another tenant or a rotated key: check the discovery URL's issuer, "
                "and get a fresh token",
            ),
        ),
        (
            sign(_at(world), key=other),
            {},
            (
                "bad-signature",
                "signature does not verify with JWKS key 'k1'",
                "the token was not issued by this issuer (or was altered); get one from the issuer's /oauth/token",
            ),
        ),
        (
            sign(_at(world, exp=None)),
            {},
            ("no-exp", "token has no exp", "tokens without an expiry are refused; check the issuer"),
        ),
        (sign(_at(world, exp=NOW - 100)), {}, ("expired", "token expired 100 s ago", "get a new token")),
        (
            sign(_at(world, exp=NOW + MAX_LIFETIME_SECONDS + 5)),
            {},
            (
                "absurd-time",
                f"exp is {MAX_LIFETIME_SECONDS + 5} s away, more than {MAX_LIFETIME_SECONDS} s",
                "Auth0 access tokens last at most 30 days (token_lifetime); check the issuer and its clock",
            ),
        ),
        (sign(_at(world, iat=-1)), {}, ("absurd-time", "iat is -1, not a finite NumericDate", FIX_REISSUE)),
        (sign(_at(world, nbf=NOW + 300)), {}, ("not-yet-valid", "token not valid for another 300 s", "check clocks")),
        (sign(_at(world, iat=NOW + 300)), {}, ("not-yet-valid", "token issued 300 s in the future", "check clocks")),
        (
            sign(_at(world, iss="https://evil.example.com/")),
            {},
            (
                "issuer-mismatch",
                "iss 'https://evil.example.com/' != 'https://acme.us.auth0.com/'",
                "point the discovery URL at the issuer that signs the tokens (custom domains issue their own iss)",
            ),
        ),
        (
            sign(_at(world, aud="https://other.example.com/mcp")),
            {},
            (
                "audience-mismatch",
                f"aud 'https://other.example.com/mcp' is not an allowed audience {[AUD]!r}",
                "make the Auth0 API identifier, the requested audience/resource and the gateway's allowed audience "
                "the same bytes",
            ),
        ),
        (
            sign(_at(world, aud=["https://other.example.com/mcp", AUD + "/"])),
            {},
            (
                "audience-mismatch",
                f"aud ['https://other.example.com/mcp', '{AUD}/'] is not an allowed audience {[AUD]!r}"
                " (they differ only by a trailing slash)",
                "make the Auth0 API identifier, the requested audience/resource and the gateway's allowed audience "
                "the same bytes",
            ),
        ),
        (
            sign(_at(world)),  # Auth0 puts the client in azp, never client_id
            {"allowed_clients": ["cid"]},
            (
                "client-not-allowed",
                "client_id None is not in allowedClients ['cid'] (Auth0 access tokens carry azp, not client_id)",
                "remove allowedClients from the authorizer; for Auth0 the audience is the gate",
            ),
        ),
        (
            sign(_at(world)),  # no `scope` claim at all: the token holds no scope
            {"allowed_scopes": ["read:tools"]},
            (
                "scope-not-allowed",
                "scope [] holds none of the allowed scopes ['read:tools']",
                "grant the client the allowed scope (the permission the gateway requires)",
            ),
        ),
        (
            sign(_at(world)),
            {"custom_claims": permission_rules_for(["admin"])},
            (
                "missing-permission",
                "claim rule failed: permissions CONTAINS_ANY ['admin'] (token has ['read:tools'])",
                "grant the permission (role or client grant scope) the gateway requires",
            ),
        ),
    ]
    for token, rules, expected in table:
        assert _refusal(world, token, **rules) == expected


def permission_rules_for(permissions: list[str]) -> list[dict[str, Any]]:
    from rules.claims import permission_rules

    return permission_rules(permissions)[1]


def test_a_jwks_without_keys_refuses_the_kid(world: World) -> None:
    code, cause, _ = _refusal(world, world.sign(_at(world)), jwks={})
    assert (code, cause) == ("unknown-kid", "token kid 'k1' is not in the issuer's JWKS")


def test_verify_admits_any_allowed_audience_and_an_allowed_client_id(world: World) -> None:
    rules = Rules(world.issuer, ["https://a.example.com/mcp", AUD], allowed_clients=["c1"])
    token = world.sign(_at(world, aud=["https://other.example.com/mcp", AUD], client_id="c1"))
    assert validate(token, world.jwks, rules, now=NOW)["client_id"] == "c1"


@pytest.mark.parametrize(
    ("rule", "claims", "failed"),
    [
        (_rule("permissions", "CONTAINS_ANY", ["a", "b"]), {"permissions": ["b"]}, None),
        (_rule("permissions", "CONTAINS_ANY", ["a", "b"]), {"permissions": "a"}, "permissions CONTAINS_ANY ['a', 'b']"),
        (_rule("permissions", "CONTAINS", "read:tools"), {"permissions": ["x", "read:tools"]}, None),
        (
            _rule("permissions", "CONTAINS", "read:tools"),
            {"permissions": ["read:tool"]},
            "permissions CONTAINS 'read:tools'",
        ),
        (
            _rule("permissions", "CONTAINS", "read:tools"),
            {"permissions": "read:tools"},
            "permissions CONTAINS 'read:tools'",
        ),
        (_rule("dept", "EQUALS", "eng"), {"dept": "eng"}, None),
        (_rule("dept", "EQUALS", "eng"), {"dept": "Eng"}, "dept EQUALS 'eng'"),
        (_rule("dept", "EQUALS", "eng"), {}, "dept EQUALS 'eng'"),
        (_rule("dept", "STARTS_WITH", "eng"), {"dept": "eng"}, "dept: unknown operator 'STARTS_WITH'"),
    ],
)
def test_verify_applies_each_claim_rule_operator_and_names_the_one_that_failed(
    world: World, rule: dict[str, Any], claims: dict[str, Any], failed: str | None
) -> None:
    """A gateway's rules may be set by hand (an adopted gateway): each operator AgentCore has."""
    token = world.sign(_at(world, **{"permissions": None, **claims}))
    if failed is None:
        validate(token, world.jwks, Rules(world.issuer, [AUD], custom_claims=[rule]), now=NOW)
        return
    name = rule["inboundTokenClaimName"]
    code, cause, _ = _refusal(world, token, custom_claims=[rule])
    assert (code, cause) == ("missing-permission", f"claim rule failed: {failed} (token has {claims.get(name)!r})")


@pytest.mark.parametrize(
    ("aud", "allowed", "hint"),
    [
        (AUD, AUD + "/", True),  # the gateway's allowed audience has the slash, the token not
        (AUD + "/", AUD, True),
        (AUD + "X", AUD, False),  # differs by more than a slash: no slash hint
        (AUD, AUD + "X", False),
    ],
)
def test_the_trailing_slash_hint_only_when_a_slash_is_the_whole_difference(
    world: World, aud: str, allowed: str, hint: bool
) -> None:
    code, cause, _ = _refused_aud(world, aud, allowed)
    assert code == "audience-mismatch"
    assert cause.endswith(" (they differ only by a trailing slash)") == hint, cause


def _refused_aud(world: World, aud: str, allowed: str) -> tuple[str, str, str]:
    with pytest.raises(TokenError) as info:
        validate(world.sign(_at(world, aud=aud)), world.jwks, Rules(world.issuer, [allowed]), now=NOW)
    return info.value.code, info.value.cause, info.value.fix


def test_the_security_pages_token_attack_table_is_this_files() -> None:
    # docs/security.md#token-attacks-refused: each forgery minted here, with the reason make verify
    # gives it and whether the gateway stand-in admits it; no row more, none less.
    from pathlib import Path

    root = next(p for p in Path(__file__).resolve().parents if (p / "Makefile").exists())
    page = (root / "docs" / "security.md").read_text()
    table = page.split("| token | made by | `make verify` | gateway stand-in |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| [^|]+ \| `([a-z-]+)` \| (refused|admitted)\b", table, re.M)
    assert {kind: reason for kind, reason, _ in rows} == EXPECTED
    assert sorted(kind for kind, _, at_gateway in rows if at_gateway == "refused") == AT_THE_GATEWAY


def test_verify_checks_a_required_scope_in_scope_as_the_gateway_does(world: World) -> None:
    """A permission with `:` is an allowedScope, which AgentCore matches against the token's `scope`
    claim: a token whose `permissions` holds it and whose `scope` does not is refused by the gateway,
    so verify's token check must fail too. A permission without `:` is a claim rule on `permissions`."""
    from verify.checks import check_token

    def check(required: list[str], **over: Any) -> Any:
        token = world.sign(world.claims(**over))
        return check_token(token, world.jwks, world.issuer, AUD, "cid", required)

    assert check(["read:tools"], scope="read:tools").ok
    lacking = check(["read:tools"], scope="write:tools")
    assert not lacking.ok and lacking.detail == "scope-not-allowed" and "read:tools" in lacking.cause
    assert not check(["read:tools"]).ok  # no scope claim at all
    # A claim-rule permission is still read from `permissions`, whatever `scope` says.
    assert check(["tools.read"], permissions=["tools.read"], scope="").ok
    assert check(["tools.read"], permissions=["other"], scope="tools.read").detail == "missing-permission"


@pytest.mark.parametrize("aud", [[[AUD]], {"aud": AUD}, [AUD, {"x": 1}], [["a"], {"b": 2}]])
def test_the_gateway_refuses_a_signed_token_whose_aud_is_nested_with_401(gateway: Any, aud: Any) -> None:
    """An `aud` that is neither a string nor a list of strings is an invalid token (RFC 7519 §4.1.3):
    the stand-in answers 401 as AgentCore refuses an invalid token, and does not crash (500)."""
    w = gateway.world
    resp = gateway(w.sign(w.claims(aud=aud)))
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].endswith('error="invalid_token"')


@pytest.mark.parametrize("held", [[["tools.read"]], [{"p": "tools.read"}], {"p": "tools.read"}, [None, ["x"]]])
def test_the_gatekeeper_refuses_a_contains_any_claim_holding_lists_or_objects(world: World, held: Any) -> None:
    from rules.claims import permission_rules
    from sandbox.gatekeeper import Refused, admit

    _, rules = permission_rules(["tools.read"])
    with pytest.raises(Refused) as refused:
        admit(world.sign(world.claims(permissions=held)), world.jwks, world.issuer, _authorizer(custom_claims=rules))
    assert refused.value.reason == "missing-permission"
