"""McpGateway: everything one MCP gateway is, in one component: the AgentCore gateway (created or
adopted), its service role and authorizer, and its Auth0 API (scopes, role permissions, the
third-party grant). The gateway's resource URL is taken here once, from the gateway resource (which
also makes it its authorizer's only allowed audience, agentcore/client.py), and handed to the
API as its identifier, so the two cannot differ."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from agentcore.awsmodel import partition_for
from components.api import McpApi, McpApiArgs
from components.gateway_resource import AgentCoreGateway
from components.iam import gateway_trust_policy
from rules.claims import permission_rules
from rules.naming import (
    TAG_GATEWAY,
    TAG_PROJECT,
    TAG_STACK,
    api_component,
    gateway_physical_name,
    legacy_gateway_name,
)
from rules.urls import domain_resource_url


@dataclass(frozen=True)
class McpGatewayArgs:
    gateway: str  # the config name, e.g. "tools"
    project: str
    stack: str
    description: str
    existing_gateway_id: str | None
    domain: str | None
    required_permissions: list[str]
    discovery_url: pulumi.Input[str]  # a secret Output when the issuer is set with --secret
    region: str
    aws_client: dict[str, Any]
    account_id: pulumi.Input[str]
    protect: bool
    api: McpApiArgs
    default_tags: dict[str, str] = field(default_factory=dict)


class McpGateway(pulumi.ComponentResource):
    gateway_id: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    resource_url: pulumi.Output[str]
    allowed_audiences: pulumi.Output[list[str]]
    resource: AgentCoreGateway
    api: McpApi

    def __init__(self, name: str, args: McpGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcpauth:index:McpGateway", name, None, opts)
        role_arn: pulumi.Input[str] = ""
        if not args.existing_gateway_id:
            partition = partition_for(args.region)
            role = aws.iam.Role(
                f"{name}-role",
                assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda account: gateway_trust_policy(account, args.region, partition)
                ),
                description=f"AgentCore gateway {args.gateway} ({args.stack}), managed by mcpauth",
                opts=pulumi.ResourceOptions(parent=self),
            )
            role_arn = role.arn
        scopes, claims = permission_rules(args.required_permissions)
        tags = {
            **args.default_tags,
            TAG_PROJECT: args.project,
            TAG_STACK: args.stack,
            TAG_GATEWAY: args.gateway,
        }
        self.resource = AgentCoreGateway(
            f"{name}-gateway",
            {
                "name": args.existing_gateway_id or gateway_physical_name(args.project, args.stack, args.gateway),
                "autoName": not args.existing_gateway_id,
                "legacyName": "" if args.existing_gateway_id else legacy_gateway_name(args.stack, args.gateway),
                "region": args.region,
                "aws": args.aws_client,
                "existingGatewayId": args.existing_gateway_id or "",
                "roleArn": role_arn,
                "description": args.description or f"MCP gateway {args.gateway} ({args.stack})",
                "domain": args.domain or "",
                "discoveryUrl": args.discovery_url,
                # Auth0 DCR clients get ids nobody knows in advance: a client list would lock them
                # out. The audience is the gate.
                "allowedClients": [],
                "allowedScopes": scopes,
                "customClaims": claims,
                "tags": {} if args.existing_gateway_id else tags,
            },
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.gateway_id = self.resource.gatewayId
        self.gateway_url = self.resource.gatewayUrl
        # With a custom domain the resource URL is known before the gateway exists, so the Auth0
        # API does not wait for it (and keeps its identifier if the gateway is ever replaced).
        self.resource_url = (
            pulumi.Output.from_input(domain_resource_url(args.domain)) if args.domain else self.resource.resourceUrl
        )
        self.allowed_audiences = self.resource.allowedAudiences
        self.api = McpApi(
            api_component(args.gateway),
            args.api,
            # Declared at the top level before this component owned it: the alias keeps its URN (and
            # its children's, which the engine derives from it), so existing stacks update in place.
            pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]),
            identifier=self.resource_url,
        )
        self.register_outputs(
            {
                "gatewayId": self.gateway_id,
                "gatewayUrl": self.gateway_url,
                "resourceUrl": self.resource_url,
                "allowedAudiences": self.allowed_audiences,
                "apiIdentifier": self.api.identifier,
            }
        )
