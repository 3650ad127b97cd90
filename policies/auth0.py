"""Rules on the Auth0 side: the APIs, their scopes and roles, and the tenant settings MCP needs."""

from __future__ import annotations

from typing import Any

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
    GATEWAYS,
    UNKNOWN,
    api_scope_names,
    final_audiences,
    get,
    items,
    label,
    of_type,
    option,
    required_values,
    strings,
)
from rules.scopes import undefined_scope
from rules.types import (
    API,
    AUTHORIZER,
    CLIENT_GRANT,
    CONNECTION,
    ROLE_PERMISSION,
    ROLE_PERMISSIONS,
    TENANT,
    under_targets,
)
from rules.wiring import audience_resolution_problems

# One answer everywhere (verify, the sandbox, the pack): RS256. Third-party (DCR/CIMD) clients'
# tokens "must be RS256; HS256 not supported" (auth0.com/docs/get-started/applications/
# third-party-applications/security-controls); PS256 is an Auth0 add-on ("PS256 available via
# addon", Management API SigningAlgorithmEnum) that AgentCore's CUSTOM_JWT is not documented to accept.
_SAFE_ALGS = ("RS256",)
_AUTHZ_DIALECTS = ("access_token_authz", "rfc9068_profile_authz")


def _validate_signing(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != API:
        return
    alg = get(args.props, "signingAlg")
    if alg is UNKNOWN or alg is None:  # Auth0's default is RS256
        return
    if alg not in _SAFE_ALGS:
        report(
            f"{label(args)} signs with {alg!r}: a gateway verifies tokens with the tenant's public JWKS (HS256 "
            "shares the secret with every verifier), third-party clients' tokens must be RS256, and PS256 "
            "is neither documented for AgentCore nor checked by `make verify`. Use RS256.",
            None,
        )


api_signing_alg = ResourceValidationPolicy(
    name="api-signing-alg",
    description="Auth0 APIs sign tokens with RS256 (not HS256, not PS256).",
    remediation_steps="Set signingAlg to RS256 on the API (resource server).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_signing,
)


def _role_permission_pairs(resources: list[Any]) -> list[tuple[Any, str, Any]]:
    """(resource, API identifier, permission) for RolePermission and RolePermissions."""
    out = []
    for r in of_type(resources, ROLE_PERMISSION):
        out.append((r, get(r.props, "resourceServerIdentifier"), get(r.props, "permission")))
    for r in of_type(resources, ROLE_PERMISSIONS):
        for p in items(get(r.props, "permissions")):
            out.append((r, get(p, "resourceServerIdentifier"), get(p, "name")))
    return out


def _validate_rbac(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    with_roles = {ident for _, ident, _ in _role_permission_pairs(resources) if isinstance(ident, str)}
    for api in of_type(resources, API):
        ident = get(api.props, "identifier")
        if ident not in with_roles:
            continue
        enforce, dialect = get(api.props, "enforcePolicies"), get(api.props, "tokenDialect")
        if enforce is not UNKNOWN and enforce is not True:
            report(
                f"{label(api)} has roles but RBAC is off: Auth0 then grants any requested scope. "
                "Set enforcePolicies: true.",
                api.urn,
            )
        if dialect is not UNKNOWN and dialect not in _AUTHZ_DIALECTS:
            report(
                f"{label(api)} token dialect {dialect!r} leaves `permissions` out of access tokens, so the "
                "gateway's claim rules and the MCP tools see none. Set tokenDialect: access_token_authz.",
                api.urn,
            )


api_rbac_permissions_in_token = StackValidationPolicy(
    name="api-rbac-permissions-in-token",
    description="APIs that roles grant permissions on enforce RBAC and put permissions in the access token.",
    remediation_steps="Set enforcePolicies: true and tokenDialect: access_token_authz on the API.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_rbac,
)


def _validate_scopes(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    defined = api_scope_names(resources)

    def check(r: Any, ident: Any, scope: Any, what: str) -> None:
        if not isinstance(ident, str) or not isinstance(scope, str) or ident not in defined:
            return  # unknown at preview, or an API this stack does not define (e.g. the Management API)
        problem = undefined_scope(scope, defined[ident], f"on API {ident!r}")
        if problem:
            report(f"{label(r)} {what} {scope!r}: {problem}. Add the scope to the API or fix the name.", r.urn)

    for r, ident, perm in _role_permission_pairs(resources):
        check(r, ident, perm, "grants permission")
    for g in of_type(resources, CLIENT_GRANT):
        scopes = strings(get(g.props, "scopes"))
        for s in [] if scopes is UNKNOWN else scopes:
            check(g, get(g.props, "audience"), s, "grants scope")
    authorizers = of_type(resources, AUTHORIZER)
    for gw in of_type(resources, *GATEWAYS):
        audiences, source = final_audiences(gw, authorizers)
        if audiences is UNKNOWN or len(audiences) != 1:
            continue
        for w in required_values(source):
            check(source, audiences[0], w, "requires permission")


scopes_defined_on_api = StackValidationPolicy(
    name="scopes-defined-on-api",
    description="Every role permission, client grant scope and gateway claim rule names a scope its API defines.",
    remediation_steps="Define the scope on the API (ResourceServerScopes) or correct the name where it is used.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_scopes,
)


def _tenant(resources: list[Any]) -> Any:
    tenants = of_type(resources, TENANT)
    return tenants[0] if tenants else None


def _validate_third_party(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    tenant = _tenant(resources)
    cfg = args.get_config()
    if tenant is None and not cfg.get("thirdPartyClients"):
        return  # tenant settings live in another stack; set thirdPartyClients to check this one's APIs
    if tenant is not None:
        dcr = get(tenant.props, "flags.enableDynamicClientRegistration")
        cimd = get(tenant.props, "clientIdMetadataDocumentSupported")
        if dcr is not True and cimd is not True:
            return
        conns = [c for c in of_type(resources, CONNECTION) if get(c.props, "isDomainConnection") is True]
        if not conns and not cfg.get("domainConnectionElsewhere"):
            report(
                f"{label(tenant)} turns on DCR/CIMD but no connection in this stack is domain-level: "
                "third-party clients can only use domain-level connections, so their users cannot log in. "
                "Set isDomainConnection: true on a connection.",
                tenant.urn,
            )
    grants = {
        get(g.props, "audience")
        for g in of_type(resources, CLIENT_GRANT)
        if get(g.props, "defaultFor") == "third_party_clients"
    }
    # An upstream's API (a gateway target's) is for the gateway's own client only: no grant here.
    for api in [a for a in of_type(resources, API) if not under_targets(a.urn)]:
        ident = get(api.props, "identifier")
        if ident is UNKNOWN or UNKNOWN in grants or ident in grants:
            continue
        report(
            f"{label(api)} has no default grant for third-party clients: clients registered by DCR or CIMD "
            "cannot get a token for it. Add a ClientGrant with defaultFor: third_party_clients, "
            "subjectType: user and the scopes they may have.",
            api.urn,
        )


third_party_clients_ready = StackValidationPolicy(
    name="third-party-clients-ready",
    description="With DCR or CIMD on, a domain-level connection exists and each API has a default grant "
    "for third-party clients.",
    remediation_steps="Promote the users' connection to domain level and add a default third-party client "
    "grant (subjectType user) per API.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_third_party,
    config_schema=PolicyConfigSchema(
        properties={
            "thirdPartyClients": option(
                "boolean", False, "Check the default grants even when the tenant settings are in another stack."
            ),
            "domainConnectionElsewhere": option(
                "boolean", False, "A domain-level connection exists outside this stack."
            ),
        }
    ),
)


def _validate_audience_resolution(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    tenant = _tenant(resources)
    if tenant is None:
        return
    profile = get(tenant.props, "resourceParameterProfile")
    default = get(tenant.props, "defaultAudience")
    if profile is UNKNOWN or default is UNKNOWN:
        return
    gateways = of_type(resources, *GATEWAYS)
    for problem in audience_resolution_problems(profile, bool(default), len(gateways)):
        report(f"{label(tenant)}: {problem}", tenant.urn)


audience_resolution = StackValidationPolicy(
    name="audience-resolution",
    description="MCP clients' tokens get the right aud: a tenant default audience only with a single "
    "gateway on the tenant, and resource parameter profile `compatibility` unless a default audience serves it.",
    remediation_steps="Set the tenant's resourceParameterProfile to compatibility.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_validate_audience_resolution,
)

POLICIES = [
    api_signing_alg,
    api_rbac_permissions_in_token,
    scopes_defined_on_api,
    third_party_clients_ready,
    audience_resolution,
]
