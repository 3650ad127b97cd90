"""What a gateway's `targets` and `toolAccess` keys may hold, and the CreateGatewayTarget request
each target becomes, checked against AWS's service model before anything is created. Plain Python.

A target is one upstream the gateway fronts: an MCP server, a Lambda function, an OpenAPI or a
Smithy schema (CreateGatewayTarget `targetConfiguration.mcp`, a union in the service model). The
gateway calls it with a credential of its own, never the caller's token (the MCP authorization
spec forbids passing a client's token through), so JWT passthrough and caller IAM credentials are
not offered."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from agentcore import awsmodel
from rules import toolaccess

TargetKind = Literal["mcpServer", "lambda", "openApiSchema", "smithyModel"]
CredentialKind = Literal["oauth", "apiKey", "gatewayIamRole"]
TARGET_KINDS: tuple[TargetKind, ...] = ("mcpServer", "lambda", "openApiSchema", "smithyModel")

# Which credential each kind of target takes: AWS's outbound-auth matrix (AgentCore developer
# guide, "Set up outbound authorization for your gateway", the table by target type), less the
# kinds this product never offers (no authorization, caller IAM credentials, token passthrough)
# and the OAuth grants that act for a user (authorization code, token exchange).
ALLOWED_CREDENTIALS: dict[TargetKind, tuple[CredentialKind, ...]] = {
    "mcpServer": ("oauth", "apiKey", "gatewayIamRole"),
    "lambda": ("gatewayIamRole",),
    "openApiSchema": ("oauth", "apiKey", "gatewayIamRole"),
    "smithyModel": ("oauth", "gatewayIamRole"),
}
DEFAULT_CREDENTIAL: dict[TargetKind, CredentialKind] = {
    "mcpServer": "oauth",
    "lambda": "gatewayIamRole",
    "openApiSchema": "oauth",
    "smithyModel": "gatewayIamRole",
}
# Where a gateway's role signs with SigV4 for an MCP server or OpenAPI target, the request must
# name the service (developer guide, "Specify the authorization type and credentials", the
# iamCredentialProvider `service` is required for those two kinds).
IAM_SERVICE_REQUIRED: tuple[TargetKind, ...] = ("mcpServer", "openApiSchema")

# Placeholders for the ids AWS assigns, shaped as the model's patterns want them, so a target's
# request can be checked whole before the gateway or the credential provider exists.
_GATEWAY_ID = "placeholder-abcde12345"
_PROVIDER_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/x"
_CONFIG_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# The longest gateway ARN: the longest partition and region names, and a 48-character gateway name
# with its 10-character suffix (model: GatewayName, GatewayId).
_LONGEST_GATEWAY_ARN = "arn:aws-us-gov:bedrock-agentcore:us-gov-west-1:123456789012:gateway/" + "g" * 48 + "-abcde12345"
_POLICY_ENGINE_ID = "e_placeholder-abcde12345"  # model: ResourceId [A-Za-z][A-Za-z0-9_]*-[a-z0-9_]{10}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


class ToolDefinition(_Model):
    """One tool of a Lambda target's inline schema (model: ToolDefinition; name, description and
    inputSchema required)."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})


class OutboundConfig(_Model):
    """How the gateway authenticates to the target. `kind` defaults by target kind."""

    kind: CredentialKind | None = None
    # oauth: the upstream's Auth0 API (default: the target's own URL, which must then be its API
    # identifier) and the scopes the gateway's machine client is granted on it.
    audience: str | None = None
    scopes: list[str] = []
    # apiKey: the name of a config secret of this stack holding the key (`pulumi config set
    # --secret <name> …`), where the gateway puts it, and how.
    api_key_secret: str | None = None
    location: Literal["HEADER", "QUERY_PARAMETER"] = "HEADER"
    parameter_name: str | None = None
    prefix: str | None = None
    # gatewayIamRole: the SigV4 service name, for MCP server and OpenAPI targets.
    service: str | None = None

    @field_validator("api_key_secret")
    @classmethod
    def _secret_key(cls, v: str | None) -> str | None:
        if v is not None and not _CONFIG_KEY_RE.fullmatch(v.removeprefix("mcpauth:")):
            raise ValueError("must name a config key of this stack, e.g. weatherApiKey (set with --secret)")
        return v.removeprefix("mcpauth:") if v else v


