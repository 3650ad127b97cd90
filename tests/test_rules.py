"""The wiring rule's pure functions (rules/), which the pack, the plan, verify and the config call."""

from __future__ import annotations

import pytest

from rules.scopes import undefined_scope
from rules.urls import discovery_url, domain_resource_url, issuer_of
from rules.wiring import (
    allowed_clients_problems,
    api_identifier_problems,
    audience_problems,
    audience_resolution_problems,
    discovery_problems,
    gateway_problems,
    identifier_problems,
)

URL = "https://gw.example.com/mcp"
ISSUER = "https://acme.us.auth0.com/"


def test_a_wired_gateway_has_no_problem() -> None:
    assert (
        gateway_problems(
            resource_url=URL,
            identifier=URL,
            audiences=[URL],
            discovery=discovery_url(ISSUER),
            issuer=ISSUER,
            clients=[],
        )
        == []
    )


@pytest.mark.parametrize(
    "change, says",
    [
        ({"identifier": URL + "/"}, "differs only by a trailing slash"),
        ({"identifier": None}, "no Auth0 API for this gateway"),
        ({"audiences": [URL, "https://other/mcp"]}, "allow exactly one"),
        ({"audiences": []}, "allow exactly one"),
        ({"audiences": ["https://other/mcp"]}, "no Auth0 API has that identifier"),
        ({"discovery": None}, "has no discovery URL"),
        ({"discovery": "http://acme.us.auth0.com/.well-known/openid-configuration"}, "must be https"),
        ({"discovery": "https://acme.us.auth0.com/"}, "must be https and end in"),
        ({"discovery": "https://login.acme.com/.well-known/openid-configuration"}, "tokens are issued by"),
        ({"clients": ["abc"]}, "Remove allowedClients"),
    ],
)
def test_each_part_of_the_rule_is_named(change: dict[str, object], says: str) -> None:
    args: dict[str, object] = {
        "resource_url": URL,
        "identifier": URL,
        "audiences": [URL],
        "discovery": discovery_url(ISSUER),
        "issuer": ISSUER,
        "clients": [],
    }
    found = gateway_problems(**{**args, **change})  # type: ignore[arg-type]
    assert found and any(says in p for p in found), found


def test_the_identifier_must_be_the_mcp_url_without_a_slash() -> None:
    assert identifier_problems(URL) == []
    (slash,) = identifier_problems(URL + "/")
    assert "ends in '/'" in slash
    (other,) = identifier_problems("https://api.example.com")
    assert "does not end in /mcp" in other


def test_an_audience_two_apis_hold_is_named_with_the_count() -> None:
    (msg,) = audience_problems([URL], [URL, URL])
    assert "2 APIs have it" in msg
    assert audience_problems([URL], [URL, "https://other/mcp"]) == []


def test_the_near_miss_hint_names_the_identifier_that_differs_by_a_slash() -> None:
    (msg,) = api_identifier_problems(URL + "/", URL)
    assert f"({URL!r} differs only by a trailing slash)" in msg
    (far,) = api_identifier_problems("https://other/mcp", URL)
    assert "trailing slash" not in far


def test_without_an_issuer_only_the_form_of_the_discovery_url_is_checked() -> None:
    assert discovery_problems("https://login.acme.com/.well-known/openid-configuration", None) == []


def test_allowed_clients() -> None:
    assert allowed_clients_problems([]) == []
    (msg,) = allowed_clients_problems(["a", "b"])
    assert "['a', 'b']" in msg and "DCR or CIMD" in msg


@pytest.mark.parametrize(
    "profile, default, gateways, says",
    [
        ("compatibility", False, 3, None),
        ("compatibility", True, 1, None),
        ("audience", True, 1, None),
        ("compatibility", True, 2, "wrong audience"),
        ("audience", True, 2, "wrong audience"),
        ("audience", False, 1, "no API audience"),
        (None, False, 1, "no API audience"),
    ],
)
def test_audience_resolution(profile: str | None, default: bool, gateways: int, says: str | None) -> None:
    found = audience_resolution_problems(profile, default, gateways)
    if says is None:
        assert found == []
    else:
        (msg,) = found
        assert says in msg


def test_urls_round_trip() -> None:
    assert discovery_url(ISSUER) == "https://acme.us.auth0.com/.well-known/openid-configuration"
    assert discovery_url(ISSUER.rstrip("/")) == discovery_url(ISSUER)
    assert issuer_of(discovery_url(ISSUER)) == ISSUER
    assert issuer_of("https://x/") == "https://x/"
    assert domain_resource_url("mcp.example.com") == "https://mcp.example.com/mcp"


def test_an_undefined_scope_names_where_scopes_are_defined_and_which() -> None:
    assert undefined_scope("read:tools", {"read:tools"}, "in mcpauth:scopes") is None
    assert undefined_scope("write", {"b", "a"}, "on API 'x'") == "not a scope defined on API 'x' (a, b)"
    assert undefined_scope("write", set(), "in mcpauth:scopes") == "not a scope defined in mcpauth:scopes (none)"


def test_the_config_and_the_pack_give_one_reason_for_one_undefined_scope() -> None:
    """One rule over two inputs: the stack config's keys, and a preview's resources."""
    from tests.conftest import make_config
    from tests.test_config import one_problem
    from tests.test_policies import URL as API_URL
    from tests.test_policies import api, mcp_gateway, messages, scopes

    cfg = make_config(scopes={"read:tools": "Read", "admin": "Admin"}, roles={"user": ["read:tools", "write:tools"]})
    assert one_problem(cfg) == (
        "mcpauth:roles.user[1]: got 'write:tools': not a scope defined in mcpauth:scopes (admin, read:tools)"
    )
    (pack,) = messages("scopes-defined-on-api", [mcp_gateway(allowedScopes=["write:tools"]), api(), scopes()])
    assert f"'write:tools': not a scope defined on API {API_URL!r} (admin, read:tools). " in pack
