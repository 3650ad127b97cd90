"""Rules on the AgentCore gateway side: how it validates Auth0's tokens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import (
    API,
    AUTHORIZER,
    GATEWAYS,
    MCP_GATEWAY,
    UNKNOWN,
    WELL_KNOWN,
    final_audiences,
    get,
    label,
    of_type,
    option,
    strings,
)


def _jwt(args: ResourceValidationArgs) -> tuple[Any, Any, Any]:
    """(authorizer type, discovery URL, allowed clients) of a gateway or of our authorizer."""
    if args.resource_type in (AUTHORIZER, MCP_GATEWAY):
        return "CUSTOM_JWT", get(args.props, "discoveryUrl"), strings(get(args.props, "allowedClients"))
    base = "authorizerConfiguration.customJwtAuthorizer"
    return (
        get(args.props, "authorizerType"),
        get(args.props, f"{base}.discoveryUrl"),
        strings(get(args.props, f"{base}.allowedClients")),
    )


def _validate_custom_jwt(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (*GATEWAYS, AUTHORIZER):
        return
    kind, url, _ = _jwt(args)
    who = label(args)
    if kind is UNKNOWN or kind is None:
        return
    if kind != "CUSTOM_JWT":
        report(
            f"{who} uses authorizer type {kind!r}: set authorizerType to CUSTOM_JWT so it checks Auth0's JWTs.",
            None,
        )
        return
    if url is UNKNOWN:
        return
    if not url:
        report(f"{who} has no discovery URL: set it to <issuer>.well-known/openid-configuration.", None)
        return
    parts = urlsplit(str(url))
    if parts.scheme != "https" or not str(url).endswith(WELL_KNOWN):
        report(
            f"{who} discovery URL {url!r} must be https and end in {WELL_KNOWN}: "
            f"use https://<tenant-or-custom-domain>{WELL_KNOWN}.",
            None,
        )
        return
    want = str(args.get_config().get("issuer") or "")
    if want:
        issuer = str(url)[: -len(WELL_KNOWN)] + "/"
        if issuer != want:
            report(
                f"{who} trusts issuer {issuer!r} but tokens are issued by {want!r}: "
                f"set the discovery URL to {want.rstrip('/')}{WELL_KNOWN} (custom domains issue their own `iss`).",
                None,
            )


gateway_custom_jwt = ResourceValidationPolicy(
    name="gateway-custom-jwt",
    description="Gateways validate Auth0 tokens with CUSTOM_JWT and the issuer's own https discovery URL.",
    remediation_steps="Set authorizerType CUSTOM_JWT and discoveryUrl <issuer>.well-known/openid-configuration, "
    "where <issuer> is exactly the `iss` Auth0 puts in tokens (custom domain included).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_custom_jwt,
    config_schema=PolicyConfigSchema(
        properties={
            "issuer": option(
                "string", "", "The issuer tokens carry, e.g. https://login.example.com/ (empty: not checked)."
            )
        }
    ),
)


def _is_auth0(url: Any, extra_hosts: list[str]) -> bool:
    if not isinstance(url, str):
        return False
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith(".auth0.com") or host in {h.lower() for h in extra_hosts}


def _validate_no_allowed_clients(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (*GATEWAYS, AUTHORIZER):
        return
    _, url, clients = _jwt(args)
    hosts = list(args.get_config().get("auth0Hosts") or [])
    if clients is UNKNOWN or not clients or not _is_auth0(url, hosts):
        return
    report(
        f"{label(args)} allows only clients {clients!r}: CUSTOM_JWT ANDs this with the audience check, so every "
        "client registered by DCR or CIMD (ids nobody knows in advance) is refused. Remove allowedClients; "
        "the audience (the API identifier) is the gate.",
        None,
    )


gateway_no_allowed_clients = ResourceValidationPolicy(
    name="gateway-no-allowed-clients",
    description="Gateways trusting Auth0 do not restrict allowed clients (it locks out DCR clients).",
    remediation_steps="Remove allowedClients from the CUSTOM_JWT authorizer; rely on the allowed audience.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_no_allowed_clients,
    config_schema=PolicyConfigSchema(
        properties={
            "auth0Hosts": option("string-list", [], "Custom-domain hosts that are Auth0 too (*.auth0.com always is).")
        }
    ),
)


def _validate_audience(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    apis = of_type(resources, API)
    authorizers = of_type(resources, AUTHORIZER)
    identifiers: dict[str, list[Any]] = {}
    for api in apis:
        ident = get(api.props, "identifier")
        if not isinstance(ident, str):
            continue
        identifiers.setdefault(ident, []).append(api)
        if ident.endswith("/"):
            report(
                f"{label(api)} identifier {ident!r} ends in '/': MCP clients send the gateway's resource URL "
                "without one and Auth0 compares exactly. Use the URL with no trailing slash.",
                api.urn,
            )
        elif not ident.endswith("/mcp"):
            report(
                f"{label(api)} identifier {ident!r} does not end in /mcp: it must be the gateway's MCP resource "
                "URL https://<gateway-host>/mcp.",
                api.urn,
            )
    for gw in of_type(resources, *GATEWAYS):
        audiences, source = final_audiences(gw, authorizers)
        if audiences is UNKNOWN:
            continue  # computed at `up`; the offline plan checks the values
        if len(audiences) != 1:
            report(
                f"{label(gw)} allows audiences {audiences!r} (via {label(source)}): allow exactly one, the "
                "identifier of its Auth0 API (its own resource URL).",
                gw.urn,
            )
            continue
        (aud,) = audiences
        matches = identifiers.get(aud, [])
        if len(matches) == 1:
            continue
        near = [i for i in identifiers if i.rstrip("/") == aud.rstrip("/")]
        hint = f" ({near[0]!r} differs only by a trailing slash)" if near else ""
        report(
            f"{label(gw)} allows audience {aud!r} (via {label(source)}) but "
            + ("no Auth0 API has that identifier" if not matches else f"{len(matches)} APIs have it")
            + f"{hint}: the API identifier, the token's aud and the allowed audience must be the same bytes.",
            gw.urn,
        )


gateway_audience_is_api_identifier = StackValidationPolicy(
    name="gateway-audience-is-api-identifier",
    description="Each gateway's final allowed audience is, byte for byte, the identifier of exactly one "
    "Auth0 API, ending in /mcp with no trailing slash.",
    remediation_steps="Set the Auth0 API identifier and the authorizer's allowedAudience to the same "
    "https://<gateway-host>/mcp string (no trailing slash).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_audience,
)

POLICIES = [gateway_custom_jwt, gateway_no_allowed_clients, gateway_audience_is_api_identifier]