class TargetConfig(_Model):
    name: str
    description: str | None = None
    mcp_server: str | None = None
    lambda_arn: str | None = None
    open_api_schema: str | None = None
    smithy_model: str | None = None
    # lambda: the tools it serves, inline or an s3:// URI of the same JSON.
    tool_schema: list[ToolDefinition] | str | None = None
    # The names of the tools the target serves, as the target names them. Grants are checked and
    # policies written against these before AWS lists them; verify compares them with what the
    # gateway lists. Taken from an inline tool schema when there is one.
    tools: list[str] = []
    outbound: OutboundConfig = OutboundConfig()

    @property
    def kind(self) -> TargetKind:
        return next(k for k in TARGET_KINDS if self._kind_value(k) is not None)

    def _kind_value(self, kind: TargetKind) -> Any:
        return {
            "mcpServer": self.mcp_server,
            "lambda": self.lambda_arn,
            "openApiSchema": self.open_api_schema,
            "smithyModel": self.smithy_model,
        }[kind]

    @property
    def credential(self) -> CredentialKind:
        return self.outbound.kind or DEFAULT_CREDENTIAL[self.kind]

    @property
    def tool_names(self) -> list[str]:
        if isinstance(self.tool_schema, list):
            return [t.name for t in self.tool_schema]
        return list(self.tools)

    @property
    def audience(self) -> str | None:
        """The upstream Auth0 API an oauth target's token is for."""
        if self.credential != "oauth":
            return None
        return self.outbound.audience or self.mcp_server

    @model_validator(mode="after")
    def _one_kind_and_its_credential(self) -> TargetConfig:
        kinds = [k for k in TARGET_KINDS if self._kind_value(k) is not None]
        if len(kinds) != 1:
            named = ", ".join(kinds) or "none"
            raise ValueError(f"give exactly one of {', '.join(TARGET_KINDS)} (got: {named})")
        kind, credential = kinds[0], self.credential
        if credential not in ALLOWED_CREDENTIALS[kind]:
            allowed = ", ".join(ALLOWED_CREDENTIALS[kind])
            raise ValueError(
                f"outbound.kind {credential!r} is not one AWS accepts for a {kind} target (AgentCore outbound "
                f"authorization matrix): use {allowed}"
            )
        if kind == "mcpServer":
            url = urlsplit(self.mcp_server or "")
            if url.scheme != "https" or not url.hostname:
                raise ValueError(
                    f"mcpServer must be an https:// URL (the model: McpServerTarget endpoint), got {self.mcp_server!r}"
                )
        if kind == "lambda" and self.tool_schema is None:
            raise ValueError("a lambda target needs toolSchema: its tools inline, or an s3:// URI")
        if kind != "lambda" and self.tool_schema is not None:
            raise ValueError("toolSchema is for lambda targets; an MCP server lists its own tools")
        if isinstance(self.tool_schema, list) and self.tools:
            raise ValueError("give the tools once: toolSchema's names are the target's tools")
        if not self.tool_names:
            raise ValueError("tools: name the tools the target serves (grants and verify need them)")
        if len(set(self.tool_names)) != len(self.tool_names):
            raise ValueError(f"tools: a tool is named twice in {self.tool_names}")
        self._check_credential(kind, credential)
        return self

    def _check_credential(self, kind: TargetKind, credential: CredentialKind) -> None:
        out = self.outbound
        if credential == "apiKey" and not out.api_key_secret:
            raise ValueError("outbound.apiKeySecret: name the config secret that holds the API key")
        if credential == "gatewayIamRole" and kind in IAM_SERVICE_REQUIRED and not out.service:
            raise ValueError(
                f"outbound.service: a {kind} target signed by the gateway's role needs the SigV4 service name"
            )
        if credential == "oauth" and not self.audience:
            raise ValueError(
                "outbound.audience: the upstream's Auth0 API identifier (an MCP server defaults to its URL)"
            )
        stray = {
            "audience": out.audience if credential != "oauth" else None,
            "scopes": out.scopes if credential != "oauth" else None,
            "apiKeySecret": out.api_key_secret if credential != "apiKey" else None,
            "service": out.service if credential != "gatewayIamRole" else None,
        }
        for key, value in stray.items():
            if value:
                raise ValueError(f"outbound.{key} does not apply to {credential} credentials")


class ToolAccessConfig(_Model):
    """Which permission lets a caller list and call which tools, enforced by AgentCore Policy."""

    # ENFORCE denies; LOG_ONLY only logs what it would deny (CreateGateway
    # policyEngineConfiguration.mode, enum GatewayPolicyEngineMode), a step when rolling out.
    mode: Literal["ENFORCE", "LOG_ONLY"] = "ENFORCE"
    # permission -> ["<target>___<tool>" | "<target>___*", ...]
    grants: dict[str, list[str]] = {}


