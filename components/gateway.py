"""McpGateway: one AgentCore gateway (created or adopted) and the authorizer that trusts Auth0."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.authorizer import GatewayAuthorizer
from components.naming import (
    gateway_physical_name,
    gateway_trust_policy,
    permission_claim_rules,
    placeholder_audience,
    resource_url,
)


@dataclass(frozen=True)
class McpGatewayArgs:
    gateway: str  # the config name, e.g. "tools"
    stack: str
    description: str
    existing_gateway_id: str | None
    required_permissions: list[str]
    discovery_url: str
    region: str
    profile: str | None
    account_id: pulumi.Input[str]
    protect: bool


class McpGateway(pulumi.ComponentResource):
    gateway_id: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    resource_url: pulumi.Output[str]
    allowed_audiences: pulumi.Output[list[str]]
    authorizer: GatewayAuthorizer

    def __init__(self, name: str, args: McpGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcpauth:index:McpGateway", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        gateway: aws.bedrock.AgentcoreGateway
        if args.existing_gateway_id:
            # Adopted: read, never managed, so `pulumi destroy` leaves the gateway in place.
            gateway = aws.bedrock.AgentcoreGateway.get(f"{name}-gateway", args.existing_gateway_id, opts=child)
        else:
            role = aws.iam.Role(
                f"{name}-role",
                assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda account: gateway_trust_policy(account, args.region)
                ),
                description=f"AgentCore gateway {args.gateway} ({args.stack}), managed by mcpauth",
                opts=child,
            )
            gateway = aws.bedrock.AgentcoreGateway(
                f"{name}-gateway",
                name=gateway_physical_name(args.stack, args.gateway),
                description=args.description or f"MCP gateway {args.gateway} ({args.stack})",
                role_arn=role.arn,
                protocol_type="MCP",
                authorizer_type="CUSTOM_JWT",
                authorizer_configuration=aws.bedrock.AgentcoreGatewayAuthorizerConfigurationArgs(
                    custom_jwt_authorizer=aws.bedrock.AgentcoreGatewayAuthorizerConfigurationCustomJwtAuthorizerArgs(
                        discovery_url=args.discovery_url,
                        allowed_audiences=[placeholder_audience(args.gateway)],
                    )
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protect,
                    # GatewayAuthorizer owns the authorizer after creation; without this the
                    # next `up` would put the placeholder audience back.
                    ignore_changes=["authorizerConfiguration"],
                ),
            )

        self.gateway_id = gateway.gateway_id
        self.gateway_url = gateway.gateway_url
        self.resource_url = gateway.gateway_url.apply(resource_url)
        self.authorizer = GatewayAuthorizer(
            f"{name}-authorizer",
            gateway_id=gateway.gateway_id,
            region=args.region,
            profile=args.profile,
            discovery_url=args.discovery_url,
            allowed_audiences=self.resource_url.apply(lambda url: [url]),
            custom_claims=permission_claim_rules(args.required_permissions),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
        )
        self.allowed_audiences = self.authorizer.allowedAudiences
        self.register_outputs(
            {
                "gatewayId": self.gateway_id,
                "gatewayUrl": self.gateway_url,
                "resourceUrl": self.resource_url,
                "allowedAudiences": self.allowed_audiences,
            }
        )
