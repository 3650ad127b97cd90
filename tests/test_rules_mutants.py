"""What a user reads from the wiring rules (rules/), word for word where the words are the fix.

Added for the gaps mutation testing found (docs/mutation-policies.md): the rules' messages are
what a failed preview, plan or `make verify` shows, so each one is checked whole here, not by a
keyword.
"""

from __future__ import annotations

import pytest

from rules.urls import resource_url
from rules.wiring import (
    allowed_clients_problems,
    api_identifier_problems,
    audience_problems,
    audience_resolution_problems,
    discovery_problems,
    gateway_problems,
)

URL = "https://gw.example.com/mcp"
ISSUER = "https://acme.us.auth0.com/"
HOST = "https://tools-dev-abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com"


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
