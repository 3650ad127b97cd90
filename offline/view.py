"""A typed view of a plan, for what stands it up (the sandbox): per gateway, API, client and role,
the values `pulumi up` would set, each read from the resource that holds it or from the stack
outputs. The plan's records are read here and only here, found by the type tokens offline already
uses (`rules.types`); a consumer
reads these fields and never a record, a type string or a resource name.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from offline.engine import SECRET, Evaluation
from offline.model import Plan
from rules.toolaccess import TOOL_SEPARATOR
from rules.types import (
    ACTION,
    API,
    API_SCOPES,
    CLIENT,
    CLIENT_CIMD,
    CLIENT_GRANT,
    CONNECTION,
    GATEWAY_TARGET,
    OAUTH2_PROVIDER,
    POLICY,
    ROLE,
    ROLE_PERMISSION,
    TENANT,
    under_targets,
)
from rules.types import MCP_GATEWAY as GATEWAY

# The post-login Action's configuration (components/action.py), one of its secrets.
ACTION_CONFIG = "MCPAUTH_CONFIG"
# A client grant that is the API's default for third-party (DCR and CIMD) clients.
THIRD_PARTY = "third_party_clients"


@dataclass(frozen=True)
class TargetView:
    """One gateway target as CreateGatewayTarget receives it (components/targets.py)."""

    name: str
    kind: str  # the targetConfiguration.mcp member: mcpServer, lambda, openApiSchema, smithyModel
    endpoint: str  # mcpServer: the upstream's URL, as configured; "" for the others
    # lambda: its declared tools as MCP lists them (name, description, inputSchema as JSON Schema);
    # mcpServer: the tools the config names (stack output `targets`), else those its policies name.
    tools: tuple[Mapping[str, Any], ...]
    credential: str  # the credentialProviderConfiguration member: oauth, apiKey, gatewayIamRole
    # oauth: the gateway's own machine client for the upstream, and what it asks for.
    client_id: str = ""
    audience: str = ""
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GatewayView:
    """One gateway: its URLs and its CUSTOM_JWT authorizer as the gateway resource sets them."""

    name: str  # as the config and the stack outputs name it
    gateway_id: str
    gateway_url: str
    resource_url: str
    api_identifier: str
    discovery_url: str
    allowed_audiences: tuple[str, ...]
    allowed_clients: tuple[str, ...]
    allowed_scopes: tuple[str, ...]
    custom_claims: tuple[Mapping[str, Any], ...]  # AgentCore's claim rules (rules/claims.py)
    required_permissions: tuple[str, ...]
    gateway_arn: str = ""
    targets: tuple[TargetView, ...] = ()
    # The policy engine's mode (ENFORCE, LOG_ONLY; "" without an engine) and its Cedar statements,
    # as the AgentcorePolicy resources hold them (the gateway's ARN already in them).
    policy_mode: str = ""
    policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class ApiView:
    """One Auth0 API (resource server)."""

    identifier: str
    scopes: tuple[str, ...]
    allow_offline_access: bool
    # The scopes of its default grant for third-party clients; None when it has none.
    third_party_scopes: tuple[str, ...] | None


@dataclass(frozen=True)
class ClientView:
    """One Auth0 client the stack declares (machine clients, the role assigner)."""

    name: str  # as the stack outputs name a machine client; else the resource's name
    client_id: str
    grant_types: tuple[str, ...]
    grants: Mapping[str, tuple[str, ...]]  # audience -> scopes, from its client grants


@dataclass(frozen=True)
class RoleView:
    """One role's permissions. A role the stack only refers to (by id: a stack that does not own
    the tenant) is named by that id."""

    name: str
    permissions: Mapping[str, tuple[str, ...]]  # API identifier -> permissions
    # Auth0's id of the role: what a team stack's role permissions name, and what its owner's roles
    # are known by (a sandbox of a team stack names the owner's roles through it).
    role_id: str = ""


@dataclass(frozen=True)
class TenantSettings:
    """What the stack sets on the tenant; None where it sets nothing (a stack that does not own it)."""

    resource_parameter_profile: str | None
    default_audience: str | None
    dynamic_registration: bool
    metadata_documents: bool  # the tenant advertises CIMD
    # Manual CIMD: the metadata document URLs registered as clients (ClientCimd); dynamic CIMD
    # (Early Access): any other document is accepted too.
    metadata_document_clients: tuple[str, ...]
    dynamic_metadata_documents: bool
    domain_connection: bool
    action_config: str | None  # the post-login Action's MCPAUTH_CONFIG (JSON); None without it or when secret


@dataclass(frozen=True)
class PlanView:
    stack: str
    issuer: str
    gateways: tuple[GatewayView, ...]
    apis: tuple[ApiView, ...]
    clients: tuple[ClientView, ...]
    roles: tuple[RoleView, ...]
    tenant: TenantSettings
    outputs: Mapping[str, Any]  # the stack outputs, as `pulumi stack output` shows them (secrets masked)

    def gateway(self, name: str) -> GatewayView:
        return next(g for g in self.gateways if g.name == name)


def plan_view(plan: Plan) -> PlanView:
    """The view of an offline plan (offline.plan.make_plan)."""
    return evaluation_view(plan.evaluation)


def evaluation_view(ev: Evaluation) -> PlanView:
    outputs = copy.deepcopy(ev.outputs)
    registration = outputs.get("clientRegistration") or {}
    tenant = ev.of_type(TENANT)
    tenant_inputs = tenant[0].inputs if tenant else {}
    return PlanView(
        stack=ev.stack,
        issuer=str(outputs["issuer"]),
        gateways=_gateways(ev, outputs),
        apis=_apis(ev),
        clients=_clients(ev, outputs),
        roles=_roles(ev),
        tenant=TenantSettings(
            resource_parameter_profile=tenant_inputs.get("resourceParameterProfile") or None,
            default_audience=tenant_inputs.get("defaultAudience") or None,
            dynamic_registration=bool(registration.get("dynamic")),
            metadata_documents=bool(registration.get("metadataDocuments")),
            metadata_document_clients=tuple(str(r.inputs["externalClientId"]) for r in ev.of_type(CLIENT_CIMD)),
            dynamic_metadata_documents=bool(registration.get("dynamicMetadataDocuments")),
            domain_connection=any(c.inputs.get("isDomainConnection") for c in ev.of_type(CONNECTION)),
            action_config=_action_config(ev),
        ),
        outputs=outputs,
    )


def _gateways(ev: Evaluation, outputs: Mapping[str, Any]) -> tuple[GatewayView, ...]:
    # Which gateway resource is which output: by the id AWS gave it (the stack outputs name it), not
    # by how the program names its components.
    named = {str(out["gatewayId"]): name for name, out in outputs["gateways"].items()}
    targets = _targets(ev)
    views = []
    for g in ev.of_type(GATEWAY):
        name = named[str(g.outputs["gatewayId"])]
        out = outputs["gateways"][name]
        views.append(
            GatewayView(
                name=name,
                gateway_id=str(out["gatewayId"]),
                gateway_url=str(out.get("gatewayUrl") or g.outputs.get("gatewayUrl") or ""),
                resource_url=str(out["resourceUrl"]),
                api_identifier=str(out.get("apiIdentifier") or ""),
                discovery_url=str(g.inputs["discoveryUrl"]),
                allowed_audiences=tuple(g.outputs.get("allowedAudiences") or ()),
                allowed_clients=tuple(g.inputs.get("allowedClients") or ()),
                allowed_scopes=tuple(g.inputs.get("allowedScopes") or ()),
                custom_claims=tuple(g.inputs.get("customClaims") or ()),
                required_permissions=tuple(out.get("requiredPermissions") or ()),
                gateway_arn=str(g.outputs.get("gatewayArn") or ""),
                targets=tuple(
                    _listed(t, (out.get("targetTools") or {}).get(t.name))
                    for t in targets
                    if t.gateway_id == str(out["gatewayId"])
                ),
                policy_mode=str((g.inputs.get("policyEngine") or {}).get("mode") or ""),
                policies=_policies(ev, (g.inputs.get("policyEngine") or {}).get("arn")),
            )
        )
    # In config order (the outputs'), not in the order the engine registered them: a gateway
    # with targets waits for its role's permissions first.
    order = list(outputs["gateways"])
    return tuple(sorted(views, key=lambda v: order.index(v.name)))


@dataclass(frozen=True)
class _Target(TargetView):
    gateway_id: str = ""


def _json_schema(declared: Mapping[str, Any]) -> dict[str, Any]:
    """A declared tool's inputSchema as JSON Schema: pulumi-aws's SchemaDefinition lists
    `properties` as items with `name` and `required` (the AWS model's map, as a list)."""
    schema: dict[str, Any] = {"type": declared.get("type", "object")}
    if declared.get("description"):
        schema["description"] = declared["description"]
    props = declared.get("properties")
    if isinstance(props, list):
        schema["properties"] = {
            p["name"]: _json_schema({k: v for k, v in p.items() if k not in ("name", "required")}) for p in props
        }
        required = [p["name"] for p in props if p.get("required")]
        if required:
            schema["required"] = required
    elif isinstance(props, dict):
        schema["properties"] = {k: _json_schema(v) for k, v in props.items()}
    if isinstance(declared.get("items"), dict):
        schema["items"] = _json_schema(declared["items"])
    return schema


def _targets(ev: Evaluation) -> list[_Target]:
    providers = {str(p.outputs.get("credentialProviderArn")): p for p in ev.of_type(OAUTH2_PROVIDER)}
    # What the policies name per target: an MCP server's tools are the upstream's to list.
    granted: dict[str, set[str]] = {}
    for p in ev.of_type(POLICY):
        statement = str(((p.inputs.get("definition") or {}).get("cedar") or {}).get("statement") or "")
        for action in re.findall(r'AgentCore::Action::"([^"]+)"', statement):
            target, _, tool = action.partition(TOOL_SEPARATOR)
            granted.setdefault(target, set()).add(tool)
    views = []
    for t in ev.of_type(GATEWAY_TARGET):
        mcp = (t.inputs.get("targetConfiguration") or {}).get("mcp") or {}
        kind = next(iter(mcp), "")
        member = mcp.get(kind) or {}
        credential_config = t.inputs.get("credentialProviderConfiguration") or {}
        credential = next(iter(credential_config), "")
        oauth = credential_config.get("oauth") or {}
        provider = providers.get(str(oauth.get("providerArn")))
        custom = ((provider.inputs.get("oauth2ProviderConfig") or {}) if provider else {}).get(
            "customOauth2ProviderConfig"
        ) or {}
        if kind == "lambda":
            inline = (member.get("toolSchema") or {}).get("inlinePayloads") or []
            tools: tuple[Mapping[str, Any], ...] = tuple(
                {
                    "name": d["name"],
                    "description": d.get("description", ""),
                    "inputSchema": _json_schema(d.get("inputSchema") or {}),
                }
                for d in inline
            )
        else:
            names = sorted(granted.get(str(t.inputs["name"]), ()))
            tools = tuple({"name": n, "description": "", "inputSchema": {"type": "object"}} for n in names)
        views.append(
            _Target(
                name=str(t.inputs["name"]),
                kind=kind,
                endpoint=str(member.get("endpoint") or ""),
                tools=tools,
                credential=credential,
                client_id=str(custom.get("clientId") or ""),
                audience=str((oauth.get("customParameters") or {}).get("audience") or ""),
                scopes=tuple(oauth.get("scopes") or ()),
                gateway_id=str(t.inputs.get("gatewayIdentifier") or ""),
            )
        )
    return views


def _listed(target: _Target, names: Any) -> _Target:
    """An MCP server's tools as the stack outputs name them (`targetTools`), where they do."""
    if target.kind != "mcpServer" or not isinstance(names, list):
        return target
    tools = tuple({"name": str(n), "description": "", "inputSchema": {"type": "object"}} for n in names)
    return dataclasses.replace(target, tools=tools)


def _policies(ev: Evaluation, engine_arn: object) -> tuple[str, ...]:
    """The Cedar statements of the policies in the engine `engine_arn` (its id ends the ARN)."""
    if not isinstance(engine_arn, str) or not engine_arn:
        return ()
    engine_id = engine_arn.rsplit("/", 1)[-1]
    return tuple(
        str(p.inputs["definition"]["cedar"]["statement"])
        for p in ev.of_type(POLICY)
        if p.inputs.get("policyEngineId") == engine_id
    )


def _apis(ev: Evaluation) -> tuple[ApiView, ...]:
    scopes: dict[str, tuple[str, ...]] = {}
    # The gateways' APIs: an upstream's (a target's, under_targets) is not one users get tokens for.
    for r in [r for r in ev.of_type(API_SCOPES) if not under_targets(r.urn)]:
        scopes[r.inputs["resourceServerIdentifier"]] = tuple(s["name"] for s in r.inputs.get("scopes", []))
    offline_access: dict[str, bool] = {}
    for r in [r for r in ev.of_type(API) if not under_targets(r.urn)]:
        scopes.setdefault(r.inputs["identifier"], ())
        offline_access[r.inputs["identifier"]] = bool(r.inputs.get("allowOfflineAccess"))
    third_party = {
        g.inputs["audience"]: tuple(g.inputs.get("scopes", []))
        for g in ev.of_type(CLIENT_GRANT)
        if g.inputs.get("defaultFor") == THIRD_PARTY
    }
    return tuple(
        ApiView(ident, s, offline_access.get(ident, False), third_party.get(ident)) for ident, s in scopes.items()
    )


def _clients(ev: Evaluation, outputs: Mapping[str, Any]) -> tuple[ClientView, ...]:
    names = {v["clientId"]: k for k, v in (outputs.get("machineClients") or {}).items()}
    grants: dict[str, dict[str, tuple[str, ...]]] = {}
    for g in ev.of_type(CLIENT_GRANT):
        if g.inputs.get("clientId"):
            grants.setdefault(g.inputs["clientId"], {})[g.inputs["audience"]] = tuple(g.inputs.get("scopes", []))
    return tuple(
        ClientView(
            name=names.get(r.outputs["clientId"], r.name),
            client_id=r.outputs["clientId"],
            grant_types=tuple(r.inputs.get("grantTypes", [])),
            grants=grants.get(r.outputs["clientId"], {}),
        )
        for r in ev.of_type(CLIENT)
    )


def _roles(ev: Evaluation) -> tuple[RoleView, ...]:
    names = {r.outputs.get("id") or r.id: r.inputs.get("name", r.name) for r in ev.of_type(ROLE)}
    permissions: dict[str, dict[str, list[str]]] = {}
    ids: dict[str, str] = {}
    for rp in ev.of_type(ROLE_PERMISSION):
        role = str(names.get(rp.inputs.get("roleId"), rp.inputs.get("roleId")))
        ids[role] = str(rp.inputs.get("roleId") or "")
        per_api = permissions.setdefault(role, {})
        per_api.setdefault(rp.inputs["resourceServerIdentifier"], []).append(rp.inputs["permission"])
    return tuple(
        RoleView(role, {api: tuple(perms) for api, perms in per_api.items()}, ids[role])
        for role, per_api in permissions.items()
    )


def _action_config(ev: Evaluation) -> str | None:
    """The Action's MCPAUTH_CONFIG as the plan holds it (JSON), unless the plan reads it as a secret."""
    for action in ev.of_type(ACTION):
        for secret in action.inputs.get("secrets", []):
            value = secret.get("value")
            if secret.get("name") == ACTION_CONFIG and isinstance(value, str) and value != SECRET:
                return value
    return None
