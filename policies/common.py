"""Helpers shared by the rules: safe property access, type tokens, and resource lookups.

The pack must run on any stack, including ones edited by hand, and at preview, where computed
values (a gateway's URL, hence the API identifier) are unknown. Every read goes through `get`,
which answers `UNKNOWN` for a preview-time unknown and the default for a missing property, so
a rule can skip what it cannot know instead of failing the whole pack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from pulumi_policy.proxy import UnknownValueError, _is_unknown

from rules.types import (
    API_SCOPE,
    API_SCOPES,
    MCP_GATEWAY,
)
from rules.types import AWS_GATEWAY as GATEWAY
from rules.urls import domain_resource_url

GATEWAYS = (GATEWAY, MCP_GATEWAY)

WELL_KNOWN = "/.well-known/openid-configuration"


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


class Res(Protocol):
    """What the rules read of a resource: a PolicyResource or ResourceValidationArgs."""

    resource_type: str
    props: Mapping[str, Any]
    urn: str
    name: str


def get(props: Any, path: str, default: Any = None) -> Any:
    """`props.a.b[0].c` by dotted path; UNKNOWN if any step is unknown at preview."""
    cur = props
    try:
        for part in path.split("."):
            if cur is None:
                return default
            if isinstance(cur, Mapping):
                if part not in cur:
                    return default
                cur = cur[part]
            elif isinstance(cur, Sequence) and not isinstance(cur, str) and part.isdigit():
                idx = int(part)
                if idx >= len(cur):
                    return default
                cur = cur[idx]
            else:
                return default
    except UnknownValueError:
        return UNKNOWN
    if _is_unknown(cur):
        return UNKNOWN
    return default if cur is None else cur


def strings(value: Any) -> list[str] | Any:
    """A list of strings from a property, UNKNOWN if the list or any item is unknown."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return []
    out = []
    try:
        for item in value:
            if _is_unknown(item):
                return UNKNOWN
            out.append(item)
    except UnknownValueError:
        return UNKNOWN
    except TypeError:
        return []
    return out


def items(value: Any) -> list[Any]:
    """The elements of a list property (unknown or missing: none)."""
    if value is UNKNOWN or value is None:
        return []
    try:
        return list(value)
    except (UnknownValueError, TypeError):
        return []


def of_type(resources: Iterable[Any], *types: str) -> list[Any]:
    return [r for r in resources if r.resource_type in types]


def stack_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::...` -> stack."""
    parts = urn.split(":", 2)
    return parts[2].split("::", 1)[0] if len(parts) == 3 else ""


def final_audiences(gateway: Res, authorizers: list[Res]) -> tuple[list[str] | Any, Res]:
    """The audiences a gateway finally gets: from our authorizer resource when one points at
    it (by gatewayId, or by being declared in the same component), else its own."""
    if gateway.resource_type == MCP_GATEWAY:
        # Our resource sets exactly one audience, its resource URL, which is known before `up` only
        # on a custom domain; missing means computed at `up` (the offline plan knows it).
        audiences = get(gateway.props, "allowedAudiences")
        if audiences is None:
            domain = get(gateway.props, "domain")
            return ([domain_resource_url(domain)] if isinstance(domain, str) and domain else UNKNOWN), gateway
        return strings(audiences), gateway
    gid = get(gateway.props, "gatewayId")
    parent = _parent_urn(gateway)
    for auth in authorizers:
        same_component = parent is not None and _parent_urn(auth) == parent
        if same_component or (isinstance(gid, str) and get(auth.props, "gatewayId") == gid):
            return strings(get(auth.props, "allowedAudiences")), auth
    return (
        strings(get(gateway.props, "authorizerConfiguration.customJwtAuthorizer.allowedAudiences")),
        gateway,
    )


def required_values(source: Res) -> list[Any]:
    """The permissions a gateway (or the first release's authorizer) requires of a token: its
    allowed scopes and the values of its claim rules on `permissions`."""
    if source.resource_type == GATEWAY:
        base = "authorizerConfiguration.customJwtAuthorizer."
        list_key = "matchValueStringLists"  # the Terraform provider's name
    else:
        base, list_key = "", "matchValueStringList"  # the AgentCore API's names
    wanted: list[Any] = list(strings(get(source.props, base + "allowedScopes")) or [])
    for c in items(get(source.props, base + "customClaims")):
        if get(c, "inboundTokenClaimName") != "permissions":
            continue
        value = get(c, "authorizingClaimMatchValue.claimMatchValue")
        wanted += [get(value, "matchValueString"), *(strings(get(value, list_key)) or [])]
    return [w for w in wanted if isinstance(w, str)]


def _parent_urn(r: Res) -> str | None:
    opts = getattr(r, "opts", None)
    parent = getattr(opts, "parent", None)
    return parent if isinstance(parent, str) and parent else None


def api_scope_names(resources: Sequence[Res]) -> dict[str, set[str]]:
    """API identifier -> the scopes it defines (ResourceServerScopes, ResourceServerScope)."""
    out: dict[str, set[str]] = {}
    for r in of_type(resources, API_SCOPES):
        ident = get(r.props, "resourceServerIdentifier")
        if isinstance(ident, str):
            out.setdefault(ident, set()).update(
                s for s in (get(x, "name") for x in items(get(r.props, "scopes"))) if isinstance(s, str)
            )
    for r in of_type(resources, API_SCOPE):
        ident, scope = get(r.props, "resourceServerIdentifier"), get(r.props, "scope")
        if isinstance(ident, str) and isinstance(scope, str):
            out.setdefault(ident, set()).add(scope)
    return out


def option(kind: str, default: Any, description: str) -> dict[str, Any]:
    """One config_schema property; `string-list` is an array of strings."""
    if kind == "string-list":
        return {"type": "array", "items": {"type": "string"}, "default": default, "description": description}
    return {"type": kind, "default": default, "description": description}


def label(r: Res) -> str:
    return f"{r.resource_type.rsplit(':', 1)[-1]} '{r.name}'"
