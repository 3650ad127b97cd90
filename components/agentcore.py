"""Set a gateway's CUSTOM_JWT authorizer with UpdateGateway, the one call Pulumi cannot make for us.

The gateway URL contains an id AWS generates, so the authorizer's allowed audience (that URL) is
only known after the gateway exists. This module converges an existing gateway to the wanted
authorizer: it reads the gateway, writes only when something differs, keeps every other setting
UpdateGateway would otherwise reset, and waits for READY before and after.

Plain boto3, no Pulumi: the dynamic provider in `authorizer.py` calls it, and the tests run it
against a real moto server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# UpdateGateway replaces the whole gateway definition: every field below that GetGateway
# returns is passed back unchanged, or the update would silently drop it.
_PRESERVED_FIELDS = (
    "description",
    "protocolConfiguration",
    "kmsKeyArn",
    "interceptorConfigurations",
    "policyEngineConfiguration",
    "exceptionLevel",
)
_TERMINAL_BAD = {"FAILED", "UPDATE_UNSUCCESSFUL", "DELETING"}


class AgentCoreError(Exception):
    """An AgentCore API failure, named by its AWS error code and the gateway id."""


@dataclass(frozen=True)
class DesiredAuthorizer:
    discovery_url: str
    allowed_audiences: list[str]
    allowed_clients: list[str] = field(default_factory=list)
    custom_claims: list[dict[str, Any]] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        jwt: dict[str, Any] = {
            "discoveryUrl": self.discovery_url,
            "allowedAudience": list(self.allowed_audiences),
        }
        if self.allowed_clients:
            jwt["allowedClients"] = list(self.allowed_clients)
        if self.custom_claims:
            jwt["customClaims"] = [dict(c) for c in self.custom_claims]
        return {"customJWTAuthorizer": jwt}


@dataclass(frozen=True)
class ConvergeResult:
    gateway_id: str
    gateway_url: str
    status: str
    changed: bool
    authorizer: dict[str, Any]


def _canonical(cfg: dict[str, Any] | None) -> Any:
    """Order-insensitive form of an authorizer configuration: AWS may return lists reordered."""
    jwt = (cfg or {}).get("customJWTAuthorizer") or {}
    claims = sorted(
        (repr(sorted(_flatten(c).items())) for c in jwt.get("customClaims") or []),
    )
    return (
        jwt.get("discoveryUrl"),
        tuple(sorted(jwt.get("allowedAudience") or [])),
        tuple(sorted(jwt.get("allowedClients") or [])),
        tuple(sorted(jwt.get("allowedScopes") or [])),
        tuple(claims),
    )


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        elif isinstance(v, list):
            out[f"{prefix}{k}"] = tuple(sorted(map(str, v)))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _describe(err: Exception, gateway_id: str, action: str) -> AgentCoreError:
    from botocore.exceptions import ClientError

    if isinstance(err, ClientError):
        e = err.response.get("Error", {})
        code = e.get("Code", "Unknown")
        hint = {
            "ResourceNotFoundException": "check the gateway id (mcpauth:gateways[].existingGatewayId) "
            "and that aws:region is the gateway's region",
            "AccessDeniedException": "the deployer's AWS credentials need bedrock-agentcore:GetGateway, "
            "bedrock-agentcore:UpdateGateway and iam:PassRole on the gateway role",
            "ValidationException": "AWS rejected the authorizer configuration",
            "ThrottlingException": "AWS throttled the call; run the same command again",
            "ConflictException": "another operation is changing the gateway; run the same command again",
        }.get(code, "")
        return AgentCoreError(
            f"{action} gateway {gateway_id!r} failed: {code}: {e.get('Message', '')}" + (f" ({hint})" if hint else "")
        )
    return AgentCoreError(f"{action} gateway {gateway_id!r} failed: {type(err).__name__}: {err}")


def make_client(region: str, profile: str | None = None) -> Any:
    """A bedrock-agentcore-control client. boto3 resolves credentials and honours its standard
    endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL) itself."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    except ProfileNotFound:
        raise AgentCoreError(
            f"aws:profile {profile!r} is not in the AWS config or credentials files; set aws:profile to one "
            "that is, or unset it to use the default credential chain"
        ) from None
    return session.client(
        "bedrock-agentcore-control",
        config=Config(retries={"max_attempts": 8, "mode": "standard"}, connect_timeout=10, read_timeout=30),
    )


def get_gateway(client: Any, gateway_id: str) -> dict[str, Any]:
    try:
        return dict(client.get_gateway(gatewayIdentifier=gateway_id))
    except Exception as e:  # noqa: BLE001 - re-raised with the gateway id and the fix
        raise _describe(e, gateway_id, "reading") from None


def wait_ready(
    client: Any,
    gateway_id: str,
    *,
    timeout: float = 600.0,
    interval: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    deadline = clock() + timeout
    while True:
        gw = get_gateway(client, gateway_id)
        status = gw.get("status", "")
        if status == "READY":
            return gw
        if status in _TERMINAL_BAD:
            reasons = "; ".join(gw.get("statusReasons") or []) or "no reason given"
            raise AgentCoreError(f"gateway {gateway_id!r} is {status}: {reasons}")
        if clock() >= deadline:
            raise AgentCoreError(
                f"gateway {gateway_id!r} still {status or 'unknown'} after {timeout:.0f}s; "
                "run the same command again to resume"
            )
        sleep(interval)


def converge(
    client: Any,
    gateway_id: str,
    desired: DesiredAuthorizer,
    *,
    timeout: float = 600.0,
    interval: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> ConvergeResult:
    """Make the gateway's authorizer equal `desired`. A gateway already there gets no write."""
    gw = wait_ready(client, gateway_id, timeout=timeout, interval=interval, sleep=sleep)
    want = desired.to_api()
    current = gw.get("authorizerConfiguration")
    if gw.get("authorizerType") == "CUSTOM_JWT" and _canonical(current) == _canonical(want):
        return ConvergeResult(gateway_id, gw.get("gatewayUrl", ""), gw.get("status", ""), False, dict(current or {}))
    request: dict[str, Any] = {
        "gatewayIdentifier": gateway_id,
        "name": gw["name"],
        "roleArn": gw["roleArn"],
        "protocolType": gw.get("protocolType") or "MCP",
        "authorizerType": "CUSTOM_JWT",
        "authorizerConfiguration": want,
    }
    for key in _PRESERVED_FIELDS:
        if gw.get(key) not in (None, "", [], {}):
            request[key] = gw[key]
    try:
        client.update_gateway(**request)
    except Exception as e:  # noqa: BLE001 - re-raised with the AWS error code and gateway id
        raise _describe(e, gateway_id, "updating the authorizer of") from None
    gw = wait_ready(client, gateway_id, timeout=timeout, interval=interval, sleep=sleep)
    return ConvergeResult(
        gateway_id,
        gw.get("gatewayUrl", ""),
        gw.get("status", ""),
        True,
        dict(gw.get("authorizerConfiguration") or {}),
    )
