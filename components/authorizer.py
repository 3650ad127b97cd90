"""GatewayAuthorizer: a Pulumi dynamic resource that owns a gateway's CUSTOM_JWT authorizer.

Why it exists: the gateway's URL (its MCP resource URL, which must be the authorizer's allowed
audience) contains an id AWS generates at creation, so `aws.bedrock.AgentcoreGateway` cannot be
created with its final authorizer. The gateway is created with a placeholder audience and told
to ignore its authorizer from then on; this resource sets the real one with UpdateGateway in the
same `pulumi up`, and on every later `up` converges it again (a no-op when nothing changed).

Credentials: the dynamic provider runs in the program's own process, not in pulumi-aws, so it
uses boto3's standard chain with `aws:region` / `aws:profile` from the stack config.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic as dyn

# The engine type token of this resource; the policy pack filters on it.
TYPE_TOKEN = "pulumi-python:dynamic/mcpauth:GatewayAuthorizer"

_CONFIG_KEYS = ("gatewayId", "discoveryUrl", "allowedAudiences", "allowedClients", "customClaims")
_LOCATION_KEYS = ("region", "profile")


def _desired(props: dict[str, Any]) -> Any:
    from components.agentcore import DesiredAuthorizer

    return DesiredAuthorizer(
        discovery_url=props["discoveryUrl"],
        allowed_audiences=list(props.get("allowedAudiences") or []),
        allowed_clients=list(props.get("allowedClients") or []),
        custom_claims=[dict(c) for c in props.get("customClaims") or []],
    )


def _apply(props: dict[str, Any]) -> dict[str, Any]:
    from components import agentcore

    client = agentcore.make_client(props["region"], props.get("profile") or None)
    result = agentcore.converge(client, props["gatewayId"], _desired(props))
    return {**props, "gatewayUrl": result.gateway_url, "status": result.status}


class _Provider(dyn.ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = []
        for key in ("gatewayId", "discoveryUrl", "region"):
            if not news.get(key):
                failures.append(dyn.CheckFailure(key, f"{key} is required"))
        if not news.get("allowedAudiences"):
            failures.append(dyn.CheckFailure("allowedAudiences", "at least one audience is required"))
        return dyn.CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        out = _apply(props)
        return dyn.CreateResult(id_=f"{props['gatewayId']}/authorizer", outs=out)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        changed = [k for k in _CONFIG_KEYS + _LOCATION_KEYS if olds.get(k) != news.get(k)]
        # A different gateway or region is a different authorizer: replace, never re-point.
        replaces: list[str] = [k for k in ("gatewayId", "region") if k in changed]
        return dyn.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(outs=_apply(news))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        """`pulumi refresh`: report the authorizer AWS actually has, so drift shows up."""
        from components import agentcore

        client = agentcore.make_client(props["region"], props.get("profile") or None)
        gw = agentcore.get_gateway(client, props["gatewayId"])
        jwt = (gw.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
        return dyn.ReadResult(
            id_=id_,
            outs={
                **props,
                "discoveryUrl": jwt.get("discoveryUrl", ""),
                "allowedAudiences": list(jwt.get("allowedAudience") or []),
                "allowedClients": list(jwt.get("allowedClients") or []),
                "customClaims": list(jwt.get("customClaims") or []),
                "gatewayUrl": gw.get("gatewayUrl", ""),
                "status": gw.get("status", ""),
            },
        )

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Nothing to undo: a gateway we created is deleted next (it depends on nothing of ours),
        # and an adopted gateway keeps its last authorizer rather than being opened up.
        return None


class GatewayAuthorizer(dyn.Resource, module="mcpauth", name="GatewayAuthorizer"):
    # Dynamic resources expose their properties under the engine's names, as given below.
    gatewayId: pulumi.Output[str]
    allowedAudiences: pulumi.Output[list[str]]
    discoveryUrl: pulumi.Output[str]
    gatewayUrl: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        gateway_id: pulumi.Input[str],
        region: str,
        profile: str | None,
        discovery_url: pulumi.Input[str],
        allowed_audiences: pulumi.Input[list[str]],
        custom_claims: list[dict[str, Any]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            _Provider(),
            name,
            {
                "gatewayId": gateway_id,
                "region": region,
                "profile": profile or "",
                "discoveryUrl": discovery_url,
                "allowedAudiences": allowed_audiences,
                # Auth0 DCR clients get ids nobody knows in advance: a client list would lock
                # them out (CUSTOM_JWT ANDs it with the audience check). Audience is the gate.
                "allowedClients": [],
                "customClaims": custom_claims,
                "gatewayUrl": None,
                "status": None,
            },
            opts,
        )
