"""TenantBaseline: the tenant-wide Auth0 settings an MCP deployment depends on.

Only the stack with `mcpauth:tenant.manage: true` declares it. These settings are shared by
every gateway on the tenant, so exactly one stack may own them; the others look roles up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_auth0 as auth0

from rules.naming import cimd_slug
from stackconfig.model import RoleSpec


@dataclass(frozen=True)
class TenantBaselineArgs:
    stack: str
    dynamic_client_registration: bool
    # Whether the tenant advertises CIMD: on only with clients below or dynamic CIMD (config).
    client_id_metadata_documents: bool
    resource_parameter_profile: str
    connection_name: str
    disable_signup: bool
    # Options of an existing connection to keep (config `connection.options`).
    connection_options: dict[str, Any]
    roles: list[RoleSpec]
    protect: bool
    # The metadata document URLs of the CIMD clients to register (manual CIMD).
    metadata_document_clients: list[str] = field(default_factory=list)


class TenantBaseline(pulumi.ComponentResource):
    """Declared in two steps around the gateways: the connection and the roles first (every
    gateway's API grants the roles permissions), then `attach` with the default audience, one
    gateway's resource URL."""

    role_ids: dict[str, pulumi.Output[str]]
    cimd_client_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: TenantBaselineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcpauth:index:TenantBaseline", name, None, opts)
        self._base, self._args = name, args
        self.cimd_client_ids = {}

        connection = auth0.Connection(
            f"{name}-connection",
            name=args.connection_name,
            strategy="auth0",
            # Third-party (DCR/CIMD) clients can only log users in through domain-level
            # connections; without this they reach a login page with no way in.
            is_domain_connection=True,
            # The whole options object, on every update (not only the first): the provider builds
            # it from the program each time (expandConnection, internal/auth0/connection/expand.go)
            # and Auth0's PATCH replaces it wholesale, so any option not declared here
            # (connection.options), even one set in the Dashboard later, is reset; `make plan` says so.
            options=auth0.ConnectionOptionsArgs(
                **{
                    "password_policy": "good",
                    **args.connection_options,
                    "disable_signup": args.disable_signup,
                    "brute_force_protection": True,
                }
            ),
            # mcpauth:protect covers it: deleting or replacing it (a rename: `name` is ForceNew,
            # connection/schema.go) deletes every user of the connection.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

        # Keyed by the role's stable id, so a new display name is an update (the provider's
        # `name` is not ForceNew: role/resource.go), and a new id an alias, never a delete that
        # takes every user's assignment with it.
        self.role_ids = {}
        for role in args.roles:
            r = auth0.Role(
                f"{name}-role-{role.id}",
                name=role.name,
                description=f"{role.name} (managed by mcpauth stack {args.stack})",
                # Protected with mcpauth:protect: deleting a role (a short-form rename is one) loses
                # every user's assignment of it.
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protect,
                    aliases=[pulumi.Alias(name=f"{name}-role-{pid}") for pid in role.previous_ids],
                ),
            )
            self.role_ids[role.id] = r.id

        self._connection_id = connection.id

    def attach(self, default_audience: pulumi.Input[str] | None) -> None:
        """The tenant settings, with the default audience (one gateway's resource URL, or None to
        clear it), and the CIMD clients after them. Declared once the gateways are, so that no
        input waits on a forward reference: one left unresolved by an error would hang the run
        (docs/assumptions.md#a-forward-reference-left-unresolved-hangs-the-run)."""
        name, args = self._base, self._args
        settings = auth0.Tenant(
            f"{name}-settings",
            # Only the DCR flag. `enable_client_connections` is left as the tenant has it (the
            # provider sends only the flags set: tenant/expand.go): it decides "whether all current
            # connections should be enabled when a new client is created" (Management API,
            # tenant settings flags), and Auth0 recommends it off. DCR/CIMD clients are third-party
            # and log in only through domain-level connections ("you must promote connections to
            # the domain level when you use Dynamic Client Registration", auth0.com/docs/
            # authenticate/identity-providers/promote-connections-to-domain-level), which it
            # does not affect.
            flags=auth0.TenantFlagsArgs(enable_dynamic_client_registration=args.dynamic_client_registration),
            client_id_metadata_document_supported=args.client_id_metadata_documents,
            # `compatibility`: Auth0 accepts RFC 8707 `resource` (what MCP clients send) as the
            # audience, so no single tenant-wide default audience is needed.
            resource_parameter_profile=args.resource_parameter_profile,
            # The owning stack owns this setting: "" clears one set by hand.
            default_audience=default_audience if default_audience is not None else "",
            # Settings this program does not own and the provider would null on an update where
            # they differ from state (non-computed: tenant/resource.go; fetchNullableFields in
            # tenant/expand.go). After an import, the imported values stay as they are.
            # defaultRedirectionUri too: fetchNullableFields sends "" for it whenever it is new or
            # changed and unset in the program, and an adopted tenant's value (recorded in the
            # state's inputs by an import or refresh) otherwise reads as a change on every preview,
            # failing the drift job. ignoreChanges keeps the state's value (Pulumi docs, resource
            # options, ignoreChanges), so the provider sees no change and sends nothing.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                ignore_changes=[
                    "errorPage",
                    "defaultTokenQuota",
                    "skipNonVerifiableCallbackUriConfirmationPrompt",
                    "countryCodes",
                    "defaultRedirectionUri",
                ],
            ),
        )

        # Manual CIMD registration: Auth0 fetches each document and keeps a third-party client whose
        # id is the URL (auth0.com/docs/get-started/auth0-overview/create-applications/
        # register-applications-with-cimd). The provider's ClientCimd "requires the
        # client_id_metadata_document_supported tenant setting to be enabled" (pulumi_auth0
        # client_cimd.py), hence after the settings. Everything else comes from the document.
        for url in args.metadata_document_clients:
            client = auth0.ClientCimd(
                f"{name}-cimd-{cimd_slug(url)}",
                external_client_id=url,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[settings], protect=args.protect),
            )
            self.cimd_client_ids[url] = client.client_id

        self.register_outputs(
            {"connectionId": self._connection_id, "roleIds": self.role_ids, "cimdClientIds": self.cimd_client_ids}
        )
