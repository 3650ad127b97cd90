"""McpApi: the Auth0 API (resource server) whose identifier is a gateway's MCP resource URL."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_auth0 as auth0

from rules.naming import role_grants, role_permission_name, role_permission_old_names


@dataclass(frozen=True)
class McpApiArgs:
    """Everything about a gateway's API but its identifier, which the gateway's component hands it:
    the gateway's resource URL, built once (components/gateway.py)."""

    display_name: str
    scopes: dict[str, str]
    token_lifetime_seconds: int
    # Refresh tokens for this API (config gateways[].offlineAccess).
    offline_access: bool
    # role id (config) -> Auth0 role id (created by the tenant stack or looked up by name)
    role_ids: dict[str, pulumi.Input[str]]
    # role id -> the scopes it holds on this API
    roles: dict[str, list[str]]
    # role id -> the ids it had before (aliases)
    previous_role_ids: dict[str, tuple[str, ...]]
    # None: no default grant (DCR and CIMD are both off on the tenant)
    third_party_scopes: list[str] | None
    protect: bool


class McpApi(pulumi.ComponentResource):
    identifier: pulumi.Output[str]
    resource_server: auth0.ResourceServer
    scopes: auth0.ResourceServerScopes

    def __init__(
        self,
        name: str,
        args: McpApiArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        identifier: pulumi.Input[str],
    ) -> None:
        super().__init__("mcpauth:index:McpApi", name, None, opts)

        self.resource_server = auth0.ResourceServer(
            f"{name}-api",
            name=args.display_name,
            identifier=identifier,
            signing_alg="RS256",
            # RBAC on, and the user's permissions in the access token: the gateway's claim
            # rules and the MCP tools decide on `permissions`, not on requested scopes.
            enforce_policies=True,
            token_dialect="access_token_authz",
            token_lifetime=args.token_lifetime_seconds,
            # MCP clients stay signed in: they may ask for refresh tokens (`offline_access`). How
            # long those last, and their rotation, are per-client settings that Auth0 gives
            # DCR/CIMD (third-party) clients itself: rotation on for SPA and native ones, no
            # non-expiring tokens (auth0.com/docs/get-started/applications/third-party-applications/
            # security-controls); the program creates no interactive client to set them on.
            allow_offline_access=args.offline_access,
            skip_consent_for_verifiable_first_party_clients=True,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.identifier = self.resource_server.identifier

        self.scopes = auth0.ResourceServerScopes(
            f"{name}-scopes",
            resource_server_identifier=self.resource_server.identifier,
            scopes=[
                auth0.ResourceServerScopesScopeArgs(name=scope, description=description)
                for scope, description in args.scopes.items()
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Auth0 rejects a permission on a role until the API defines that scope.
        after_scopes = pulumi.ResourceOptions(parent=self, depends_on=[self.scopes])

        for role, scope in role_grants(args.roles):
            old = role_permission_old_names(name, [role, *args.previous_role_ids.get(role, ())], scope)
            auth0.RolePermission(
                role_permission_name(name, role, scope),
                role_id=args.role_ids[role],
                permission=scope,
                resource_server_identifier=self.resource_server.identifier,
                # Under an earlier name it is the same permission: re-created under the new one
                # and then deleted under the old, Auth0 would lose it (one DELETE for both).
                opts=pulumi.ResourceOptions.merge(
                    after_scopes, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=n) for n in old])
                ),
            )

        if args.third_party_scopes is not None:
            # Clients registered by DCR or CIMD are third-party: without a default grant for
            # them on this API they cannot get a token for it at all.
            auth0.ClientGrant(
                f"{name}-third-party-grant",
                audience=self.resource_server.identifier,
                default_for="third_party_clients",
                subject_type="user",
                scopes=args.third_party_scopes,
                opts=after_scopes,
            )

        self.register_outputs({"identifier": self.identifier})
