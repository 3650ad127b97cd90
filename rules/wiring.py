"""The wiring rule, one function per part: resource URL = API identifier = the gateway's only
allowed audience; discovery URL = issuer + `/.well-known/openid-configuration`; no allowed clients.

Each function answers the problems it finds (empty: none), phrased to follow the name of the thing
checked (`ResourceServer 'api-tools-api' ` + problem), each with its fix. The policy pack, the
offline plan and `make verify` call these; the program builds the strings with `rules.urls`, so
its stacks meet them by construction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

from rules.urls import MCP_PATH, WELL_KNOWN, discovery_url, issuer_of

SAME_BYTES = "the API identifier, the token's aud and the allowed audience must be the same bytes"


def _near(value: str, candidates: Collection[str]) -> str:
    near = [c for c in candidates if c != value and c.rstrip("/") == value.rstrip("/")]
    return f" ({near[0]!r} differs only by a trailing slash)" if near else ""


def identifier_problems(identifier: str) -> list[str]:
    """An Auth0 API identifier that can be a gateway's resource URL: `…/mcp`, no trailing slash.
    Auth0 compares the `resource` (or `audience`) a client sends with the identifier exactly
    (auth0.com/docs/get-started/apis/api-settings: the identifier "cannot be modified")."""
    if identifier.endswith("/"):
        return [
            f"identifier {identifier!r} ends in '/': MCP clients send the gateway's resource URL without one "
            "and Auth0 compares exactly. Use the URL with no trailing slash."
        ]
    if not identifier.endswith(MCP_PATH):
        return [
            f"identifier {identifier!r} does not end in {MCP_PATH}: it must be the gateway's MCP resource URL "
            f"https://<gateway-host>{MCP_PATH}."
        ]
    return []


def api_identifier_problems(identifier: str | None, resource_url: str) -> list[str]:
    """The gateway's API: its identifier is the gateway's resource URL, byte for byte (the MCP
    authorization spec: clients send the resource URL as `resource`; Auth0 maps it to the API with
    that identifier)."""
    if identifier is None:
        return ["no Auth0 API for this gateway"]
    if identifier != resource_url:
        return [f"API identifier {identifier!r} != resource URL {resource_url!r}{_near(identifier, [resource_url])}"]
    return []


def audience_problems(audiences: Sequence[str], identifiers: Sequence[str]) -> list[str]:
    """The gateway's allowed audiences: exactly one, an API's identifier. The model documents the
    list only as "individual audience values that are validated" (CustomJWTAuthorizerConfiguration
    allowedAudience); read as "any one of them", a second value would admit tokens for another API,
    so mcpauth allows exactly one and does not rely on either reading. `identifiers` are every
    API's (one entry per API), so an identifier two APIs share is named too."""
    if len(audiences) != 1:
        return [
            f"allows audiences {list(audiences)!r}: allow exactly one, the identifier of its Auth0 API "
            "(its own resource URL)"
        ]
    (aud,) = audiences
    holders = list(identifiers).count(aud)
    if holders == 1:
        return []
    which = "no Auth0 API has that identifier" if not holders else f"{holders} APIs have it"
    return [f"allows audience {aud!r} but {which}{_near(aud, identifiers)}: {SAME_BYTES}"]


def discovery_problems(url: str | None, issuer: str | None) -> list[str]:
    """The authorizer's discovery URL: https, the OIDC well-known path, and (given the issuer
    tokens carry) that issuer's own. The model's DiscoveryUrl pattern also takes
    `oauth-authorization-server` and a suffix (`[^\\s?#]+/\\.well-known/(openid-configuration|
    oauth-authorization-server)(/[^\\s?#]+)?`); Auth0 serves OIDC discovery, so mcpauth uses and
    expects the OIDC path."""
    if not url:
        return [f"has no discovery URL: set it to <issuer>{WELL_KNOWN.lstrip('/')}."]
    if urlsplit(url).scheme != "https" or not url.endswith(WELL_KNOWN):
        return [
            f"discovery URL {url!r} must be https and end in {WELL_KNOWN}: "
            f"use https://<tenant-or-custom-domain>{WELL_KNOWN}."
        ]
    if issuer and issuer_of(url) != issuer:
        return [
            f"trusts issuer {issuer_of(url)!r} but tokens are issued by {issuer!r}: set the discovery URL to "
            f"{discovery_url(issuer)} (custom domains issue their own `iss`)."
        ]
    return []


def allowed_clients_problems(clients: Sequence[str]) -> list[str]:
    """No allowed clients: AgentCore checks a token's `client_id` against them as well as its
    audience (AgentCore developer guide, inbound JWT authorizer: "the authorizer will verify them
    all"), and clients registered by DCR or CIMD get ids nobody knows in advance."""
    if not clients:
        return []
    return [
        f"allows only clients {list(clients)!r}: CUSTOM_JWT ANDs this with the audience check, so every client "
        "registered by DCR or CIMD (ids nobody knows in advance) is refused. Remove allowedClients; the audience "
        "(the API identifier) is the gate."
    ]


def gateway_problems(
    *,
    resource_url: str,
    identifier: str | None,
    audiences: Sequence[str],
    discovery: str | None,
    issuer: str | None,
    clients: Sequence[str],
) -> list[str]:
    """The whole rule for one gateway, as the plan and verify read it from one stack."""
    return [
        *api_identifier_problems(identifier, resource_url),
        *(identifier_problems(identifier) if identifier is not None else []),
        *audience_problems(audiences, [identifier] if identifier is not None else []),
        *discovery_problems(discovery, issuer),
        *allowed_clients_problems(clients),
    ]


def audience_resolution_problems(profile: str | None, default_audience: bool, gateways: int) -> list[str]:
    """How the tenant turns an MCP client's request into the token's `aud`, for `gateways` gateways
    on it (all stacks together, where they are known).

    MCP clients send `resource`, not `audience` (MCP authorization spec, RFC 8707). Auth0 honours
    `resource` only under the resource parameter profile `compatibility` (Management API,
    TenantSettingsResourceParameterProfile: with compatibility "the audience parameter is still
    checked first"). A default audience is "equivalent to appending this audience to every
    authorization request" (auth0.com/docs/get-started/tenant-settings), so it serves one API: with
    several gateways, which wins over `resource` is not documented, and some clients' tokens would
    name the wrong API."""
    if default_audience and gateways > 1:
        return [
            f"a tenant default audience is set while {gateways} gateways share the tenant: Auth0 applies it to "
            "requests that send only `resource` (as MCP clients do), so the other gateways' clients may get "
            "tokens for the wrong audience. Unset the default audience (with resourceParameterProfile "
            "compatibility none is needed)."
        ]
    if profile != "compatibility" and not default_audience:
        return [
            f"MCP clients send `resource`, not `audience`; with resourceParameterProfile {profile or 'audience'!r} "
            "and no default audience their tokens get no API audience and every gateway refuses them. Set "
            "resourceParameterProfile: compatibility."
        ]
    return []
