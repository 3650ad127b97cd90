"""The wiring rule's pure functions (rules/), which the pack, the plan, verify and the config call."""

from __future__ import annotations

import pytest

from rules.scopes import undefined_scope
from rules.urls import discovery_url, domain_resource_url, issuer_of, resource_url
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
HOST = "https://tools-dev-abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com"


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


def test_the_custom_domain_resource_url_is_one_rule_for_the_provider_the_pack_and_the_plan() -> None:
    """https://<domain>/mcp, lower case: what the provider sets as the gateway's audience, what the
    pack expects the Auth0 API to be, and what the plan's engine records, for any case of domain."""
    from agentcore.client import GatewaySpec
    from offline.engine import RealisticMocks
    from tests.helpers.policies import api, mcp_gateway, messages

    want = "https://mcp.example.com/mcp"
    assert domain_resource_url("MCP.Example.com") == want
    assert GatewaySpec(name="tools", discovery_url=ISSUER, domain="MCP.Example.com").resource_url("") == want
    engine = RealisticMocks("dev", "eu-west-1")._gateway({"name": "tools", "domain": "MCP.Example.com"}, "s")
    assert engine["resourceUrl"] == want
    found = [mcp_gateway(allowedAudiences=None, domain="MCP.Example.com"), api(identifier=want)]
    assert messages("gateway-audience-is-api-identifier", found) == []


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
    from tests.helpers.policies import URL as API_URL
    from tests.helpers.policies import api, mcp_gateway, messages, scopes
    from tests.helpers.stack import make_config, one_problem

    cfg = make_config(scopes={"read:tools": "Read", "admin": "Admin"}, roles={"user": ["read:tools", "write:tools"]})
    assert one_problem(cfg) == (
        "mcpauth:roles.user[1]: got 'write:tools': not a scope defined in mcpauth:scopes (admin, read:tools)"
    )
    (pack,) = messages("scopes-defined-on-api", [mcp_gateway(allowedScopes=["write:tools"]), api(), scopes()])
    assert f"'write:tools': not a scope defined on API {API_URL!r} (admin, read:tools). " in pack


# --- what a user reads: each message word for word, where the words are the fix ---------------


def test_an_audience_without_the_slash_its_api_has_is_named_as_a_near_miss() -> None:
    """The hint names the candidate that differs by a trailing slash, whichever side has it."""
    (msg,) = audience_problems([URL], [URL + "/"])
    assert msg == (
        f"allows audience {URL!r} but no Auth0 API has that identifier ({URL + '/'!r} differs only by a "
        "trailing slash): the API identifier, the token's aud and the allowed audience must be the same bytes"
    )


def test_a_far_miss_gets_no_hint() -> None:
    assert api_identifier_problems("https://other/mcp", URL) == [
        f"API identifier 'https://other/mcp' != resource URL {URL!r}"
    ]
    (msg,) = audience_problems(["https://other/mcp"], [URL])
    assert msg.startswith("allows audience 'https://other/mcp' but no Auth0 API has that identifier: ")


def test_a_missing_discovery_url_says_what_to_set() -> None:
    # Auth0's issuers end in '/': the well-known path follows it without a second slash.
    assert discovery_problems(None, ISSUER) == [
        "has no discovery URL: set it to <issuer>.well-known/openid-configuration."
    ]
    assert discovery_problems("", None) == discovery_problems(None, None)


def test_allowed_clients_message_says_why_and_what_to_do() -> None:
    assert allowed_clients_problems(["abc"]) == [
        "allows only clients ['abc']: CUSTOM_JWT ANDs this with the audience check, so every client "
        "registered by DCR or CIMD (ids nobody knows in advance) is refused. Remove allowedClients; the audience "
        "(the API identifier) is the gate."
    ]


def test_an_identifier_that_is_not_an_mcp_url_fails_the_gateway_even_when_everything_else_agrees() -> None:
    """Resource URL, identifier and audience can agree and all lack `/mcp` (a hand-built stack);
    the identifier rule still names it."""
    bare = "https://gw.example.com"
    found = gateway_problems(
        resource_url=bare,
        identifier=bare,
        audiences=[bare],
        discovery=ISSUER + ".well-known/openid-configuration",
        issuer=ISSUER,
        clients=[],
    )
    assert found == [
        f"identifier {bare!r} does not end in /mcp: it must be the gateway's MCP resource URL "
        "https://<gateway-host>/mcp."
    ]


def test_a_default_audience_shared_by_gateways_is_explained_with_its_fix() -> None:
    assert audience_resolution_problems("compatibility", True, 3) == [
        "a tenant default audience is set while 3 gateways share the tenant: Auth0 applies it to "
        "requests that send only `resource` (as MCP clients do), so the other gateways' clients may get "
        "tokens for the wrong audience. Unset the default audience (with resourceParameterProfile "
        "compatibility none is needed)."
    ]


@pytest.mark.parametrize("profile, shown", [("audience", "'audience'"), (None, "'audience'"), ("", "'audience'")])
def test_the_profile_that_drops_resource_is_named_with_its_fix(profile: str | None, shown: str) -> None:
    """An unset profile is Auth0's default, `audience`: the message names it so."""
    assert audience_resolution_problems(profile, False, 1) == [
        f"MCP clients send `resource`, not `audience`; with resourceParameterProfile {shown} "
        "and no default audience their tokens get no API audience and every gateway refuses them. Set "
        "resourceParameterProfile: compatibility."
    ]


@pytest.mark.parametrize("given", [HOST + "//mcp", HOST + "/mcp//mcp", HOST + "//"])
def test_resource_url_drops_doubled_slashes_around_mcp(given: str) -> None:
    assert resource_url(given) == HOST + "/mcp"


def test_a_path_before_mcp_and_an_issuer_s_path_are_kept_to_the_last_character() -> None:
    from rules.urls import discovery_url

    assert resource_url(HOST + "/tenantX/mcp/") == HOST + "/tenantX/mcp"
    assert (
        discovery_url("https://idp.example/tenantX/") == "https://idp.example/tenantX/.well-known/openid-configuration"
    )


def test_more_than_one_audience_is_refused_with_what_to_allow() -> None:
    assert audience_problems([URL, "https://other/mcp"], [URL]) == [
        f"allows audiences [{URL!r}, 'https://other/mcp']: allow exactly one, the identifier of its Auth0 API "
        "(its own resource URL)"
    ]


def test_an_identifier_with_a_trailing_slash_is_told_why_and_what_to_use() -> None:
    from rules.wiring import identifier_problems

    assert identifier_problems(URL + "/") == [
        f"identifier {URL + '/'!r} ends in '/': MCP clients send the gateway's resource URL without one "
        "and Auth0 compares exactly. Use the URL with no trailing slash."
    ]


def test_a_gateway_without_an_api_is_said_so() -> None:
    assert api_identifier_problems(None, URL) == ["no Auth0 API for this gateway"]
