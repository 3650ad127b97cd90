"""GatewayTargets: what one gateway fronts, with what credential, and who may call which tool.

Per target: its outbound credential (for an OAuth target, an Auth0 API for the upstream whose
identifier is the upstream's own URL, a machine client granted its scopes, and an AgentCore
Identity credential provider holding that client; for an API key, a provider holding the key) and
the AgentCore gateway target. Per gateway: the role policy that lets the gateway use those
credentials (when there is any to grant), and one Cedar policy per grant in the gateway's policy
engine, after the targets, since AWS validates a policy against the schema it generates from the
gateway's registered tools (developer guide, Policy, "Schema constraints").

pulumi-aws 7.51's AgentCore target, credential-provider and policy resources carry every field used
here (customParameters and grantType on the target's OAuth credential, the provider's discovery URL,
the policy's Cedar statement and validation mode), so no dynamic provider is needed for them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_auth0 as auth0
import pulumi_aws as aws

from components.iam import gateway_outbound_policy
from components.machine_client import MachineClient, MachineClientArgs
from rules import toolaccess
from rules.naming import slug
from stackconfig.targets import TargetConfig, ToolAccessConfig

_BEDROCK = aws.bedrock


@dataclass(frozen=True)
class GatewayTargetsArgs:
    gateway: str  # the config name
    stack: str
    physical_name: str  # the gateway's AWS name: its workload identity is named after it
    targets: list[TargetConfig]
    tool_access: ToolAccessConfig
    role_name: pulumi.Input[str] | None  # None: an adopted gateway, whose role is not ours
    discovery_url: pulumi.Input[str]
    account_id: pulumi.Input[str]
    region: str
    partition: str
    policy_engine_id: pulumi.Input[str] | None
    policy_engine_arn: pulumi.Input[str] | None
    api_keys: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # config key -> secret
    # mcpauth:protect: the upstream's Auth0 API (every token the gateway holds for it is bound to it).
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


def _target_configuration(target: TargetConfig) -> Any:
    """The target's `targetConfiguration.mcp` as pulumi-aws's nested args (one kind each)."""
    args = _BEDROCK
    kind = target.kind
    if kind == "mcpServer":
        mcp = args.AgentcoreGatewayTargetTargetConfigurationMcpArgs(
            mcp_server=args.AgentcoreGatewayTargetTargetConfigurationMcpMcpServerArgs(endpoint=str(target.mcp_server))
        )
    elif kind == "lambda":
        mcp = args.AgentcoreGatewayTargetTargetConfigurationMcpArgs(
            lambda_=args.AgentcoreGatewayTargetTargetConfigurationMcpLambdaArgs(
                lambda_arn=str(target.lambda_arn), tool_schema=_tool_schema(target)
            )
        )
    elif kind == "openApiSchema":
        mcp = args.AgentcoreGatewayTargetTargetConfigurationMcpArgs(
            open_api_schema=_schema_source(
                str(target.open_api_schema),
                args.AgentcoreGatewayTargetTargetConfigurationMcpOpenApiSchemaArgs,
                args.AgentcoreGatewayTargetTargetConfigurationMcpOpenApiSchemaS3Args,
                args.AgentcoreGatewayTargetTargetConfigurationMcpOpenApiSchemaInlinePayloadArgs,
            )
        )
    else:
        mcp = args.AgentcoreGatewayTargetTargetConfigurationMcpArgs(
            smithy_model=_schema_source(
                str(target.smithy_model),
                args.AgentcoreGatewayTargetTargetConfigurationMcpSmithyModelArgs,
                args.AgentcoreGatewayTargetTargetConfigurationMcpSmithyModelS3Args,
                args.AgentcoreGatewayTargetTargetConfigurationMcpSmithyModelInlinePayloadArgs,
            )
        )
    return args.AgentcoreGatewayTargetTargetConfigurationArgs(mcp=mcp)


def _schema_source(value: str, source: Callable[..., Any], s3: Callable[..., Any], inline: Callable[..., Any]) -> Any:
    """An OpenAPI or Smithy schema: in S3 (an s3:// URI) or inline (model: ApiSchemaConfiguration,
    a union of the two)."""
    if value.startswith("s3://"):
        return source(s3=s3(uri=value))
    return source(inline_payload=inline(payload=value))


def _tool_schema(target: TargetConfig) -> Any:
    args = _BEDROCK
    schema = target.tool_schema
    if isinstance(schema, str):
        return args.AgentcoreGatewayTargetTargetConfigurationMcpLambdaToolSchemaArgs(
            s3=args.AgentcoreGatewayTargetTargetConfigurationMcpLambdaToolSchemaS3Args(uri=schema)
        )
    return args.AgentcoreGatewayTargetTargetConfigurationMcpLambdaToolSchemaArgs(
        inline_payloads=[
            args.AgentcoreGatewayTargetTargetConfigurationMcpLambdaToolSchemaInlinePayloadArgs(
                name=tool.name,
                description=tool.description,
                input_schema=_input_schema(tool.input_schema),
            )
            for tool in schema or []
        ]
    )


def _input_schema(schema: Mapping[str, Any]) -> Any:
    """A tool's JSON schema as the provider's input_schema block: a type, and its properties one
    level down with their types (the block nests a fixed depth; stackconfig/targets.py refuses deeper)."""
    args = _BEDROCK
    required = set(schema.get("required") or [])
    properties = [
        args.AgentcoreGatewayTargetTargetConfigurationMcpLambdaToolSchemaInlinePayloadInputSchemaPropertyArgs(
            name=name,
            type=str(prop.get("type", "string")),
            description=prop.get("description"),
            required=name in required or None,
        )
        for name, prop in (schema.get("properties") or {}).items()
    ]
    return args.AgentcoreGatewayTargetTargetConfigurationMcpLambdaToolSchemaInlinePayloadInputSchemaArgs(
        type=str(schema.get("type", "object")), description=schema.get("description"), properties=properties or None
    )


def _statement(actions: list[str], permission: str) -> Callable[[str], str]:
    return lambda arn: toolaccess.permit_policy(arn, actions, permission)


class GatewayTargets(pulumi.ComponentResource):
    """Declared in two steps around its gateway. The constructor declares the credentials and the
    role policy, which the gateway's create needs in place (AWS checks the role when an engine is
    attached); `attach` then declares the targets and Cedar policies with the gateway's id and ARN,
    so the engine orders them after the gateway without a forward reference, which an error in
    between would leave hanging (docs/assumptions.md#a-forward-reference-left-unresolved-hangs-the-run)."""

    target_ids: dict[str, pulumi.Output[str]]
    policy_names: list[str]
    role_policies: list[pulumi.Resource]

    def __init__(self, name: str, args: GatewayTargetsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mcpauth:index:GatewayTargets", name, None, opts)
        self._base, self._args = name, args
        self.target_ids, self.policy_names = {}, []
        child = pulumi.ResourceOptions(parent=self)
        oauth_arns: list[pulumi.Output[str]] = []
        key_arns: list[pulumi.Output[str]] = []
        secret_arns: list[pulumi.Output[str]] = []
        lambdas = [str(t.lambda_arn) for t in args.targets if t.kind == "lambda"]
        credentials: dict[str, Any] = {}

        for target in args.targets:
            tname = f"{name}-{slug(target.name)}"
            if target.credential == "oauth":
                provider = self._oauth_provider(tname, target, args)
                oauth_arns.append(provider.credential_provider_arn)
                # A provider always has its secret: clientSecretArn and apiKeySecretArn are required
                # in the create and get answers (model).
                secret_arns.append(provider.client_secret_arns.apply(lambda s: s[0].secret_arn))
                credentials[target.name] = _BEDROCK.AgentcoreGatewayTargetCredentialProviderConfigurationArgs(
                    oauth=_BEDROCK.AgentcoreGatewayTargetCredentialProviderConfigurationOauthArgs(
                        provider_arn=provider.credential_provider_arn,
                        scopes=list(target.outbound.scopes),
                        grant_type="CLIENT_CREDENTIALS",
                        # Auth0's client-credentials grant needs `audience`; AgentCore passes
                        # customParameters to the token request (aws/bedrock-agentcore-sdk-python#109).
                        custom_parameters={"audience": str(target.audience)},
                    )
                )
            elif target.credential == "apiKey":
                key = _BEDROCK.AgentcoreApiKeyCredentialProvider(
                    f"{tname}-apikey",
                    name=f"{args.physical_name}-{target.name}"[:128],
                    api_key=args.api_keys[str(target.outbound.api_key_secret)],
                    tags=args.tags or None,
                    opts=child,
                )
                key_arns.append(key.credential_provider_arn)
                secret_arns.append(key.api_key_secret_arns.apply(lambda s: s[0].secret_arn))
                credentials[target.name] = _BEDROCK.AgentcoreGatewayTargetCredentialProviderConfigurationArgs(
                    api_key=_BEDROCK.AgentcoreGatewayTargetCredentialProviderConfigurationApiKeyArgs(
                        provider_arn=key.credential_provider_arn,
                        credential_location=target.outbound.location,
                        credential_parameter_name=target.outbound.parameter_name,
                        credential_prefix=target.outbound.prefix,
                    )
                )
            else:
                credentials[target.name] = _BEDROCK.AgentcoreGatewayTargetCredentialProviderConfigurationArgs(
                    gateway_iam_role=_BEDROCK.AgentcoreGatewayTargetCredentialProviderConfigurationGatewayIamRoleArgs(
                        service=target.outbound.service
                    )
                )

        # The role may use exactly these credentials and functions; the targets wait for it, since
        # AWS lists an MCP server's tools (with the credential) when the target is created. Only
        # when there is something to grant: IAM refuses a policy without statements
        # (MalformedPolicyDocument; otterize/intents-operator#481), as for a gateway whose only
        # targets are IAM-signed with no tool access.
        self._credentials = credentials
        self.role_policies = []
        grants_something = bool(oauth_arns or key_arns or lambdas or args.policy_engine_arn is not None)
        if args.role_name is not None and grants_something:
            document = pulumi.Output.all(
                account=args.account_id,
                oauth=pulumi.Output.all(*oauth_arns),
                keys=pulumi.Output.all(*key_arns),
                secrets=pulumi.Output.all(*secret_arns),
                engine=args.policy_engine_arn or "",
            ).apply(
                lambda v: gateway_outbound_policy(
                    partition=args.partition,
                    region=args.region,
                    account_id=v["account"],
                    gateway_name=args.physical_name,
                    oauth_providers=list(v["oauth"]),
                    api_key_providers=list(v["keys"]),
                    secret_arns=list(v["secrets"]),
                    lambda_arns=lambdas,
                    policy_engine_arn=v["engine"] or None,
                )
            )
            self.role_policies.append(
                aws.iam.RolePolicy(f"{name}-outbound", role=args.role_name, policy=document, opts=child)
            )

    def attach(self, gateway_id: pulumi.Output[str], gateway_arn: pulumi.Output[str]) -> None:
        """The targets on the gateway `gateway_id`, then one Cedar policy per grant: AWS validates
        a policy against the schema it builds from the gateway's registered tools."""
        name, args = self._base, self._args
        targets: list[pulumi.Resource] = []
        for target in args.targets:
            resource = _BEDROCK.AgentcoreGatewayTarget(
                f"{name}-{slug(target.name)}",
                gateway_identifier=gateway_id,
                name=target.name,
                description=target.description,
                target_configuration=_target_configuration(target),
                credential_provider_configuration=self._credentials[target.name],
                opts=pulumi.ResourceOptions(parent=self, depends_on=self.role_policies),
            )
            targets.append(resource)
            self.target_ids[target.name] = resource.target_id

        if args.policy_engine_id is not None:
            tools = {t.name: t.tool_names for t in args.targets}
            expanded = toolaccess.expand_grants(args.tool_access.grants, tools)
            for permission, actions in expanded.items():
                policy = toolaccess.policy_name(args.gateway, permission)
                self.policy_names.append(policy)
                statement = gateway_arn.apply(_statement(actions, permission))
                _BEDROCK.AgentcorePolicy(
                    f"{name}-policy-{slug(permission)}",
                    name=policy,
                    policy_engine_id=args.policy_engine_id,
                    description=f"{permission} may call: {', '.join(actions)}"[:4096],
                    definition=_BEDROCK.AgentcorePolicyDefinitionArgs(
                        cedar=_BEDROCK.AgentcorePolicyDefinitionCedarArgs(statement=statement)
                    ),
                    # A policy naming a tool the gateway does not have is refused, not saved.
                    validation_mode="FAIL_ON_ANY_FINDINGS",
                    opts=pulumi.ResourceOptions(parent=self, depends_on=targets),
                )
        self.register_outputs({"targetIds": self.target_ids, "policies": self.policy_names})

    def _oauth_provider(
        self, name: str, target: TargetConfig, args: GatewayTargetsArgs
    ) -> aws.bedrock.AgentcoreOauth2CredentialProvider:
        """An Auth0 API for the upstream, a machine client granted its scopes, and the AgentCore
        Identity provider that fetches the client's tokens. CustomOauth2 with the tenant's discovery
        URL, not the Auth0Oauth2 vendor: it is the same URL the gateway's inbound authorizer trusts
        (one source for both), it works on a custom domain, and the model leaves how the
        Auth0Oauth2 vendor finds a tenant undocumented (IncludedOauth2ProviderConfigInput requires
        only clientId)."""
        child = pulumi.ResourceOptions(parent=self)
        api = auth0.ResourceServer(
            f"{name}-api",
            identifier=str(target.audience),
            name=f"{target.name} behind {args.gateway} ({args.stack})",
            signing_alg="RS256",
            enforce_policies=True,
            token_dialect="access_token_authz",
            skip_consent_for_verifiable_first_party_clients=True,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        scopes = (
            auth0.ResourceServerScopes(
                f"{name}-scopes",
                resource_server_identifier=api.identifier,
                scopes=[
                    auth0.ResourceServerScopesScopeArgs(name=s, description=f"{s} on {target.name}")
                    for s in target.outbound.scopes
                ],
                opts=child,
            )
            if target.outbound.scopes
            else None
        )
        client = MachineClient(
            f"{name}-client",
            MachineClientArgs(
                display_name=f"gateway {args.gateway} to {target.name} ({args.stack})",
                audience=api.identifier,
                scopes=list(target.outbound.scopes),
                api_scopes=scopes,
            ),
            child,
        )
        config = _BEDROCK.AgentcoreOauth2CredentialProviderOauth2ProviderConfigArgs(
            custom_oauth2_provider_config=_BEDROCK.AgentcoreOauth2CredentialProviderOauth2ProviderConfigCustomOauth2ProviderConfigArgs(
                client_id=client.client_id,
                # A Pulumi secret: encrypted in state, never shown by preview or outputs.
                client_secret=client.client_secret,
                oauth_discovery=_BEDROCK.AgentcoreOauth2CredentialProviderOauth2ProviderConfigCustomOauth2ProviderConfigOauthDiscoveryArgs(
                    discovery_url=args.discovery_url
                ),
            )
        )
        return _BEDROCK.AgentcoreOauth2CredentialProvider(
            f"{name}-oauth",
            # CredentialProviderName: [a-zA-Z0-9\-_]+, 1-128 (model).
            name=f"{args.physical_name}-{target.name}"[:128],
            credential_provider_vendor="CustomOauth2",
            oauth2_provider_config=config,
            tags=args.tags or None,
            opts=child,
        )
