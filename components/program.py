"""The whole program: read the stack config once, build the components, export what people need.

`__main__.py` calls `main()`; the offline plan and the tests run this same function under
Pulumi's mocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_auth0 as auth0
import pulumi_aws as aws

from components.action import (
    DefaultRole,
    PostLoginClaims,
    PostLoginClaimsArgs,
    action_config,
    config_document,
    config_too_long,
)
from components.api import McpApiArgs
from components.gateway import McpGateway, McpGatewayArgs
from components.machine_client import MachineClient, MachineClientArgs
from components.references import (
    OWNER_REFERENCE,
    TENANT_OUTPUT,
    owner_role_id,
    team_api_identifiers,
    team_reference,
    tenant_output,
)
from components.tenant import TenantBaseline, TenantBaselineArgs
from rules import toolaccess
from rules.naming import client_component, gateway_component, gateway_physical_name
from rules.outputs import GatewayOutputs, StackOutputs
from rules.urls import aws_gateway_url, domain_resource_url, resource_url
from stackconfig.aws import HONOURED, REFUSED
from stackconfig.model import NAMESPACE, PROJECT_KEYS, TARGET_SECRETS, ConfigError
from stackconfig.settings import Settings, load_settings


def _known_keys() -> list[str]:
    """Every key the program reads: its own, and the provider keys it honours or refuses."""
    return [
        *(f"{NAMESPACE}:{k}" for k in PROJECT_KEYS),
        "auth0:domain",
        *(f"aws:{k}" for k in (*HONOURED, *REFUSED)),
    ]


def raw_config() -> tuple[dict[str, Any], frozenset[str]]:
    """The stack config as Pulumi hands it to the program, read through its public API, and the
    keys set with `--secret`.

    Values come from `pulumi.Config`. Which other `mcpauth:` keys exist (so that a misspelt one is
    reported, not ignored) and which keys are secrets come from what the language host gives every
    program: the PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS environment variables, read by
    `pulumi.runtime.get_config_env` and `get_config_secret_keys_env` (pulumi-language-python sets
    both; Pulumi's Java and .NET SDKs document them as "the environment variable key that the
    language plugin uses"). Under the mocks and the Automation API's inline programs, config comes
    from `set_all_config` instead, and `pulumi.runtime.is_config_secret` answers for those keys."""
    present = [k for k in pulumi.runtime.get_config_env() if k.startswith(NAMESPACE + ":")]
    keys: dict[str, Any] = {}
    for key in dict.fromkeys([*_known_keys(), *present]):
        namespace, _, name = key.partition(":")
        value = pulumi.Config(namespace).get(name)
        if value is not None:
            keys[key] = value
    from_host = set(pulumi.runtime.get_config_secret_keys_env())
    secret = frozenset(k for k in keys if k in from_host or pulumi.runtime.is_config_secret(k))
    return keys, secret


def estimated_action_config(settings: Settings, project: str) -> str:
    """The post-login Action's config as `PostLoginClaims` will write it, as long as it will be:
    each API identifier at its final length (a new gateway's id is its name, a hyphen and 10
    characters AWS picks; model GatewayId) and a role id as long as Auth0's (`rol_` and 16).
    Team stacks' APIs are only known through their StackReferences and are not in it."""
    cfg, tenant = settings.project, settings.project.tenant
    identifiers = []
    for gw in cfg.gateways:
        if gw.domain:
            identifiers.append(domain_resource_url(gw.domain))
        else:
            gid = (
                gw.existing_gateway_id
                or f"{gateway_physical_name(project, settings.stack, gw.name).lower()}-{'x' * 10}"
            )
            identifiers.append(resource_url(aws_gateway_url(gid, settings.aws_region)))
    role = cfg.default_role_spec
    return config_document(
        action_config(
            tenant.claims_namespace,
            identifiers,
            list(tenant.claims.include),
            tenant.claims.admin_email_domain,
            list(tenant.claims.elevated_permissions),
            tenant.claims.id_token,
            {"id": "rol_" + "x" * 16, "name": role.name, "connection": tenant.connection.name} if role else None,
            settings.auth0_domain if role else None,
            list(tenant.claims.extra_audiences),
        )
    )


def check_action_config(settings: Settings, project: str) -> None:
    """Refuse, before anything is declared, a post-login Action config Auth0 would refuse. Team
    stacks' APIs are counted by the Action's own check when their values arrive."""
    if not settings.project.tenant.manage:
        return
    problem = config_too_long(
        estimated_action_config(settings, project), f"{NAMESPACE}:gateways, {NAMESPACE}:tenant.claims"
    )
    if problem:
        raise ConfigError([problem])


def _secret_if(secret: bool, value: str) -> pulumi.Input[str]:
    return pulumi.Output.secret(value) if secret else value


def _tenant(settings: Settings) -> tuple[dict[str, pulumi.Input[str]], Callable[[dict[str, McpGateway]], None]]:
    """The tenant's roles' ids, and a function to call with the gateways once they are declared.
    Where this stack owns the tenant, the tenant baseline declares the roles; otherwise they are
    the owner's roles, found by name (the preview fails if one is missing).

    The baseline's roles come first because every gateway's API grants them permissions, while
    the tenant's default audience is one gateway's resource URL: the baseline declares its settings
    when given the gateways (TenantBaseline.attach), and the engine orders them after that gateway."""
    cfg, tenant = settings.project, settings.project.tenant
    if not tenant.manage:
        return _owner_role_ids(settings), lambda _gateways: None
    baseline = TenantBaseline(
        "tenant",
        TenantBaselineArgs(
            stack=settings.stack,
            dynamic_client_registration=tenant.dynamic_client_registration,
            client_id_metadata_documents=tenant.cimd_advertised,
            metadata_document_clients=tenant.cimd_clients,
            resource_parameter_profile=tenant.resource_parameter_profile,
            connection_name=tenant.connection.name,
            disable_signup=tenant.connection.disable_signup,
            connection_options=dict(tenant.connection.options),
            roles=cfg.role_specs,
            protect=cfg.protect,
        ),
    )

    def settle(gateways: dict[str, McpGateway]) -> None:
        audience = gateways[tenant.default_audience].resource_url if tenant.default_audience else None
        baseline.attach(audience)

    return dict(baseline.role_ids), settle


def _owner_role_ids(settings: Settings) -> dict[str, pulumi.Input[str]]:
    """A team stack's roles: from its owner's `tenant` output through a StackReference (Pulumi docs,
    "Stack references": `StackReference(<organization>/<project>/<stack>)`, read with
    `get_output`) when mcpauth:tenant.owner names it; otherwise found by name in the tenant."""
    cfg, tenant = settings.project, settings.project.tenant
    if tenant.owner is None:
        # Only the id is used: skip_permissions and skip_users "skip paginated API calls to
        # /api/v2/roles/{id}/permissions" and ".../users" (pulumi_auth0 get_role, bridged from
        # terraform-provider-auth0's auth0_role data source), which would read up to 1000 users.
        return {
            role.id: auth0.get_role_output(name=role.name, skip_permissions=True, skip_users=True).id
            for role in cfg.role_specs
        }
    owner = tenant.owner
    exported = pulumi.StackReference(OWNER_REFERENCE, stack_name=owner).get_output(TENANT_OUTPUT)

    def role_id(role_key: str) -> pulumi.Output[str]:
        def pick(value: Any) -> str:
            return owner_role_id(value, role_key, owner, tenant.third_party_clients)

        return exported.apply(pick)

    return {role.id: role_id(role.id) for role in cfg.role_specs}


def _team_audiences(settings: Settings) -> list[pulumi.Output[list[str]]]:
    """The owner's Action adds claims for its teams' APIs too: each team stack's API identifiers,
    from its `gateways` output through a StackReference (mcpauth:tenant.teamStacks)."""

    def identifiers(name: str) -> pulumi.Output[list[str]]:
        gateways = pulumi.StackReference(team_reference(name), stack_name=name).get_output("gateways")
        return gateways.apply(lambda value: team_api_identifiers(value, name))

    return [identifiers(name) for name in settings.project.tenant.team_stacks]


def _gateways(
    settings: Settings, discovery_url: pulumi.Input[str], role_ids: dict[str, pulumi.Input[str]]
) -> dict[str, McpGateway]:
    """One component per configured gateway: the AgentCore gateway, its role and authorizer, and
    its Auth0 API with the API's scopes, role permissions and third-party grant."""
    cfg = settings.project
    third_party = cfg.tenant.third_party_clients
    account_id = aws.get_caller_identity_output().account_id
    # The targets' API keys: read as one secret object, so each stays an Output marked secret.
    needs_secrets = any(t.credential == "apiKey" for gw in cfg.gateways for t in gw.targets)
    target_secrets = pulumi.Config(NAMESPACE).require_secret_object(TARGET_SECRETS) if needs_secrets else None
    return {
        gw.name: McpGateway(
            gateway_component(gw.name),
            McpGatewayArgs(
                gateway=gw.name,
                project=pulumi.get_project(),
                stack=settings.stack,
                # The Pulumi Cloud organization, or `organization` on a DIY backend (Pulumi SDK,
                # pulumi.get_organization; pulumi/pulumi#11390).
                organization=pulumi.get_organization(),
                description=gw.description,
                existing_gateway_id=gw.existing_gateway_id,
                domain=gw.domain,
                required_permissions=list(gw.required_permissions),
                mcp=gw.mcp.protocol_configuration(),
                discovery_url=discovery_url,
                region=settings.aws_region,
                aws_client=settings.aws_client,
                account_id=account_id,
                protect=cfg.protect,
                default_tags=settings.aws_default_tags,
                targets=list(gw.targets),
                tool_access=gw.tool_access,
                target_secrets=target_secrets,
                api=McpApiArgs(
                    display_name=f"MCP {gw.name} ({settings.stack})",
                    scopes=dict(cfg.scopes),
                    token_lifetime_seconds=gw.token_lifetime_seconds,
                    offline_access=gw.offline_access,
                    role_ids=role_ids,
                    roles={r.id: list(r.permissions) for r in cfg.role_specs},
                    previous_role_ids={r.id: r.previous_ids for r in cfg.role_specs},
                    third_party_scopes=settings.third_party_scopes(gw) if third_party else None,
                    protect=cfg.protect,
                ),
            ),
        )
        for gw in cfg.gateways
    }


def _default_role(settings: Settings, role_ids: dict[str, pulumi.Input[str]]) -> DefaultRole | None:
    """With tenant.defaultRole, the Action's means to give a new user that role."""
    cfg = settings.project
    role_spec = cfg.default_role_spec
    if not cfg.tenant.manage or role_spec is None:
        return None
    # Its own client, granted only create:role_members on the Management API ("Assign users to a
    # role", POST /api/v2/roles/{id}/users); the audience is the canonical domain's even with a
    # custom domain (Auth0: "for Auth0 APIs … continue to use your default tenant domain").
    assigner = MachineClient(
        "role-assigner",
        MachineClientArgs(
            display_name=f"mcpauth role assigner ({settings.stack})",
            audience=_secret_if(settings.domain_is_secret, f"https://{settings.auth0_domain}/api/v2/"),
            scopes=["create:role_members"],
            api_scopes=None,
        ),
    )
    return DefaultRole(
        role_id=role_ids[role_spec.id],
        role_name=role_spec.name,
        connection=cfg.tenant.connection.name,
        management_domain=_secret_if(settings.domain_is_secret, settings.auth0_domain),
        client_id=assigner.client_id,
        client_secret=assigner.client_secret,
    )


def _claims_action(settings: Settings, gateways: dict[str, McpGateway], default_role: DefaultRole | None) -> None:
    """The post-login Action, where this stack owns the tenant."""
    tenant = settings.project.tenant
    if not tenant.manage:
        return
    PostLoginClaims(
        "claims",
        PostLoginClaimsArgs(
            stack=settings.stack,
            namespace=tenant.claims_namespace,
            audiences=[gateway.api.identifier for gateway in gateways.values()],
            team_audiences=_team_audiences(settings),
            extra_audiences=list(tenant.claims.extra_audiences),
            claims=list(tenant.claims.include),
            admin_email_domain=tenant.claims.admin_email_domain,
            elevated_permissions=list(tenant.claims.elevated_permissions),
            id_token=tenant.claims.id_token,
            default_role=default_role,
        ),
    )


def _machine_clients(settings: Settings, gateways: dict[str, McpGateway]) -> dict[str, MachineClient]:
    return {
        mc.name: MachineClient(
            client_component(mc.name),
            MachineClientArgs(
                display_name=f"mcpauth {mc.name} ({settings.stack})",
                audience=gateways[mc.gateway].api.identifier,
                scopes=list(mc.scopes),
                api_scopes=gateways[mc.gateway].api.scopes,
            ),
        )
        for mc in settings.project.machine_clients
    }


def _gateway_outputs(
    gw: McpGateway, required_permissions: list[str]
) -> GatewayOutputs[pulumi.Input[str], pulumi.Input[list[str]]]:
    out: GatewayOutputs[pulumi.Input[str], pulumi.Input[list[str]]] = {
        "gatewayId": gw.gateway_id,
        "gatewayUrl": gw.gateway_url,
        "resourceUrl": gw.resource_url,
        "apiIdentifier": gw.api.identifier,
        "allowedAudiences": gw.allowed_audiences,
        "requiredPermissions": required_permissions,
    }
    # Each target's id, for `aws bedrock-agentcore-control synchronize-gateway-targets` and for
    # verify; absent without targets so that other stacks' outputs stay as they were.
    if gw.targets is not None:
        out["targets"] = dict(gw.targets.target_ids)
    if gw.policy_engine_id is not None:
        out["policyEngineId"] = gw.policy_engine_id
    return out


def build(settings: Settings) -> StackOutputs[pulumi.Input[str], pulumi.Input[list[str]]]:
    """Declare every resource for a validated stack; return the stack outputs."""
    cfg = settings.project
    # A value set with `--secret` stays one in state and outputs: the issuer and what comes from it.
    discovery_url = _secret_if(settings.issuer_is_secret, settings.discovery_url)
    role_ids, settle_tenant = _tenant(settings)
    gateways = _gateways(settings, discovery_url, role_ids)
    settle_tenant(gateways)
    _claims_action(settings, gateways, _default_role(settings, role_ids))
    clients = _machine_clients(settings, gateways)
    outputs: StackOutputs[pulumi.Input[str], pulumi.Input[list[str]]] = {
        "issuer": _secret_if(settings.issuer_is_secret, settings.issuer),
        "discoveryUrl": discovery_url,
        "tokenEndpoint": _secret_if(settings.issuer_is_secret, settings.token_endpoint),
        # What the tenant lets MCP clients do to register (the owner's flags; for other stacks,
        # what their config says the owner turned on): `make verify` checks the issuer agrees.
        "clientRegistration": {
            "dynamic": cfg.tenant.dynamic_client_registration,
            "metadataDocuments": cfg.tenant.cimd_advertised,
            # Manual CIMD: the clients registered here; dynamic CIMD (Early Access): any other.
            "metadataDocumentClients": cfg.tenant.cimd_clients,
            "dynamicMetadataDocuments": cfg.tenant.cimd_dynamic,
        },
        "gateways": {
            gw.name: _gateway_outputs(gateways[gw.name], list(gw.required_permissions)) for gw in cfg.gateways
        },
        "machineClients": {
            mc.name: {
                "gateway": mc.gateway,
                "clientId": clients[mc.name].client_id,
                "audience": gateways[mc.gateway].api.identifier,
                "scopes": list(mc.scopes),
            }
            for mc in cfg.machine_clients
        },
        # Secrets in their own output, so `pulumi stack output` shows the rest in plain text.
        "machineClientSecrets": pulumi.Output.secret({name: c.client_secret for name, c in clients.items()}),
    }
    for gw in cfg.gateways:
        # With targets: their tools and who may call which, for `make verify` (rules/outputs.py).
        if gw.targets:
            tools = {t.name: list(t.tool_names) for t in gw.targets}
            outputs["gateways"][gw.name]["targetTools"] = tools
            if gw.tool_access.grants:
                outputs["gateways"][gw.name]["toolGrants"] = toolaccess.expand_grants(gw.tool_access.grants, tools)
                outputs["gateways"][gw.name]["toolAccessMode"] = gw.tool_access.mode
    if cfg.tenant.manage:
        # What team stacks on this tenant read through a StackReference (mcpauth:tenant.owner).
        outputs[TENANT_OUTPUT] = tenant_output(role_ids, cfg.tenant)
    return outputs


def main() -> None:
    try:
        raw, secret_keys = raw_config()
        settings = load_settings(raw, pulumi.get_stack(), secret_keys)
        check_action_config(settings, pulumi.get_project())
    except ConfigError as e:
        # One clear message naming every bad key, and nothing declared.
        raise pulumi.RunError(str(e)) from None
    for key, value in build(settings).items():
        pulumi.export(key, value)
