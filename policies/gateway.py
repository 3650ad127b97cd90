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

from policies.common import GATEWAYS, UNKNOWN, final_audiences, get, label, of_type, option, strings
from rules.types import API, AUTHORIZER, MCP_GATEWAY
from rules.wiring import (
    allowed_clients_problems,
    audience_problems,
    discovery_problems,
    identifier_problems,
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
    for problem in discovery_problems(str(url) if url else None, str(args.get_config().get("issuer") or "") or None):
        report(f"{who} {problem}", None)


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
    if clients is UNKNOWN or not _is_auth0(url, hosts):
        return
    for problem in allowed_clients_problems(clients):
        report(f"{label(args)} {problem}", None)


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
    identifiers: list[str] = []
    for api in apis:
        ident = get(api.props, "identifier")
        if not isinstance(ident, str):
            continue
        identifiers.append(ident)
        for problem in identifier_problems(ident):
            report(f"{label(api)} {problem}", api.urn)
    for gw in of_type(resources, *GATEWAYS):
        audiences, source = final_audiences(gw, authorizers)
        if audiences is UNKNOWN:
            continue  # computed at `up`; the offline plan checks the values
        via = "" if source is gw else f" (set by {label(source)})"
        problems = audience_problems(audiences, identifiers)
        for problem in problems:
            report(f"{label(gw)}{via} {problem}", gw.urn)


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
