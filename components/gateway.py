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
from components.targets import GatewayTargets, GatewayTargetsArgs
from rules.claims import permission_rules
from rules.naming import (
    TAG_GATEWAY,
    TAG_PROJECT,
    TAG_QUALIFIED_STACK,
    TAG_STACK,
    api_component,
    gateway_physical_name,
    legacy_gateway_name,
    qualified_stack,
)
from rules.toolaccess import policy_engine_name
from rules.urls import domain_resource_url
from stackconfig.targets import TargetConfig, ToolAccessConfig


def _pick(secrets: pulumi.Output[Any], key: str) -> pulumi.Output[str]:
    return secrets.apply(lambda values: str(values[key]))


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
    targets: list[TargetConfig] = field(default_factory=list)
    tool_access: ToolAccessConfig = field(default_factory=ToolAccessConfig)
    # mcpauth:targetSecrets, a secret Output of the whole object (None when no target needs one).
    target_secrets: pulumi.Output[Any] | None = None
    organization: str | None = None  # pulumi.get_organization()
    # protocolConfiguration.mcp keys the stack sets (config: mcpauth:gateways[].mcp).
    mcp: dict[str, Any] = field(default_factory=dict)


class McpGateway(pulumi.ComponentResource):
    gateway_id: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    resource_url: pulumi.Output[str]
    allowed_audiences: pulumi.Output[list[str]]
    resource: AgentCoreGateway
    api: McpApi
    targets: GatewayTargets | None
    policy_engine_id: pulumi.Output[str] | None

    def _targets(
        self,
        name: str,
        args: McpGatewayArgs,
        physical: str,
        role: aws.iam.Role | None,
        partition: str,
        tags: dict[str, str],
    ) -> tuple[GatewayTargets | None, aws.bedrock.AgentcorePolicyEngine | None, list[pulumi.Resource]]:
        """The gateway's credentials and policy engine, declared before it so that its role's
        permissions (to use the credentials and the engine) exist when AWS checks them at create;
        the targets themselves are attached once the gateway is declared (GatewayTargets.attach).
        The engine and the credential providers are this stack's even on an adopted gateway, so
        they carry the stack's tags (CreatePolicyEngine and Create*CredentialProvider take `tags`,
        service model; the provider updates them in place, terraform-provider-aws
        bedrockagentcore *_tags_gen_test.go)."""
        if not args.targets:
            return None, None, []
        engine = None
        if args.tool_access.grants:
            engine = aws.bedrock.AgentcorePolicyEngine(
                f"{name}-policy-engine",
                name=policy_engine_name(physical),
                description=f"Tool access for MCP gateway {args.gateway} ({args.stack}), managed by mcpauth",
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
        secrets = args.target_secrets
        names = sorted({str(t.outbound.api_key_secret) for t in args.targets if t.credential == "apiKey"})
        api_keys: dict[str, pulumi.Input[str]] = {k: _pick(secrets, k) for k in names if secrets is not None}
        targets = GatewayTargets(
            f"{name}-targets",
            GatewayTargetsArgs(
                gateway=args.gateway,
                stack=args.stack,
                physical_name=physical,
                targets=list(args.targets),
                tool_access=args.tool_access,
                role_name=role.name if role is not None else None,
                discovery_url=args.discovery_url,
                account_id=args.account_id,
                region=args.region,
                partition=partition,
                policy_engine_id=engine.policy_engine_id if engine else None,
                policy_engine_arn=engine.policy_engine_arn if engine else None,
                api_keys=api_keys,
                protect=args.protect,
                tags=tags,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        return targets, engine, targets.role_policies

    def __init__(self, name: str, args: McpGatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcpauth:index:McpGateway", name, None, opts)
        role_arn: pulumi.Input[str] = ""
        role: aws.iam.Role | None = None
        partition = partition_for(args.region)
        if not args.existing_gateway_id:
            role = aws.iam.Role(
                f"{name}-role",
                assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda account: gateway_trust_policy(account, args.region, partition)
                ),
                description=f"AgentCore gateway {args.gateway} ({args.stack}), managed by mcpauth",
                opts=pulumi.ResourceOptions(parent=self),
            )
            role_arn = role.arn
        physical = args.existing_gateway_id or gateway_physical_name(
            args.project, args.stack, args.gateway, args.organization
        )
        tags = {
            **args.default_tags,
            TAG_PROJECT: args.project,
            TAG_STACK: args.stack,
            TAG_GATEWAY: args.gateway,
            TAG_QUALIFIED_STACK: qualified_stack(args.organization, args.project, args.stack),
        }
        targets, engine, waits = self._targets(name, args, physical, role, partition, tags)
        scopes, claims = permission_rules(args.required_permissions)
        self.resource = AgentCoreGateway(
            f"{name}-gateway",
            {
                "name": physical,
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
                # Attached at create and kept by every update (UpdateGateway resets what it is not
                # sent); the role may consult the engine before the gateway exists (waits). Absent
                # without one, so that stacks without targets see no change.
                **(
                    {"policyEngine": {"arn": engine.policy_engine_arn, "mode": args.tool_access.mode}} if engine else {}
                ),
                # Only when set: a stack deployed before the key existed keeps its inputs unchanged.
                **({"mcp": dict(args.mcp)} if args.mcp else {}),
            },
            # The physical name is fixed, so a replacement created first would find the live
            # gateway by name and tags, take it for its own, and the old one's delete would then
            # remove it. Delete first (Pulumi docs, resource options, deleteBeforeReplace:
            # "resources that cannot exist side-by-side"). The role's permissions come first (waits).
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, delete_before_replace=True, depends_on=waits
            ),
        )
        if targets is not None:
            targets.attach(self.resource.gatewayId, self.resource.gatewayArn)
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
        self.targets = targets
        self.policy_engine_id = engine.policy_engine_id if engine is not None else None
        self.register_outputs(
            {
                "gatewayId": self.gateway_id,
                "gatewayUrl": self.gateway_url,
                "resourceUrl": self.resource_url,
                "allowedAudiences": self.allowed_audiences,
                "apiIdentifier": self.api.identifier,
            }
        )
