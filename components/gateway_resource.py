"""AgentCoreGateway: one Pulumi dynamic resource that owns an AgentCore gateway whole.

Why not pulumi-aws's `aws.bedrock.AgentcoreGateway` plus a second resource for the authorizer
(the design of the first release): the gateway's URL, which must be the authorizer's allowed
audience, exists only after CreateGateway, so two resources had to write one object. pulumi-aws's
update sends the whole definition with the old authorizer input that `ignoreChanges` keeps
(Pulumi docs, resource options, ignoreChanges), UpdateGateway resets what it is not sent (model:
UpdateGateway documentation), and each resource diffed only its own inputs, so the placeholder
audience came back on any later gateway change and nothing noticed. Here one resource creates the
gateway, sets its final authorizer in the same create, and on every preview and update compares
what it wants with the live gateway (GetGateway), so drift from anywhere shows and is repaired.
docs/architecture.md#one-owner-of-the-gateway lists the options weighed and their failure modes.

The provider is pickled into the state by reference (module `components.gateway_resource`, class
`_Provider`): keep both names, or existing stacks cannot refresh or delete.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic as dyn

# Inputs; a change of any of them is an update unless listed in _REPLACES.
INPUT_KEYS = (
    "name",
    "autoName",
    "region",
    "aws",
    "existingGatewayId",
    "roleArn",
    "description",
    "domain",
    "discoveryUrl",
    "allowedClients",
    "allowedScopes",
    "customClaims",
    "tags",
    "policyEngine",
    "mcp",
)
# A new region or adopted id is another gateway; the name is immutable (model: UpdateGateway
# `name` "must be the same as the one when the gateway was created").
_REPLACES = ("region", "existingGatewayId", "name")
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel


def _has_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return bool(value == _UNKNOWN)


def _spec(props: dict[str, Any]) -> Any:
    from agentcore.client import GatewaySpec

    return GatewaySpec(
        name=str(props["name"]),
        discovery_url=str(props["discoveryUrl"]),
        existing_gateway_id=props.get("existingGatewayId") or None,
        role_arn=props.get("roleArn") or None,
        description=props.get("description") or None,
        domain=props.get("domain") or None,
        allowed_scopes=tuple(props.get("allowedScopes") or ()),
        custom_claims=tuple(dict(c) for c in props.get("customClaims") or ()),
        tags=dict(props.get("tags") or {}),
        legacy_name=props.get("legacyName") or None,
        policy_engine={k: str(v) for k, v in dict(props.get("policyEngine") or {}).items()},
        mcp=dict(props.get("mcp") or {}),
    )


def _dropped_tags(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """Tag keys an earlier run set (the state's input) that the config no longer has."""
    return sorted(set(olds.get("tags") or {}) - set(news.get("tags") or {}))


def _client(props: dict[str, Any]) -> Any:
    from agentcore import client as agentcore

    return agentcore.make_client(agentcore.ClientSettings.from_props(str(props["region"]), props.get("aws")))


def _live(props: dict[str, Any], gateway_id: str, client: Any = None) -> dict[str, Any]:
    """GetGateway; a gateway being deleted (DELETING, which only ends in its removal) counts as gone."""
    from agentcore import client as agentcore

    live = agentcore.get_gateway(client or _client(props), gateway_id)
    if live.get("status") == "DELETING":
        raise agentcore.GatewayGone(f"gateway {gateway_id!r} is being deleted")
    return live


def _outs(props: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """The state: our inputs plus what AWS computed."""
    jwt = (live.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
    spec = _spec(props)
    # gatewayUrl is not a required member of GetGatewayResponse (model): without one (yet), the
    # resource URL is known only on a custom domain.
    url = str(live.get("gatewayUrl") or "")
    return {
        **{k: props.get(k) for k in (*INPUT_KEYS, "legacyName") if k in props},
        "gatewayId": live.get("gatewayId", ""),
        "gatewayArn": live.get("gatewayArn", ""),
        "gatewayUrl": url,
        "resourceUrl": spec.resource_url(url) if url or spec.domain else "",
        "allowedAudiences": list(jwt.get("allowedAudience") or []),
        "status": live.get("status", ""),
    }


class _Provider(dyn.ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> dyn.CheckResult:
        failures = [
            dyn.CheckFailure(key, f"{key} is required")
            for key in ("name", "region", "discoveryUrl")
            if not news.get(key)
        ]
        if not news.get("existingGatewayId") and not news.get("roleArn"):
            failures.append(dyn.CheckFailure("roleArn", "roleArn is required for a gateway this stack creates"))
        if news.get("allowedClients"):
            failures.append(
                dyn.CheckFailure("allowedClients", "must be empty: DCR clients' ids are not known in advance")
            )
        # Auto-naming as Pulumi's providers do it: a name the program derived is kept from the
        # state on later runs (Pulumi docs, "Resource names: autonaming"), so a stack deployed by an
        # earlier release keeps its gateway when the derivation changes.
        if olds.get("name") and olds.get("autoName") and news.get("autoName"):
            news = {**news, "name": olds["name"]}
        return dyn.CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        from agentcore import client as agentcore

        replaces = [k for k in _REPLACES if olds.get(k) != news.get(k)]
        changed = [k for k in INPUT_KEYS if olds.get(k) != news.get(k)]
        # Delete before replace, whatever asks for the replacement: the new gateway would have the
        # old one's name (see McpGateway, which also sets the resource option for `--replace`).
        if replaces or _has_unknown(news):
            return dyn.DiffResult(changes=True, replaces=replaces, delete_before_replace=True)
        # The live gateway, not the state: a change made in the console, or by anything else,
        # shows here at preview and is repaired by the next update, refresh or not.
        client = _client(news)
        try:
            live = _live(news, id_, client)
        except agentcore.GatewayGone:
            if news.get("existingGatewayId"):
                raise agentcore.AgentCoreError(
                    f"the adopted gateway {id_!r} no longer exists; remove mcpauth:gateways[].existingGatewayId "
                    "to let this stack create one, or point it at the gateway's new id"
                ) from None
            return dyn.DiffResult(changes=True, replaces=["gatewayId"], delete_before_replace=True)
        spec = _spec(news)
        drift = agentcore.differences(live, agentcore.desired_request(live, spec))
        # Tags too: resuming an interrupted create trusts them (agentcore/client.py, create).
        missing, stale = agentcore.tag_changes(client, live, spec, _dropped_tags(olds, news))
        drift += [f"tags.{k}" for k in [*missing, *stale]]
        busy = live.get("status") != "READY"
        return dyn.DiffResult(changes=bool(changed or drift or busy))

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        from agentcore import client as agentcore

        client = _client(props)
        spec = _spec(props)
        if spec.adopted:
            result = agentcore.converge(client, str(spec.existing_gateway_id), spec)
        else:
            result = agentcore.create(client, spec)
        return dyn.CreateResult(id_=str(result.gateway["gatewayId"]), outs=_outs(props, result.gateway))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        from agentcore import client as agentcore

        client = _client(news)
        result = agentcore.converge(client, id_, _spec(news))
        agentcore.sync_tags(client, result.gateway, _spec(news), _dropped_tags(_olds, news))
        return dyn.UpdateResult(outs=_outs(news, result.gateway))

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        """`pulumi refresh`: the live gateway. Gone: an empty id, which the engine takes as
        "deleted" and drops from the state (a later `up` creates it again)."""
        from agentcore import client as agentcore

        try:
            live = _live(props, id_)
        except agentcore.GatewayGone:
            return dyn.ReadResult(id_="", outs={})
        jwt = (live.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
        outs = _outs(props, live)
        # Refreshed inputs follow the live gateway, so the next diff also sees the drift.
        outs.update(
            discoveryUrl=jwt.get("discoveryUrl", ""),
            allowedClients=list(jwt.get("allowedClients") or []),
            allowedScopes=list(jwt.get("allowedScopes") or []),
            customClaims=list(jwt.get("customClaims") or []),
        )
        if not props.get("existingGatewayId"):
            outs.update(description=live.get("description", ""), roleArn=live.get("roleArn", ""))
            if props.get("tags"):
                # Our tags as they are live (tags others added are not ours to show).
                arn = str(live.get("gatewayArn", ""))
                have = agentcore.tags_of(_client(props), arn)
                outs["tags"] = {k: have[k] for k in props["tags"] if k in have}
        # The live values as the inputs too (ReadResult `inputs`): the dynamic provider cannot
        # return a detailed diff (pulumi.dynamic.DiffResult has only changes, replaces, stables and
        # delete_before_replace; pulumi/pulumi#13679), so a preview shows a drift as a bare update;
        # after a refresh the engine diffs these inputs with the program's and names each property.
        inputs = {k: outs[k] for k in (*INPUT_KEYS, "legacyName") if k in outs}
        return dyn.ReadResult(id_=id_, outs=outs, inputs=inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        from agentcore import client as agentcore

        if props.get("existingGatewayId"):
            return  # adopted: never ours to delete; it keeps its last authorizer
        agentcore.delete(_client(props), id_)


# Its type token is `pulumi-python:dynamic/mcpauth:AgentCoreGateway` (rules.types.MCP_GATEWAY): the
# SDK's dynamic provider names it from `module` and `name`, and the plan, the pack and the state
# migration read it by that token.
class AgentCoreGateway(dyn.Resource, module="mcpauth", name="AgentCoreGateway"):
    """An AgentCore gateway, created or adopted, with its CUSTOM_JWT authorizer."""

    gatewayId: pulumi.Output[str]
    gatewayArn: pulumi.Output[str]
    gatewayUrl: pulumi.Output[str]
    resourceUrl: pulumi.Output[str]
    allowedAudiences: pulumi.Output[list[str]]
    status: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            _Provider(),
            name,
            {
                **props,
                "gatewayId": None,
                "gatewayArn": None,
                "gatewayUrl": None,
                "resourceUrl": None,
                "allowedAudiences": None,
                "status": None,
            },
            opts,
        )
