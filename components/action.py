"""PostLoginClaims: the post-login Action that adds namespaced claims, deployed and bound.

The code is `actions/post-login.js`, unchanged per environment: the stack config reaches it as
one JSON Action secret (MCPAUTH_CONFIG), never by editing code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_auth0 as auth0

ACTION_FILE = Path(__file__).resolve().parent.parent / "actions" / "post-login.js"
RUNTIME = "node22"
CONFIG_SECRET = "MCPAUTH_CONFIG"
# "Each secret value may have a maximum length of 4096 characters" (Auth0 docs, Actions
# Limitations, https://auth0.com/docs/customize/actions/limitations). The config lists every API
# identifier (~100 characters for an AWS gateway URL): about 39 APIs fill it.
SECRET_VALUE_MAX = 4096


def config_document(config: dict[str, Any]) -> str:
    """The MCPAUTH_CONFIG secret's value, exactly as deployed."""
    return json.dumps(config, sort_keys=True)


def config_too_long(document: str, where: str) -> str | None:
    """The problem with a MCPAUTH_CONFIG value Auth0 would refuse, naming the cause and the limit."""
    if len(document) <= SECRET_VALUE_MAX:
        return None
    parsed = json.loads(document)
    apis = len(parsed.get("audiences", [])) + len(parsed.get("extraAudiences", []))
    return (
        f"{where}: the post-login Action's config (Action secret {CONFIG_SECRET}) would be "
        f"{len(document):,} characters, over Auth0's limit of {SECRET_VALUE_MAX:,} characters per Action "
        f"secret value (Auth0 docs, Actions limitations). It lists every API the Action adds claims for: "
        f"{apis} here (this stack's gateways, mcpauth:tenant.teamStacks' gateways and "
        "mcpauth:tenant.claims.extraAudiences). Use fewer gateways or extraAudiences on this tenant, or "
        "shorter API identifiers (mcpauth:gateways[].domain)"
    )


class ActionConfigTooLong(Exception):
    """The MCPAUTH_CONFIG value is over Auth0's secret limit (see config_too_long)."""


def _checked(config: dict[str, Any]) -> str:
    document = config_document(config)
    problem = config_too_long(document, "mcpauth:tenant")
    if problem:
        raise ActionConfigTooLong(problem)
    return document


def action_config(
    namespace: str,
    audiences: list[str],
    claims: list[str],
    admin_email_domain: str | None,
    elevated_permissions: list[str],
    id_token: bool,
    default_role: dict[str, str] | None = None,
    management_domain: str | None = None,
    extra_audiences: list[str] | None = None,
) -> dict[str, Any]:
    """The MCPAUTH_CONFIG document the Action reads (see actions/post-login.js). `audiences` are
    the MCP APIs (this stack's and its team stacks'): claims, and the default role on a login
    through `default_role["connection"]`; `extra_audiences` get the claims only."""
    mcp_apis = set(audiences)
    return {
        "defaultRole": default_role,
        "managementDomain": management_domain,
        "namespace": namespace if namespace.endswith("/") else namespace + "/",
        "audiences": sorted(mcp_apis),
        "extraAudiences": sorted(set(extra_audiences or ()) - mcp_apis),
        "claims": list(claims),
        "adminEmailDomain": admin_email_domain,
        "elevatedPermissions": list(elevated_permissions) if admin_email_domain else [],
        "idToken": id_token,
    }


@dataclass(frozen=True)
class PostLoginClaimsArgs:
    stack: str
    namespace: str
    # This stack's API identifiers (computed), its team stacks' (StackReferences) and others' (config).
    audiences: list[pulumi.Input[str]]
    extra_audiences: list[str]
    claims: list[str]
    admin_email_domain: str | None
    elevated_permissions: list[str]
    id_token: bool
    # The default role ({"id": rol_…, "name": …, "connection": …}) and what assigns it: the
    # tenant's canonical domain (the Management API's audience) and the assigner client's
    # credentials. Only logins through `connection` get the role.
    default_role: DefaultRole | None = None
    team_audiences: Sequence[pulumi.Input[list[str]]] = field(default_factory=list)


@dataclass(frozen=True)
class DefaultRole:
    role_id: pulumi.Input[str]
    role_name: str
    # The name of the connection the stack manages (mcpauth:tenant.connection.name): the Action
    # compares it with event.connection.name (Auth0 docs, post-login event object).
    connection: str
    management_domain: pulumi.Input[str]
    client_id: pulumi.Input[str]
    client_secret: pulumi.Input[str]


class PostLoginClaims(pulumi.ComponentResource):
    def __init__(self, name: str, args: PostLoginClaimsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcpauth:index:PostLoginClaims", name, None, opts)

        dr = args.default_role
        role_id = dr.role_id if dr else ""
        # The management domain is an Output when auth0:domain is a secret: the whole document
        # is then one (a secret anywhere in an Output makes all of it secret).
        management_domain = dr.management_domain if dr else None
        teams = pulumi.Output.all(*args.team_audiences)
        config = pulumi.Output.all(
            pulumi.Output.from_input(role_id), pulumi.Output.from_input(management_domain), teams, *args.audiences
        ).apply(
            lambda vals: action_config(
                args.namespace,
                list(dict.fromkeys([*vals[3:], *(a for team in vals[2] for a in team)])),
                args.claims,
                args.admin_email_domain,
                args.elevated_permissions,
                args.id_token,
                {"id": vals[0], "name": dr.role_name, "connection": dr.connection} if dr else None,
                vals[1],
                args.extra_audiences,
            )
        )
        # Checked when its value is known, team stacks' APIs included (the program checks what it
        # knows before declaring anything: components/program.py `check_action_config`).
        secrets = [auth0.ActionSecretArgs(name=CONFIG_SECRET, value=config.apply(_checked))]
        if dr:
            # Action secrets, never code: the provider marks their values sensitive and never
            # reads them back (action/resource.go, flatten.go).
            secrets += [
                auth0.ActionSecretArgs(name="MCPAUTH_ASSIGNER_CLIENT_ID", value=dr.client_id),
                auth0.ActionSecretArgs(
                    name="MCPAUTH_ASSIGNER_CLIENT_SECRET", value=pulumi.Output.secret(dr.client_secret)
                ),
            ]
        action = auth0.Action(
            f"{name}-action",
            name=f"mcpauth-claims-{args.stack}",
            code=ACTION_FILE.read_text(),
            runtime=RUNTIME,
            # deploy: the provider builds and deploys the version before the create returns.
            deploy=True,
            supported_triggers=auth0.ActionSupportedTriggersArgs(id="post-login", version="v3"),
            secrets=secrets,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # One binding, not TriggerActions: this leaves every other Action on post-login in place.
        # It waits for the deployed Action through its input (action_id is the Action's output, so
        # Pulumi creates the binding only after the Action and its version exist); no depends_on.
        auth0.TriggerAction(
            f"{name}-binding",
            trigger="post-login",
            action_id=action.id,
            display_name=action.name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"actionId": action.id})
