"""The stack outputs: what the program exports (components/program.py `build`) and what `make verify`
reads back from `pulumi stack output --json`. One definition for both: in the program a value AWS or
Auth0 computes is a Pulumi Input, `S` (a string) and `L` (a list of strings); in verify it is plain.
"""

from typing import Any, Generic, NotRequired, TypedDict, TypeVar

S = TypeVar("S")
L = TypeVar("L")


class GatewayOutputs(TypedDict, Generic[S, L]):
    gatewayId: S
    gatewayUrl: S
    resourceUrl: S  # the MCP resource URL: the API identifier and the only allowed audience
    apiIdentifier: S
    allowedAudiences: L
    requiredPermissions: list[str]
    # Only for a gateway with targets (issue 26), so that a stack without any keeps its outputs:
    # {target name: AgentCore targetId}, what `synchronize-gateway-targets --target-id-list` takes.
    targets: NotRequired[dict[str, S]]
    # Only when the gateway has tool access (grants): its AgentCore Policy engine.
    policyEngineId: NotRequired[S]
    # With targets: each target's tools as the config names them, and (with toolAccess) each
    # permission's tools as the gateway names them (`<target>___<tool>`, wildcards expanded). What
    # `make verify` expects `tools/list` to show a caller, and which calls to expect refused.
    targetTools: NotRequired[dict[str, list[str]]]
    toolGrants: NotRequired[dict[str, list[str]]]
    toolAccessMode: NotRequired[str]  # ENFORCE, or LOG_ONLY (which refuses nothing)


class MachineClientOutputs(TypedDict, Generic[S]):
    gateway: str  # the name of one of `gateways`
    clientId: S
    audience: S
    scopes: list[str]


class ClientRegistration(TypedDict):
    dynamic: bool
    metadataDocuments: bool  # the tenant advertises CIMD
    metadataDocumentClients: list[str]  # the CIMD clients registered by their document (manual CIMD)
    dynamicMetadataDocuments: bool  # dynamic CIMD registration (Auth0 Early Access)


class StackOutputs(TypedDict, Generic[S, L]):
    issuer: S
    discoveryUrl: S
    tokenEndpoint: S
    clientRegistration: ClientRegistration
    gateways: dict[str, GatewayOutputs[S, L]]
    machineClients: dict[str, MachineClientOutputs[S]]
    # {client name: secret}: one secret Output in the program, so the rest shows in plain text.
    machineClientSecrets: Any
    # Where this stack owns the tenant: what team stacks read (components/references.py).
    tenant: NotRequired[dict[str, Any]]


# What verify reads: every value plain.
DeployedGateway = GatewayOutputs[str, list[str]]
DeployedClient = MachineClientOutputs[str]
