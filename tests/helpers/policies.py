"""Policy-pack resources built by hand, as a hand-edited stack would have them, and the pack run on
them without the CLI: shared by the pack's tests (tests/policies/) and the rules' (tests/rules/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policies import ALL_POLICIES
from policies.offline import run_pack
from rules.types import API, API_SCOPES, AUTHORIZER, CONNECTION, TENANT
from rules.types import AWS_GATEWAY as GATEWAY

URL = "https://tools-dev-abc.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp"
DISCOVERY = "https://acme.us.auth0.com/.well-known/openid-configuration"


@dataclass
class R:
    type: str
    inputs: dict[str, Any]
    name: str = "r"
    parent: str = ""
    custom: bool = True
    depends_on: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    stack: str = "dev"

    @property
    def urn(self) -> str:
        return f"urn:pulumi:{self.stack}::mcpauth::{self.type}::{self.name}"


def by_name(name: str) -> Any:
    (p,) = [p for p in ALL_POLICIES if p.name == name]
    return p


def check(name: str, resources: list[R], config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return run_pack(resources, {name: config or {}}, [by_name(name)])


def messages(name: str, resources: list[R], config: dict[str, Any] | None = None) -> list[str]:
    return [v["message"] for v in check(name, resources, config)]


GW_PARENT = "urn:pulumi:dev::mcpauth::mcpauth:index:McpGateway::gw-tools"


def gateway(**jwt: Any) -> R:
    return R(
        GATEWAY,
        {
            "name": "tools-dev",
            "authorizerType": "CUSTOM_JWT",
            "authorizerConfiguration": {
                "customJwtAuthorizer": {
                    "discoveryUrl": DISCOVERY,
                    "allowedAudiences": ["urn:placeholder"],
                    **jwt,
                }
            },
        },
        name="gw-tools-gateway",
        parent=GW_PARENT,
    )


def authorizer(audiences: Any = None, **extra: Any) -> R:
    return R(
        AUTHORIZER,
        {
            "gatewayId": "tools-dev-abc",
            "discoveryUrl": DISCOVERY,
            "allowedAudiences": [URL] if audiences is None else audiences,
            "allowedClients": [],
            "customClaims": [],
            **extra,
        },
        name="gw-tools-authorizer",
        parent=GW_PARENT,
    )


def api(identifier: Any = URL, name: str = "api-tools-api", **props: Any) -> R:
    return R(
        API,
        {
            "identifier": identifier,
            "signingAlg": "RS256",
            "enforcePolicies": True,
            "tokenDialect": "access_token_authz",
            "tokenLifetime": 3600,
            **props,
        },
        name=name,
    )


def scopes(identifier: str = URL, names: tuple[str, ...] = ("read:tools", "admin")) -> R:
    return R(
        API_SCOPES,
        {"resourceServerIdentifier": identifier, "scopes": [{"name": n} for n in names]},
        name="api-tools-scopes",
    )


def tenant(**props: Any) -> R:
    base = {
        "flags": {"enableDynamicClientRegistration": True, "enableClientConnections": True},
        "clientIdMetadataDocumentSupported": True,
        "resourceParameterProfile": "compatibility",
        "defaultAudience": "",
    }
    return R(TENANT, {**base, **props}, name="tenant-settings")


def domain_connection(on: bool = True) -> R:
    return R(CONNECTION, {"name": "mcp-users", "strategy": "auth0", "isDomainConnection": on}, name="conn")


def dataclass_replace(r: R, **kw: Any) -> R:
    import dataclasses

    return dataclasses.replace(r, **kw)


MCP_GATEWAY = "pulumi-python:dynamic/mcpauth:AgentCoreGateway"


def mcp_gateway(**props: Any) -> R:
    base: dict[str, Any] = {
        "name": "tools-dev-abcdefgh",
        "discoveryUrl": DISCOVERY,
        "allowedClients": [],
        "allowedScopes": ["read:tools"],
        "customClaims": [],
        "allowedAudiences": [URL],
        "domain": "",
    }
    base.update(props)
    return R(MCP_GATEWAY, {k: v for k, v in base.items() if v is not None}, name="gw-tools-gateway", parent=GW_PARENT)
