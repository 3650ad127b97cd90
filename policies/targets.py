"""Rules on what a gateway fronts (issue 26): its targets never see the caller's token, an
upstream's Auth0 API is reachable only through the gateway, and a protected gateway enforces its
tool access rather than only logging it."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import UNKNOWN, get, items, label, of_type
from rules.types import API, CLIENT_GRANT, GATEWAY_TARGET, MCP_GATEWAY, under_targets

# Credential kinds that hand the target the caller's identity: pulumi-aws's
# AgentcoreGatewayTargetCredentialProviderConfiguration blocks `jwt_passthrough` and
# `caller_iam_credentials` (CreateGatewayTarget CredentialProviderType JWT_PASSTHROUGH,
# CALLER_IAM_CREDENTIALS in the service model). The MCP authorization spec forbids token
# passthrough: a server "MUST NOT pass through the token it received from the MCP client"
# (modelcontextprotocol.io, specification 2025-06-18, authorization, "Access Token Privilege
# Restriction"; security best practices, "Token Passthrough").
PASSTHROUGH = ("jwtPassthrough", "callerIamCredentials")


def _validate_no_passthrough(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != GATEWAY_TARGET:
        return
    config = get(args.props, "credentialProviderConfiguration")
    if config is UNKNOWN or not config:
        return
    # The provider's block is one object; a hand-written stack may hold it as a one-item list.
    blocks = items(config) if get(config, "0") is not None else [config]
    for block in blocks:
        for kind in PASSTHROUGH:
            value = get(block, kind)
            if value is not None:
                report(
                    f"{label(args)} passes the caller's credential through to the target ({kind}): the MCP "
                    "spec forbids token passthrough. Use oauth (a client of the gateway's own, granted the "
                    "upstream's scopes), apiKey or gatewayIamRole in credentialProviderConfiguration.",
                    None,
                )


gateway_target_no_token_passthrough = ResourceValidationPolicy(
    name="gateway-target-no-token-passthrough",
    description="No gateway target receives the caller's token or IAM credentials "
    "(credentialProviderConfiguration jwtPassthrough or callerIamCredentials).",
    remediation_steps="Give the target its own credential: outbound.kind oauth, apiKey or gatewayIamRole "
    "(docs/targets.md).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_no_passthrough,
)


def _validate_upstream_grant(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    upstreams: dict[str, str] = {}
    for api in of_type(resources, API):
        ident = get(api.props, "identifier")
        if under_targets(api.urn) and isinstance(ident, str):
            upstreams[ident] = label(api)
    if not upstreams:
        return
    for g in of_type(resources, CLIENT_GRANT):
        default_for = get(g.props, "defaultFor")
        audience = get(g.props, "audience")
        if default_for is UNKNOWN or audience is UNKNOWN or not default_for:
            continue
        if audience in upstreams:
            report(
                f"{label(g)} is a default grant ({default_for}) on {upstreams[audience]}, an upstream behind the "
                "gateway: every DCR or CIMD client could get a token for the upstream itself and call it "
                "around the gateway and its tool access. Remove the grant; only the gateway's own machine "
                "client is granted on an upstream.",
                g.urn,
            )


upstream_api_no_third_party_grant = StackValidationPolicy(
    name="upstream-api-no-third-party-grant",
    description="An upstream's Auth0 API (behind a gateway target) has no default client grant: "
    "third-party (DCR, CIMD) clients never get a token for it directly.",
    remediation_steps="Delete the ClientGrant with defaultFor on the upstream's API; the gateway's machine "
    "client holds the only grant on it.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_upstream_grant,
)


def _validate_enforced(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != MCP_GATEWAY:
        return
    opts = getattr(args, "opts", None)
    if opts is None or not getattr(opts, "protect", False):
        return
    mode = get(args.props, "policyEngine.mode")
    if mode == "LOG_ONLY":
        report(
            f"{label(args)} is protected (a production gateway) but its tool access is LOG_ONLY: AgentCore only "
            "logs the calls its policies would deny, and every caller may call every tool. Set "
            "toolAccess.mode: ENFORCE once the logs show the grants are right.",
            None,
        )


protected_gateway_enforces_tool_access = ResourceValidationPolicy(
    name="protected-gateway-enforces-tool-access",
    description="A protected gateway's policy engine enforces its tool access (mode ENFORCE, not LOG_ONLY).",
    remediation_steps="Set mcpauth:gateways[].toolAccess.mode to ENFORCE (LOG_ONLY is for rolling grants out).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_enforced,
)

POLICIES = [
    gateway_target_no_token_passthrough,
    upstream_api_no_third_party_grant,
    protected_gateway_enforces_tool_access,
]