def credential_request(target: TargetConfig, provider_arn: str) -> dict[str, Any]:
    """The target's CredentialProviderConfiguration (model), for the provider `provider_arn`."""
    out = target.outbound
    if target.credential == "oauth":
        # Auth0's client-credentials grant needs `audience`; AgentCore sends what customParameters
        # holds (aws/bedrock-agentcore-sdk-python#109, OAuthCredentialProvider.customParameters).
        oauth = {
            "providerArn": provider_arn,
            "scopes": list(out.scopes),
            "grantType": "CLIENT_CREDENTIALS",
            "customParameters": {"audience": target.audience},
        }
        return {"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": oauth}}
    if target.credential == "apiKey":
        key: dict[str, Any] = {"providerArn": provider_arn, "credentialLocation": out.location}
        key |= {
            k: v for k, v in (("credentialParameterName", out.parameter_name), ("credentialPrefix", out.prefix)) if v
        }
        return {"credentialProviderType": "API_KEY", "credentialProvider": {"apiKeyCredentialProvider": key}}
    config: dict[str, Any] = {"credentialProviderType": "GATEWAY_IAM_ROLE"}
    if out.service:
        config["credentialProvider"] = {"iamCredentialProvider": {"service": out.service}}
    return config


def _schema(value: str) -> dict[str, Any]:
    return {"s3": {"uri": value}} if value.startswith("s3://") else {"inlinePayload": value}


def target_configuration(target: TargetConfig) -> dict[str, Any]:
    """The target's TargetConfiguration (model: a union; `mcp` holds one kind)."""
    kind = target.kind
    if kind == "mcpServer":
        mcp: dict[str, Any] = {"mcpServer": {"endpoint": target.mcp_server}}
    elif kind == "lambda":
        schema = target.tool_schema
        tools: dict[str, Any] = (
            {"s3": {"uri": schema}}
            if isinstance(schema, str)
            else {"inlinePayload": [t.model_dump(by_alias=True) for t in schema or []]}
        )
        mcp = {"lambda": {"lambdaArn": target.lambda_arn, "toolSchema": tools}}
    else:
        mcp = {kind: _schema(str(target._kind_value(kind)))}
    return {"mcp": mcp}


def target_request(target: TargetConfig, gateway_id: str, provider_arn: str | None) -> dict[str, Any]:
    """The CreateGatewayTarget request for `target` (clientToken aside)."""
    request: dict[str, Any] = {
        "gatewayIdentifier": gateway_id,
        "name": target.name,
        "targetConfiguration": target_configuration(target),
        "credentialProviderConfigurations": [credential_request(target, provider_arn or _PROVIDER_ARN)],
    }
    if target.description:
        request["description"] = target.description
    return request


def check_targets(key: str, targets: list[TargetConfig], access: ToolAccessConfig) -> list[str]:
    """Problems with a gateway's targets and grants, each naming its key: the requests AWS would
    refuse (every constraint of the service model), duplicate names, and grants naming a target
    or tool that does not exist."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, target in enumerate(targets):
        where = f"{key}.targets[{i}]"
        if target.name.lower() in seen:
            problems.append(f"{where}.name: {target.name!r} is used twice on this gateway (target names are unique)")
        seen.add(target.name.lower())
        for violation in awsmodel.validate("CreateGatewayTarget", target_request(target, _GATEWAY_ID, None)):
            problems.append(f"{where}: AWS would refuse it: {violation}")
    tools = {t.name: t.tool_names for t in targets}
    try:
        expanded = toolaccess.expand_grants(access.grants, tools, key=f"{key}.toolAccess.grants")
    except toolaccess.GrantError as error:
        problems.append(str(error))
    else:
        for permission, actions in expanded.items():
            if not actions:
                problems.append(f"{key}.toolAccess.grants.{permission}: grants no tool")
                continue
            # The CreatePolicy request the grant becomes, with the longest ARN a gateway can have:
            # the model bounds a Cedar statement (35-10,000 characters) and the policy's name.
            request = {
                "name": toolaccess.policy_name(key, permission),
                "definition": {
                    "cedar": {"statement": toolaccess.permit_policy(_LONGEST_GATEWAY_ARN, actions, permission)}
                },
                "policyEngineId": _POLICY_ENGINE_ID,
                "validationMode": "FAIL_ON_ANY_FINDINGS",
            }
            for violation in awsmodel.validate("CreatePolicy", request):
                problems.append(
                    f"{key}.toolAccess.grants.{permission}: AWS would refuse its policy: {violation}; "
                    "split the grant's tools between two permissions"
                )
    return problems
