"""MachineClient: a client-credentials Auth0 application granted scopes on one gateway's API."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_auth0 as auth0


@dataclass(frozen=True)
class MachineClientArgs:
    display_name: str
    audience: pulumi.Input[str]
    scopes: list[str]
    # The API's scopes resource, when the API is ours: the grant waits for it. None for Auth0's
    # own Management API, whose scopes always exist.
    api_scopes: auth0.ResourceServerScopes | None


class MachineClient(pulumi.ComponentResource):
    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]

    def __init__(self, name: str, args: MachineClientArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcpauth:index:MachineClient", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        client = auth0.Client(
            f"{name}-client",
            name=args.display_name,
            app_type="non_interactive",
            # Only client credentials: a leaked secret of a smoke-test client must not be
            # usable for anything but minting tokens for its one API.
            grant_types=["client_credentials"],
            is_first_party=True,
            oidc_conformant=True,
            jwt_configuration=auth0.ClientJwtConfigurationArgs(alg="RS256"),
            opts=child,
        )
        credentials = auth0.ClientCredentials(
            f"{name}-credentials",
            client_id=client.client_id,
            authentication_method="client_secret_post",
            opts=child,
        )
        auth0.ClientGrant(
            f"{name}-grant",
            client_id=client.client_id,
            audience=args.audience,
            scopes=args.scopes,
            subject_type="client",
            # The grant names scopes; Auth0 rejects it until the API defines them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.api_scopes] if args.api_scopes else []),
        )

        self.client_id = client.client_id
        self.client_secret = pulumi.Output.secret(credentials.client_secret)
        self.register_outputs({"clientId": self.client_id, "clientSecret": self.client_secret})
