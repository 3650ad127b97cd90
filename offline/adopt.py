"""Adopting a tenant that already exists: the `pulumi import --file` document, and what the first
`up` would reset on what is already there.

Every Auth0 resource the program declares is either importable (with the id Auth0 knows it by,
or where to find it) or listed in NEVER_THERE with the reason it cannot already exist: a test
holds the two together, so a new resource type cannot be forgotten here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from offline.engine import Evaluation, Registered
from offline.model import Plan
from rules.types import (
    ACTION,
    API,
    CLIENT,
    CLIENT_CREDENTIALS,
    CONNECTION,
    GATEWAY_TARGET,
    IAM_ROLE,
    ROLE,
    ROLE_PERMISSION,
    ROOT_STACK,
    TENANT,
)
from rules.types import API_SCOPES as SCOPES
from rules.types import CLIENT_GRANT as GRANT
from rules.types import (
    MCP_GATEWAY as GATEWAY,
)
from rules.types import TRIGGER_ACTION as BINDING

# Resources that cannot already exist, and why (so they are not in the import file).
NEVER_THERE = {
    CLIENT: "a machine client is new: one with the same name elsewhere is another client",
    CLIENT_CREDENTIALS: "belongs to a machine client this stack creates",
    IAM_ROLE: "the gateway's role is created with the gateway; an adopted gateway gets none",
    GATEWAY: "a gateway is adopted with existingGatewayId, not imported",
}

# The tenant settings resource of the provider ignores its id (`readTenant` reads
# /tenants/settings whatever it is: terraform-provider-auth0 internal/auth0/tenant/resource.go),
# so a fixed one per tenant needs no look-up.
_TENANT_ID_NS = uuid.UUID("2f0c8f9e-6f3e-4c55-9d0c-6d6370617574")


def _hint(what: str) -> str:
    return f"<{what}>"


def _known_identifier(r: Registered, by_urn: dict[str, Registered]) -> str | None:
    """An API identifier that can already be in the tenant: an adopted gateway's or a custom
    domain's resource URL. A new gateway's URL holds an id AWS has not made yet: nothing to import."""
    identifier = r.inputs.get("identifier") or r.inputs.get("resourceServerIdentifier") or r.inputs.get("audience")
    for g in by_urn.values():
        if g.type != GATEWAY or g.outputs.get("resourceUrl") != identifier:
            continue
        if g.inputs.get("existingGatewayId") or g.inputs.get("domain"):
            return str(identifier)
    return None


def _import_id(r: Registered, plan: Plan, by_urn: dict[str, Registered]) -> str | None:
    """The id `pulumi import` needs for `r`, a placeholder saying where to find it, or None when
    `r` cannot already exist."""
    name = r.inputs.get("name")
    if r.type == TENANT:
        return str(uuid.uuid5(_TENANT_ID_NS, plan.tenant.domain.lower() if plan.tenant else plan.stack))
    if r.type == CONNECTION:
        return _hint(f"the id of the connection named {name!r} (con_…; GET /api/v2/connections?name={name})")
    if r.type == ROLE:
        return _hint(f"the id of the role named {name!r} (rol_…; GET /api/v2/roles?name_filter={name})")
    if r.type == ACTION:
        return _hint(
            f"the id of the Action named {name!r}, if one exists (GET /api/v2/actions/actions?actionName={name})"
        )
    if r.type == BINDING:
        return f"{r.inputs.get('trigger')}::" + _hint("the id of that Action")
    if r.type == GATEWAY_TARGET:
        # An adopted gateway's targets can exist already (a new gateway has none). pulumi-aws
        # imports one as `<gatewayIdentifier>,<targetId>` (its AgentcoreGatewayTarget docs).
        gateway_id = r.inputs.get("gatewayIdentifier")
        adopted = any(
            g.type == GATEWAY and g.inputs.get("existingGatewayId") and g.outputs.get("gatewayId") == gateway_id
            for g in by_urn.values()
        )
        if not adopted:
            return None
        return f"{gateway_id}," + _hint(
            f"the targetId of target {name!r}, if it exists "
            f"(aws bedrock-agentcore-control list-gateway-targets --gateway-identifier {gateway_id})"
        )
    identifier = _known_identifier(r, by_urn)
    if identifier is None:
        return None
    if r.type == API:
        return _hint(f"the id of the API whose identifier is {identifier} (GET /api/v2/resource-servers)")
    if r.type == SCOPES:  # imported by the API's identifier (resourceserver/resource_scopes.go)
        return identifier
    if r.type == ROLE_PERMISSION:  # role_id::resource_server_identifier::permission (role/resource_permission.go)
        role = by_urn.get(next(iter(r.property_dependencies.get("roleId", [])), ""))
        role_name = role.inputs.get("name") if role else "its role"
        return f"{_hint(f'the id of the role {role_name!r}')}::{identifier}::{r.inputs.get('permission')}"
    if r.type == GRANT and r.inputs.get("defaultFor"):
        return _hint(
            f"the id of the grant with default_for third_party_clients on {identifier} "
            f"(GET /api/v2/client-grants?audience={identifier}); a second one is refused"
        )
    return None


def import_file(plan: Plan) -> dict[str, Any]:
    """A `pulumi import --file` document for the Auth0 resources an existing tenant may already
    hold, under the names and components the program declares, so the next `up` adopts them
    instead of failing on duplicates (or, for an API's scopes, on "Import the resource instead").
    Placeholders `<…>` say where to find an id; delete the entries that do not exist."""
    ev = plan.evaluation
    by_urn = ev.by_urn()
    resources: list[dict[str, Any]] = []
    components: dict[str, dict[str, Any]] = {}

    def placed(entry: dict[str, Any], r: Registered) -> dict[str, Any]:
        # A resource's URN carries its parent's whole type chain (Pulumi sdk/go/common/resource/
        # urn.go `NewURN`), so every ancestor component is in the file too, each under its own
        # parent; `parent` names another entry of the file (pulumi import, since 3.94).
        parent = by_urn.get(r.parent)
        if parent is not None and parent.type != ROOT_STACK:
            entry["parent"] = parent.name
            if parent.urn not in components:
                components[parent.urn] = placed({"type": parent.type, "name": parent.name, "component": True}, parent)
        return entry

    for r in sorted(ev.resources, key=lambda r: r.urn):
        if not r.custom:
            continue
        rid = _import_id(r, plan, by_urn)
        if rid is not None:
            resources.append(placed({"type": r.type, "name": r.name, "id": rid}, r))
    # Outermost first, so a component comes before every entry that names it as parent.
    ordered = sorted(components, key=lambda urn: (urn.split("::")[2].count("$"), urn))
    return {"resources": [components[urn] for urn in ordered] + resources}


# ------------------------------------------------------------ what the first `up` resets

# Tenant settings the provider sends as null when it *creates* auth0_tenant (a PATCH of the
# existing tenant): fetchNullableFields, gated by IsNewResource (internal/auth0/tenant/expand.go).
TENANT_NULLED_ON_CREATE = (
    "error_page",
    "default_token_quota",
    "skip_non_verifiable_callback_uri_confirmation_prompt",
    "country_codes",
    "mtls",
    "default_redirection_uri",  # sent as "" (fetchNullableFields)
)


def _tenant_note(r: Registered) -> str:
    return (
        f"{r.name}: the first `up` *creates* the tenant settings resource, and the provider's create "
        f'sends null (or "") for {", ".join(TENANT_NULLED_ON_CREATE)} (terraform-provider-auth0 '
        "internal/auth0/tenant/expand.go): a tenant that has any of them set loses it. Import it first "
        "(`--import-file` gives its id, no look-up needed); after that, updates leave those settings "
        "alone (ignoreChanges)."
    )


def _connection_note(r: Registered) -> str:
    kept = sorted(k for k in (r.inputs.get("options") or {}) if k not in ("disableSignup", "bruteForceProtection"))
    # The provider builds `options` from the program on every update, not only the first
    # (expandConnection, terraform-provider-auth0 internal/auth0/connection/expand.go), and Auth0's
    # PATCH /api/v2/connections/{id} overrides "the entire options object" (Management API docs).
    return (
        f"{r.name}: every `up` that updates connection {r.inputs.get('name')!r} (the first one after an "
        "import, and every later change to the connection) sends its whole options object, which Auth0 "
        "puts in place of the old one (the provider's expandConnection: internal/auth0/connection/"
        "expand.go; PATCH /api/v2/connections/{id}): every option not declared is reset (MFA, password "
        "history and dictionary, attributes, custom scripts), also one changed in the Dashboard since. "
        f"Declared: {', '.join(kept)}. List what it has to keep under mcpauth:tenant.connection.options."
    )


_NOTES: dict[str, Callable[[Registered], str]] = {TENANT: _tenant_note, CONNECTION: _connection_note}


# What an existing tenant must not have for MCP clients to sign in and stay signed in. Neither can
# be seen offline (the plan has no tenant access), so the plan and the import file say what to check.
ADOPTION_PREREQUISITES = (
    "no active Rules: `GET /api/v2/rules?enabled=true` must answer [] (clients registered with a "
    "Client ID Metadata Document fail to log in while the tenant has an active Rule: Auth0 docs, "
    "Client ID Metadata Document (CIMD) Registration; disable each with "
    '`PATCH /api/v2/rules/{id}` {"enabled": false} once its logic is an Action)',
    "no MFA demanded on a refresh: post-login Actions also run when a refresh token is exchanged "
    "(Auth0 docs, Actions, post-login trigger), and one that calls `api.multifactor.enable` there "
    "fails every MCP client's refresh; each Action bound to post-login "
    "(`GET /api/v2/actions/triggers/post-login/bindings`) that asks for MFA must return first when "
    "`event.transaction.protocol === 'oauth2-refresh-token'` (Auth0 docs, Use refresh tokens, "
    "Bypass MFA)",
)


def _prerequisites_note(r: Registered) -> str:
    checks = "; ".join(f"({i}) {c}" for i, c in enumerate(ADOPTION_PREREQUISITES, 1))
    return f"{r.name}: on a tenant that already exists, check by hand before the first `up`: {checks}."


def reset_notes(ev: Evaluation) -> list[str]:
    """What the first `up` would reset on Auth0 resources that already exist, per declared resource,
    and, where the stack owns the tenant settings, what an existing tenant must not have."""
    declared = [r for r in sorted(ev.resources, key=lambda r: r.urn) if r.type in _NOTES and not r.read]
    notes = [_NOTES[r.type](r) for r in declared]
    notes += [_prerequisites_note(r) for r in declared if r.type == TENANT]
    return notes
