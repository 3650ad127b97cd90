"""The gateway resource against a real moto server on 127.0.0.1, corrected to refuse what AWS
refuses (tests/helpers/agentcore_double.py), and through Pulumi's own provider host over gRPC."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from agentcore import awsmodel
from agentcore import client as agentcore
from agentcore.client import AgentCoreError, ClientSettings, GatewaySpec
from components.gateway_resource import INPUT_KEYS, _Provider
from rules.claims import permission_rules
from rules.types import MCP_GATEWAY as TYPE_TOKEN
from rules.urls import resource_url
from tests.helpers import agentcore_double
from tests.helpers.stack import ROOT

pytestmark = pytest.mark.slow  # a moto server on 127.0.0.1, and the provider under it

REGION = "us-west-2"
ROLE = "arn:aws:iam::123456789012:role/gw"
DISCOVERY = "https://acme.us.auth0.com/.well-known/openid-configuration"
FAST = {"interval": 0.01, "timeout": 5}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    agentcore_double.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto's backends live in this process: start from none, whatever ran before in it.
    import httpx2

    httpx2.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    yield endpoint
    server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # boto3's own endpoint override: the code under test passes no endpoint itself.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv(agentcore.POLL_SECONDS_ENV, "0.01")
    # Every client the code makes refuses what the service model refuses, as AWS does.
    real = agentcore.make_client

    def enforced(settings: ClientSettings) -> Any:
        client = real(settings)
        awsmodel.enforce_on(client)
        return client

    monkeypatch.setattr(agentcore, "make_client", enforced)
    return moto_endpoint


@pytest.fixture
def client(aws_env: str) -> Any:
    return agentcore.make_client(ClientSettings(REGION))


class Calls:
    """What the code sent, per operation, through botocore's event hooks."""

    def __init__(self, client: Any) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        client.meta.events.register("provide-client-params.bedrock-agentcore-control.*", self._hook)

    def _hook(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.sent.append((model.name, dict(params)))

    def of(self, op: str) -> list[dict[str, Any]]:
        return [p for o, p in self.sent if o == op]


def spec(name: str, perms: list[str] | None = None, **kw: Any) -> GatewaySpec:
    scopes, claims = permission_rules(perms if perms is not None else ["read:tools"])
    base: dict[str, Any] = dict(
        name=name,
        discovery_url=DISCOVERY,
        role_arn=ROLE,
        description="Tools",
        allowed_scopes=tuple(scopes),
        custom_claims=tuple(claims),
        tags={"mcpauth:project": "mcpauth", "mcpauth:stack": "test", "mcpauth:gateway": name},
    )
    base.update(kw)
    return GatewaySpec(**base)


def jwt_of(client: Any, gid: str) -> dict[str, Any]:
    return dict(client.get_gateway(gatewayIdentifier=gid)["authorizerConfiguration"]["customJWTAuthorizer"])


def props(name: str, **kw: Any) -> dict[str, Any]:
    scopes, claims = permission_rules(["read:tools", "tools.execute"])
    base: dict[str, Any] = {
        "name": name,
        "autoName": True,
        "region": REGION,
        "aws": {},
        "existingGatewayId": "",
        "roleArn": ROLE,
        "description": "Tools (test)",
        "domain": "",
        "discoveryUrl": DISCOVERY,
        "allowedClients": [],
        "allowedScopes": scopes,
        "customClaims": claims,
        "tags": {"mcpauth:project": "mcpauth", "mcpauth:stack": "test", "mcpauth:gateway": name},
    }
    base.update(kw)
    return base


# --- the double refuses what AWS refuses ---------------------------------------------------------


def test_the_double_refuses_a_claim_rule_value_with_a_colon(client: Any) -> None:
    """The first release's claim rule: moto alone accepted it; AWS and the corrected double refuse it."""
    from botocore.exceptions import ClientError

    rule = {
        "inboundTokenClaimName": "permissions",
        "inboundTokenClaimValueType": "STRING_ARRAY",
        "authorizingClaimMatchValue": {
            "claimMatchOperator": "CONTAINS",
            "claimMatchValue": {"matchValueString": "read:tools"},
        },
    }
    with pytest.raises(ClientError, match="ValidationException"):
        client.create_gateway(
            name="colon",
            roleArn=ROLE,
            authorizerType="CUSTOM_JWT",
            authorizerConfiguration={
                "customJWTAuthorizer": {"discoveryUrl": DISCOVERY, "allowedAudience": ["a"], "customClaims": [rule]}
            },
        )
    assert agentcore.find_by_name(client, "colon") is None


# --- create ---------------------------------------------------------------------------------------


def test_create_ends_with_the_resource_url_as_the_only_audience_and_every_permission_required(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.bedrockagentcorecontrol import models

    made = models.Gateway.__init__

    def without_mcp(self: Any, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        self.gateway_url = self.gateway_url.removesuffix("/mcp")  # as moto and older SDKs give it

    monkeypatch.setattr(models.Gateway, "__init__", without_mcp)
    calls = Calls(client)
    result = agentcore.create(client, spec("created", ["read:tools", "tools.execute"]), **FAST)
    gw = result.gateway
    assert gw["status"] == "READY" and gw["name"] == "created"
    jwt = jwt_of(client, gw["gatewayId"])
    # The resource URL of whatever URL the service gave the gateway, not that URL as it is.
    assert result.resource_url == resource_url(gw["gatewayUrl"]) != gw["gatewayUrl"]
    assert jwt["allowedAudience"] == [result.resource_url]
    assert jwt["allowedScopes"] == ["read:tools"]
    assert [c["authorizingClaimMatchValue"]["claimMatchValue"] for c in jwt["customClaims"]] == [
        {"matchValueStringList": ["tools.execute"]}
    ]
    assert "allowedClients" not in jwt and jwt["discoveryUrl"] == DISCOVERY
    # CreateGateway with a placeholder no API has, then one UpdateGateway with the URL.
    (create,) = calls.of("CreateGateway")
    assert create["authorizerConfiguration"]["customJWTAuthorizer"]["allowedAudience"] == [
        "urn:mcpauth:pending-authorizer:created"
    ]
    assert len(calls.of("UpdateGateway")) == 1


def test_with_a_custom_domain_the_gateway_is_created_final_in_one_call(client: Any) -> None:
    calls = Calls(client)
    result = agentcore.create(client, spec("domained", domain="MCP.example.com"), **FAST)
    (create,) = calls.of("CreateGateway")
    assert create["domainOverride"] == {"defaultDomain": "mcp.example.com"}
    assert create["authorizerConfiguration"]["customJWTAuthorizer"]["allowedAudience"] == [
        "https://mcp.example.com/mcp"
    ]
    assert calls.of("UpdateGateway") == []
    got = client.get_gateway(gatewayIdentifier=result.gateway["gatewayId"])
    assert got["domainOverride"] == {"defaultDomain": "mcp.example.com"}
    assert result.resource_url == "https://mcp.example.com/mcp"


def test_a_create_interrupted_after_create_gateway_resumes_instead_of_duplicating(client: Any) -> None:
    s = spec("resumed")
    first = client.create_gateway(**agentcore.create_request(s))  # the run that died right after
    result = agentcore.create(client, s, **FAST)
    assert result.gateway["gatewayId"] == first["gatewayId"]
    assert jwt_of(client, first["gatewayId"])["allowedAudience"] == [result.gateway["gatewayUrl"]]


def test_a_name_taken_by_someone_else_is_refused_with_the_fix(client: Any) -> None:
    theirs = client.create_gateway(**{**agentcore.create_request(spec("taken")), "tags": {"owner": "someone"}})
    with pytest.raises(AgentCoreError) as caught:
        agentcore.create(client, spec("taken"), **FAST)
    assert str(caught.value) == (
        f"creating gateway 'taken' failed: a gateway of that name exists in this account ({theirs['gatewayId']}) "
        "and was not created by this stack: it has no mcpauth tags (made by hand or by another tool). "
        "Adopt it with mcpauth:gateways[].existingGatewayId, or delete it"
    )


def test_create_waits_out_iam_role_propagation(client: Any) -> None:
    from botocore.exceptions import ClientError

    refusals = {"n": 2}

    def not_yet(**_: Any) -> None:
        if refusals["n"]:
            refusals["n"] -= 1
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "Gateway role validation failed"}},
                "CreateGateway",
            )

    client.meta.events.register("before-call.bedrock-agentcore-control.CreateGateway", not_yet)
    slept: list[float] = []
    result = agentcore.create(client, spec("propagating"), sleep=slept.append, interval=0.01, timeout=5)
    assert result.gateway["status"] == "READY" and refusals["n"] == 0
    assert len(slept) >= 2
    # Any other refusal is not retried.
    client.meta.events.unregister("before-call.bedrock-agentcore-control.CreateGateway", not_yet)


def test_a_validation_error_unrelated_to_the_role_is_not_retried(client: Any) -> None:
    from botocore.exceptions import ClientError

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "bad kms key"}}, "CreateGateway")

    client.meta.events.register("before-call.bedrock-agentcore-control.CreateGateway", refuse)
    slept: list[float] = []
    with pytest.raises(AgentCoreError, match="ValidationException: bad kms key"):
        agentcore.create(client, spec("notretried"), sleep=slept.append, **FAST)
    assert slept == []


FIRST_RELEASE_ROLE = "arn:aws:iam::123456789012:role/gw-tools-role-0a1b2c3"  # Pulumi's auto-name of gw-tools-role


def _new_tools(**kw: Any) -> GatewaySpec:
    s = spec("tools-prod-abcdefgh", legacy_name="tools-prod", **kw)
    return replace(s, tags={**s.tags, "mcpauth:gateway": "tools"})


def test_a_refusal_is_retried_for_what_aws_says_not_for_the_gateways_name(client: Any) -> None:
    """The role wait matches AWS's error code and message: a gateway whose name holds "role"
    (hr-roles) is not waited on for a refusal that has nothing to do with its role."""
    from botocore.exceptions import ClientError

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ValidationException", "Message": "bad kms key"}}, "CreateGateway")

    client.meta.events.register("before-call.bedrock-agentcore-control.CreateGateway", refuse)
    slept: list[float] = []
    with pytest.raises(AgentCoreError, match="ValidationException: bad kms key") as caught:
        agentcore.create(client, spec("hr-roles"), sleep=slept.append, **FAST)
    assert slept == []
    assert caught.value.code == "ValidationException"


def test_an_earlier_releases_gateway_stops_the_create_with_the_migration_step(client: Any) -> None:
    """The first release tagged nothing, and named the role `gw-<gateway>-role-<7 hex>`."""
    old = client.create_gateway(
        **{**agentcore.create_request(spec("tools-prod")), "tags": {}, "roleArn": FIRST_RELEASE_ROLE}
    )
    with pytest.raises(AgentCoreError) as caught:
        agentcore.create(client, _new_tools(), **FAST)
    assert str(caught.value) == (
        f"gateway 'tools-prod' ({old['gatewayId']}) was created by an earlier mcpauth release for this stack; "
        "its state must be moved to the new resource first, or this `up` would replace it (a new URL for every "
        "client). Run `make migrate-state STACK=<stack>` "
        "(docs/deploying.md#upgrading-a-stack-deployed-before-the-one-resource-gateway), then the same command again."
    )
    assert agentcore.find_by_name(client, "tools-prod-abcdefgh") is None


def test_a_gateway_that_fails_to_create_is_removed_so_the_rerun_creates_it(client: Any) -> None:
    real = client.create_gateway

    def failing(**kw: Any) -> Any:
        out = real(**kw)
        agentcore_double.set_status(out["gatewayId"], "FAILED", ["role not usable"])
        return out

    client.create_gateway = failing
    with pytest.raises(AgentCoreError, match="FAILED: role not usable; it was deleted, run the same command"):
        agentcore.create(client, spec("failed"), **FAST)
    client.create_gateway = real
    assert agentcore.find_by_name(client, "failed") is None
    assert agentcore.create(client, spec("failed"), **FAST).gateway["status"] == "READY"


# --- converge: one owner, the live gateway compared ---------------------------------------------


def test_converge_writes_nothing_when_the_live_gateway_is_as_wanted(client: Any) -> None:
    s = spec("twice")
    gid = agentcore.create(client, s, **FAST).gateway["gatewayId"]
    calls = Calls(client)
    assert agentcore.converge(client, gid, s, **FAST).changed == []
    assert calls.of("UpdateGateway") == []


def test_a_stale_full_definition_update_is_repaired_by_the_next_diff_and_update(client: Any, aws_env: str) -> None:
    """(a) What pulumi-aws sent on any gateway change: the whole definition with the placeholder
    audience that ignoreChanges kept, and no claim rules. The resource's diff reads the live
    gateway, so the next preview shows it and the next update puts the authorizer back."""
    p = props("stale")
    provider = _Provider()
    created = provider.create(p)
    gid = created.id
    client.update_gateway(
        gatewayIdentifier=gid,
        name="stale",
        roleArn=ROLE,
        protocolType="MCP",
        authorizerType="CUSTOM_JWT",
        description="new description",
        authorizerConfiguration={
            "customJWTAuthorizer": {"discoveryUrl": DISCOVERY, "allowedAudience": ["urn:mcpauth:pending-authorizer:x"]}
        },
    )
    assert provider.diff(gid, created.outs, p).changes is True
    provider.update(gid, created.outs, p)
    jwt = jwt_of(client, gid)
    assert jwt["allowedAudience"] == [created.outs["resourceUrl"]]
    assert jwt["allowedScopes"] == ["read:tools"] and len(jwt["customClaims"]) == 1
    assert client.get_gateway(gatewayIdentifier=gid)["description"] == "Tools (test)"
    assert provider.diff(gid, created.outs, p).changes is False


@pytest.mark.parametrize(
    "drift",
    [
        {"allowedClients": ["someclient"]},
        {"allowedAudience": ["TRAILING/"]},
        {"discoveryUrl": "https://other.us.auth0.com/.well-known/openid-configuration"},
        {"allowedScopes": ["read:tools", "admin"]},
        {"customClaims": None},
    ],
    ids=["clients", "audience", "discovery", "scopes", "claims"],
)
def test_an_out_of_band_change_shows_in_preview_and_is_repaired_with_or_without_refresh(
    client: Any, aws_env: str, drift: dict[str, Any]
) -> None:
    """(b) A change in the console: `preview` (diff against the live gateway) shows it without a
    refresh; `refresh` records it; `up` repairs it either way."""
    name = "drift" + str(abs(hash(tuple(drift))) % 10_000)
    p = props(name)
    provider = _Provider()
    created = provider.create(p)
    gid = created.id
    jwt = jwt_of(client, gid)
    for k, v in drift.items():
        v = [created.outs["resourceUrl"] + "/"] if v == ["TRAILING/"] else v
        if v is None:
            jwt.pop(k)
        else:
            jwt[k] = v
    live = client.get_gateway(gatewayIdentifier=gid)
    client.update_gateway(
        gatewayIdentifier=gid,
        name=live["name"],
        roleArn=live["roleArn"],
        protocolType="MCP",
        authorizerType="CUSTOM_JWT",
        description=live["description"],
        authorizerConfiguration={"customJWTAuthorizer": jwt},
    )
    assert provider.diff(gid, created.outs, p).changes is True  # preview, no refresh
    refreshed = provider.read(gid, created.outs)
    assert refreshed.id == gid
    assert provider.diff(gid, refreshed.outs, p).changes is True  # preview after refresh
    provider.update(gid, refreshed.outs, p)
    want = jwt_of(client, gid)
    assert want["allowedAudience"] == [created.outs["resourceUrl"]]
    assert "allowedClients" not in want and want["discoveryUrl"] == DISCOVERY
    assert want["allowedScopes"] == ["read:tools"]
    assert want["customClaims"] == p["customClaims"]
    assert provider.diff(gid, provider.read(gid, created.outs).outs, p).changes is False


def test_a_gateway_deleted_out_of_band_is_reported_gone_by_refresh(client: Any, aws_env: str) -> None:
    """(c) refresh: an empty id, which the engine records as deleted; no crash, no adoption hint.
    Without a refresh, the diff plans to create it again."""
    p = props("vanished")
    provider = _Provider()
    created = provider.create(p)
    client.delete_gateway(gatewayIdentifier=created.id)
    read = provider.read(created.id, created.outs)
    assert read.id == "" and read.outs == {}
    diff = provider.diff(created.id, created.outs, p)
    assert diff.changes is True and diff.replaces == ["gatewayId"] and diff.delete_before_replace is True
    provider.delete(created.id, created.outs)  # a delete of what is gone succeeds


def test_an_adopted_gateway_that_vanished_names_the_key_to_change(client: Any, aws_env: str) -> None:
    gid = agentcore.create(client, spec("adoptgone"), **FAST).gateway["gatewayId"]
    p = props(gid, existingGatewayId=gid, roleArn="", autoName=False, tags={})
    client.delete_gateway(gatewayIdentifier=gid)
    with pytest.raises(AgentCoreError, match="existingGatewayId"):
        _Provider().diff(gid, p, p)


def test_update_unsuccessful_is_recovered_by_sending_the_definition_again(client: Any) -> None:
    s = spec("unsuccessful")
    gid = agentcore.create(client, s, **FAST).gateway["gatewayId"]
    agentcore_double.set_status(gid, "UPDATE_UNSUCCESSFUL", ["internal error"])
    calls = Calls(client)
    result = agentcore.converge(client, gid, s, **FAST)
    assert len(calls.of("UpdateGateway")) == 1
    assert result.gateway["status"] == "READY"


def test_failed_is_terminal_with_its_reasons(client: Any) -> None:
    s = spec("failedgw")
    gid = agentcore.create(client, s, **FAST).gateway["gatewayId"]
    agentcore_double.set_status(gid, "FAILED", ["kms key disabled"])
    with pytest.raises(AgentCoreError, match="is FAILED: kms key disabled"):
        agentcore.converge(client, gid, s, **FAST)


def test_the_wait_times_out_with_a_rerun_hint() -> None:
    clock = iter(range(0, 10_000, 100))

    class Stuck:
        def get_gateway(self, **_: Any) -> dict[str, Any]:
            return {"gatewayId": "g-0123456789", "status": "UPDATING"}

    with pytest.raises(AgentCoreError, match="still UPDATING after 300s; run the same command again"):
        agentcore.wait_settled(Stuck(), "g-0123456789", timeout=300, sleep=lambda _: None, clock=lambda: next(clock))


# --- UpdateGateway keeps what we do not own -------------------------------------------------------


def _example(shape: str, depth: int = 0) -> Any:
    """A value of a model shape that the model accepts (the first enum value, a string matching
    a simple stand-in), enough to prove a field is carried over."""
    s = awsmodel._shape("bedrock-agentcore-control", shape)
    kind = s["type"]
    if kind == "structure":
        members = s.get("members", {})
        names = list(members)[:1] if s.get("union") else list(s.get("required", [])) or list(members)[:1]
        return {m: _example(members[m]["shape"], depth + 1) for m in names}
    if kind == "list":
        return [_example(s["member"]["shape"], depth + 1)]
    if kind == "map":
        return {"k": _example(s["value"]["shape"], depth + 1)}
    if kind == "boolean":
        return True
    if kind in ("integer", "long"):
        return int(s.get("min", 1))
    return s.get("enum", ["x-" + shape])[0]


def test_every_field_get_returns_and_update_accepts_is_sent_back() -> None:
    """Derived from the model: a field AWS adds later to both shapes fails here until handled."""
    model_fields = awsmodel.input_members("UpdateGateway") & awsmodel.output_members("GetGatewayResponse")
    jwt_fields = awsmodel._members("bedrock-agentcore-control", "CustomJWTAuthorizerConfiguration")
    live: dict[str, Any] = {"gatewayId": "g-0123456789", "gatewayUrl": "https://g.example.com/mcp", "status": "READY"}
    request_shape = awsmodel._shape("bedrock-agentcore-control", "UpdateGatewayRequest")["members"]
    for f in model_fields:
        live[f] = _example(request_shape[f]["shape"])
    jwt_shape = awsmodel._shape("bedrock-agentcore-control", "CustomJWTAuthorizerConfiguration")["members"]
    live["authorizerConfiguration"] = {"customJWTAuthorizer": {f: _example(jwt_shape[f]["shape"]) for f in jwt_fields}}
    s = spec("keep", existing_gateway_id="g-0123456789", role_arn=None, description=None)
    request = agentcore.desired_request(live, s)
    owned_top = {"gatewayIdentifier", "authorizerType", "authorizerConfiguration", "domainOverride"}
    for f in model_fields - owned_top:
        assert request[f] == live[f], f
    got_jwt = request["authorizerConfiguration"]["customJWTAuthorizer"]
    for f in jwt_fields - set(agentcore.OWNED_JWT_KEYS) - {"advertisedScopeMapping"}:
        assert got_jwt[f] == live["authorizerConfiguration"]["customJWTAuthorizer"][f], f
    assert set(agentcore.OWNED_JWT_KEYS) <= jwt_fields  # what we own exists in the model
    assert "allowedClients" not in got_jwt


def test_a_live_gateway_keeps_its_settings_through_a_converge(client: Any) -> None:
    """The corrected double resets what UpdateGateway is not sent, as AWS does: these survive only
    because they are sent back."""
    s = spec("keeper")
    gid = agentcore.create(client, s, **FAST).gateway["gatewayId"]
    live = client.get_gateway(gatewayIdentifier=gid)
    jwt = dict(live["authorizerConfiguration"]["customJWTAuthorizer"])
    jwt["allowedClients"] = ["x"]  # drift, so the converge writes
    client.update_gateway(
        gatewayIdentifier=gid,
        name=live["name"],
        roleArn=ROLE,
        protocolType="MCP",
        authorizerType="CUSTOM_JWT",
        description="Tools",
        protocolConfiguration={"mcp": {"searchType": "SEMANTIC", "supportedVersions": ["2025-06-18"]}},
        exceptionLevel="DEBUG",
        wafConfiguration={"failureMode": "FAIL_OPEN"},
        authorizerConfiguration={"customJWTAuthorizer": jwt},
    )
    assert agentcore.converge(client, gid, s, **FAST).changed == [
        "authorizerConfiguration.customJWTAuthorizer.allowedClients"
    ]
    got = client.get_gateway(gatewayIdentifier=gid)
    assert got["protocolConfiguration"] == {"mcp": {"searchType": "SEMANTIC", "supportedVersions": ["2025-06-18"]}}
    assert got["exceptionLevel"] == "DEBUG" and got["wafConfiguration"] == {"failureMode": "FAIL_OPEN"}
    assert "allowedClients" not in got["authorizerConfiguration"]["customJWTAuthorizer"]


# --- the resource ---------------------------------------------------------------------------------


def test_check_keeps_the_auto_name_from_the_state_and_names_missing_inputs() -> None:
    provider = _Provider()
    kept = provider.check(props("old-name"), props("new-name")).inputs
    assert kept["name"] == "old-name"
    explicit = provider.check(props("old-name"), props("new-name", autoName=False)).inputs
    assert explicit["name"] == "new-name"
    failures = provider.check({}, {"region": "us-east-1", "allowedClients": ["c"]}).failures
    assert {(f.property, f.reason) for f in failures} == {
        ("name", "name is required"),
        ("discoveryUrl", "discoveryUrl is required"),
        ("roleArn", "roleArn is required for a gateway this stack creates"),
        ("allowedClients", "must be empty: DCR clients' ids are not known in advance"),
    }


def test_check_wants_a_role_only_for_a_gateway_this_stack_creates() -> None:
    provider = _Provider()
    assert provider.check({}, props("made")).failures == []
    adopted = props("adopted-0123456789", roleArn="", existingGatewayId="adopted-0123456789")
    assert provider.check({}, adopted).failures == []
    (failure,) = provider.check({}, props("made", roleArn="")).failures
    assert failure.property == "roleArn"


def test_a_new_name_region_or_adopted_id_replaces(aws_env: str) -> None:
    p = props("rep")
    for key, value in (("name", "other"), ("region", "eu-west-1"), ("existingGatewayId", "x-0123456789")):
        diff = _Provider().diff("rep-0123456789", p, {**p, key: value})
        assert diff.replaces == [key] and diff.delete_before_replace is True


def test_unknown_inputs_at_preview_are_a_change_without_calling_aws() -> None:
    p = props("unk", roleArn="04da6b54-80e4-46f7-96ec-b56ff0331ba9")
    assert _Provider().diff("unk-0123456789", props("unk"), p).changes is True


def test_an_adopted_gateway_is_converged_and_never_deleted(client: Any, aws_env: str) -> None:
    gid = agentcore.create(client, spec("adoptme", []), **FAST).gateway["gatewayId"]
    p = props(gid, existingGatewayId=gid, roleArn="", autoName=False, tags={}, description="")
    provider = _Provider()
    created = provider.create(p)
    assert created.id == gid and created.outs["allowedAudiences"] == [created.outs["resourceUrl"]]
    assert client.get_gateway(gatewayIdentifier=gid)["description"] == "Tools"  # not ours: kept
    provider.delete(gid, created.outs)
    assert client.get_gateway(gatewayIdentifier=gid)["status"] == "READY"


def test_delete_removes_a_created_gateway(client: Any, aws_env: str) -> None:
    provider = _Provider()
    created = provider.create(props("deleteme"))
    provider.delete(created.id, created.outs)
    assert agentcore.find_by_name(client, "deleteme") is None


# --- credentials: the AWS provider's own config ---------------------------------------------------


def test_the_client_honours_aws_profile(aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("[deployer]\naws_access_key_id = fromprofile\naws_secret_access_key = s\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    c = agentcore.make_client(ClientSettings(REGION, profile="deployer", shared_credentials_file=str(creds)))
    assert c.meta.region_name == REGION
    assert c._request_signer._credentials.access_key == "fromprofile"
    with pytest.raises(AgentCoreError, match="aws:profile 'nobody' is not in the AWS config"):
        agentcore.make_client(ClientSettings(REGION, profile="nobody"))


def test_a_second_client_reads_no_aws_data_file_again(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider makes a client per operation: parsing endpoints.json and the service model
    each time cost ~0.3 s of CPU per client."""
    import threading

    from botocore.loaders import JSONFileLoader

    settings = ClientSettings.from_props(
        REGION, {"assumeRoles": [{"roleArn": "arn:aws:iam::123456789012:role/deployer"}]}
    )
    agentcore.make_client(settings)
    read: list[str] = []
    real = JSONFileLoader.load_file
    test_thread = threading.get_ident()

    def counted(self: Any, file_path: str) -> Any:
        if threading.get_ident() == test_thread:  # not the moto server's threads
            read.append(file_path)
        return real(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", counted)
    c = agentcore.make_client(settings)
    assert agentcore.find_by_name(c, "nothing-here") is None
    assert read == []


def test_the_client_assumes_aws_assume_roles_in_order(aws_env: str) -> None:
    settings = ClientSettings.from_props(
        REGION,
        {"assumeRoles": [{"roleArn": "arn:aws:iam::123456789012:role/deployer", "sessionName": "ci"}]},
    )
    c = agentcore.make_client(settings)
    key = c._request_signer._credentials.access_key
    assert key != "testing" and key.startswith("ASIA")  # STS session credentials, not the base ones
    assert agentcore.find_by_name(c, "nothing-here") is None


def test_the_client_takes_the_endpoint_from_aws_endpoints(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    c = agentcore.make_client(ClientSettings.from_props(REGION, {"endpoint": moto_endpoint}))
    assert c.meta.endpoint_url == moto_endpoint
    assert agentcore.find_by_name(c, "nothing-here") is None


def test_account_guards_are_enforced(aws_env: str) -> None:
    with pytest.raises(AgentCoreError, match="aws:allowedAccountIds"):
        agentcore.make_client(ClientSettings(REGION, allowed_account_ids=("999999999999",)))
    with pytest.raises(AgentCoreError, match="aws:forbiddenAccountIds"):
        agentcore.make_client(ClientSettings(REGION, forbidden_account_ids=("123456789012",)))


# --- through Pulumi's provider host, as the CLI runs it ------------------------------------------


def registered_gateway(config_gateways: list[dict[str, Any]]) -> dict[str, Any]:
    """The AgentCoreGateway inputs, `__provider` included, that the program registers (under the
    mock engine, as `make plan` does)."""
    from pulumi.runtime import rpc

    from offline.engine import run_program
    from tests.helpers.stack import make_config

    seen: dict[str, Any] = {}

    def keep(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if typ == TYPE_TOKEN:
            seen.update(inputs)
        return out

    run_program({**make_config(config_gateways), "aws:region": REGION}, "dev", hook=keep)
    wrapped = seen["__provider"]
    assert wrapped[rpc._special_sig_key] == rpc._special_secret_sig, "the SDK registers __provider as a secret"
    return {**seen, "__provider": wrapped["value"]}


@contextmanager
def provider_host(cwd: Path, moto: str) -> Iterator[Any]:
    """The SDK's dynamic provider host as the CLI starts it, with the corrected double's model
    check on every client (tests/hostpath/sitecustomize.py), and a gRPC stub speaking to it."""
    import grpc
    from pulumi.runtime.proto import provider_pb2_grpc

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
    env.update(AWS_ENDPOINT_URL=moto, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env[agentcore.POLL_SECONDS_ENV] = "0.01"
    env["PYTHONPATH"] = str(ROOT / "tests" / "hostpath")
    host = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"], cwd=cwd, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert host.stdout is not None
        port = int(host.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        host.terminate()
        host.wait(10)


def struct(value: dict[str, Any]) -> Any:
    from google.protobuf import struct_pb2

    s = struct_pb2.Struct()
    s.update(value)
    return s


def plain(s: Any) -> dict[str, Any]:
    from google.protobuf import json_format

    return dict(json_format.MessageToDict(s))


URN = f"urn:pulumi:dev::mcpauth::mcpauth:index:McpGateway${TYPE_TOKEN}::gw-tools-gateway"


def test_the_provider_host_runs_what_the_program_registered(client: Any, aws_env: str) -> None:
    """Check, create, refresh and diff through the host process with the provider the program
    serialized; then an out-of-band change, seen by the next diff and repaired by an update."""
    from pulumi.runtime.proto import provider_pb2

    inputs = registered_gateway([{"name": "tools", "requiredPermissions": ["read:tools"]}])
    inputs["roleArn"] = ROLE  # the role pulumi-aws would have created
    with provider_host(ROOT, aws_env) as host:
        host.Configure(provider_pb2.ConfigureRequest(args=struct({})))
        checked = host.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct(inputs)))
        assert list(checked.failures) == []
        created = host.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs))
        outs = plain(created.properties)
        assert outs["status"] == "READY"
        live = client.get_gateway(gatewayIdentifier=created.id)
        assert live["name"] == inputs["name"]  # the name it registered
        # The state holds what AWS assigned, for people and for IAM policies that name the gateway.
        assert (outs["gatewayId"], outs["gatewayArn"], outs["gatewayUrl"]) == (
            created.id,
            live["gatewayArn"],
            live["gatewayUrl"],
        )
        jwt = jwt_of(client, created.id)
        assert jwt["allowedAudience"] == [outs["resourceUrl"]] and jwt["allowedScopes"] == ["read:tools"]
        read = host.Read(provider_pb2.ReadRequest(id=created.id, urn=URN, properties=created.properties))
        diff = host.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=read.properties, news=checked.inputs))
        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE
        live = client.get_gateway(gatewayIdentifier=created.id)
        client.update_gateway(
            gatewayIdentifier=created.id,
            name=live["name"],
            roleArn=ROLE,
            protocolType="MCP",
            authorizerType="CUSTOM_JWT",
            authorizerConfiguration={"customJWTAuthorizer": {**jwt, "allowedClients": ["someone"]}},
        )
        diff = host.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=created.properties, news=checked.inputs))
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
        host.Update(provider_pb2.UpdateRequest(id=created.id, urn=URN, olds=created.properties, news=checked.inputs))
        assert "allowedClients" not in jwt_of(client, created.id)
        bad = host.Check(
            provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct({**inputs, "allowedClients": ["x"]}))
        )
        assert [f.property for f in bad.failures] == ["allowedClients"]
        # What the engine sends when the gateway is gone: an empty id.
        client.delete_gateway(gatewayIdentifier=created.id)
        gone = host.Read(provider_pb2.ReadRequest(id=created.id, urn=URN, properties=created.properties))
        assert gone.id == ""


def test_the_registered_provider_is_a_reference_to_the_projects_code(aws_env: str, tmp_path: Path) -> None:
    """The pickled provider names `components.gateway_resource._Provider`; the host imports it from
    the project directory, so keep that module and class name for existing stacks."""
    import base64

    from pulumi.runtime.proto import provider_pb2

    inputs = registered_gateway([{"name": "tools"}])
    pickled = base64.b64decode(inputs["__provider"])
    assert b"components.gateway_resource" in pickled and b"_Provider" in pickled
    with provider_host(tmp_path, aws_env) as host, pytest.raises(Exception, match="No module named 'components'"):
        host.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct(inputs)))


def test_lists_in_another_order_are_not_a_difference() -> None:
    """AWS may return lists reordered: that alone never causes a write."""
    s = spec("order", ["a", "b"])
    live = {
        "gatewayId": "order-0123456789",
        "name": "order",
        "gatewayUrl": "https://order-0123456789.gateway.example.com/mcp",
        "roleArn": ROLE,
        "protocolType": "MCP",
        "description": "Tools",
        "authorizerType": "CUSTOM_JWT",
        "status": "READY",
    }
    want = agentcore.desired_request(live, s)
    live["authorizerConfiguration"] = want["authorizerConfiguration"]
    assert agentcore.differences(live, want) == []
    jwt = live["authorizerConfiguration"]["customJWTAuthorizer"]
    live["authorizerConfiguration"] = {
        "customJWTAuthorizer": {**jwt, "customClaims": list(reversed(jwt["customClaims"]))}
    }
    assert agentcore.differences(live, want) == []
    live["authorizerConfiguration"] = {"customJWTAuthorizer": {**jwt, "customClaims": jwt["customClaims"][:1]}}
    assert agentcore.differences(live, want) == ["authorizerConfiguration.customJWTAuthorizer.customClaims"]


def test_no_legacy_lookup_without_a_legacy_name(client: Any) -> None:
    calls = Calls(client)
    agentcore.create(client, spec("nolegacy", legacy_name=None), **FAST)
    assert calls.of("ListGateways") == []
    calls2 = Calls(client)
    agentcore.create(client, spec("samelegacy", legacy_name="samelegacy"), **FAST)
    assert calls2.of("ListGateways") == []


def test_a_delete_that_never_completes_says_so(client: Any) -> None:
    gid = agentcore.create(client, spec("undying"), **FAST).gateway["gatewayId"]
    real_get = client.get_gateway
    client.delete_gateway = lambda **kw: {"gatewayId": gid, "status": "DELETING"}
    client.get_gateway = lambda **kw: {**real_get(**kw), "status": "READY"}
    clock = iter(range(0, 10_000, 100))
    with pytest.raises(AgentCoreError, match="still exists 300s after DeleteGateway"):
        agentcore.delete(client, gid, timeout=300, sleep=lambda _: None, clock=lambda: next(clock))


# --- the pure merge, and the waits, directly -----------------------------------------------------

LIVE = {
    "gatewayId": "n-0123456789",
    "name": "n",
    "gatewayUrl": "https://n-0123456789.gateway.example.com/mcp",
    "roleArn": ROLE,
    "protocolType": "MCP",
    "authorizerType": "CUSTOM_JWT",
    "status": "READY",
}


def test_empty_nested_values_and_reordered_lists_are_no_difference() -> None:
    a = {
        "authorizerConfiguration": {
            "customJWTAuthorizer": {"allowedScopes": ["b", "a"], "customClaims": [{"x": "1", "y": None}]}
        }
    }
    b = {
        "authorizerConfiguration": {"customJWTAuthorizer": {"allowedScopes": ["a", "b"], "customClaims": [{"x": "1"}]}}
    }
    assert agentcore.differences(a, b) == []


def test_advertised_scope_mapping_keeps_only_allowed_scopes() -> None:
    s = GatewaySpec(name="n", discovery_url=DISCOVERY, allowed_scopes=("read:tools",))
    got = s.authorizer("aud", {"advertisedScopeMapping": {"read:tools": "r", "gone": "g"}})
    assert got["advertisedScopeMapping"] == {"read:tools": "r"}
    assert "advertisedScopeMapping" not in s.authorizer("aud", {"advertisedScopeMapping": {"gone": "g"}})
    plain = GatewaySpec(name="n", discovery_url=DISCOVERY)
    assert "advertisedScopeMapping" not in plain.authorizer("aud", {"advertisedScopeMapping": {"x": "y"}})


def test_a_created_gateway_without_description_drops_the_live_one() -> None:
    req = agentcore.desired_request({**LIVE, "description": "old"}, spec("n", description=None))
    assert "description" not in req
    assert agentcore.desired_request({**LIVE, "description": "old"}, spec("n"))["description"] == "Tools"


def test_the_domain_override_is_set_and_the_alternates_kept() -> None:
    live = {
        **LIVE,
        "domainOverride": {
            "defaultDomain": "old.example.com",
            "alternateDomains": ["mcp.example.com", "other.example.com"],
        },
    }
    req = agentcore.desired_request(live, spec("n", domain="MCP.example.com"))
    assert req["domainOverride"] == {"defaultDomain": "mcp.example.com", "alternateDomains": ["other.example.com"]}
    only = {**LIVE, "domainOverride": {"defaultDomain": "old.example.com", "alternateDomains": ["mcp.example.com"]}}
    assert agentcore.desired_request(only, spec("n", domain="mcp.example.com"))["domainOverride"] == {
        "defaultDomain": "mcp.example.com"
    }
    assert "domainOverride" not in agentcore.desired_request(live, spec("n"))
    assert agentcore.desired_request(live, spec("n", domain="mcp.example.com"))["authorizerConfiguration"][
        "customJWTAuthorizer"
    ]["allowedAudience"] == ["https://mcp.example.com/mcp"]


class Scripted:
    """A client whose GetGateway answers a script of statuses (then READY), and records deletes."""

    def __init__(self, statuses: list[str], gone_after_delete: int | None = None) -> None:
        self.statuses = list(statuses)
        self.deleted = False
        self.reads_after_delete = 0
        self.gone_after = gone_after_delete

    def get_gateway(self, **_: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        if self.deleted:
            self.reads_after_delete += 1
            if self.gone_after is not None and self.reads_after_delete > self.gone_after:
                raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}}, "GetGateway")
            return {**LIVE, "status": "DELETING"}
        return {**LIVE, "status": self.statuses.pop(0) if self.statuses else "READY"}

    def delete_gateway(self, **_: Any) -> dict[str, Any]:
        self.deleted = True
        return {"gatewayId": LIVE["gatewayId"], "status": "DELETING"}


def test_wait_polls_a_busy_gateway_until_it_settles() -> None:
    slept: list[float] = []
    got = agentcore.wait_settled(
        Scripted(["UPDATING", "CREATING"]), "n-0123456789", sleep=slept.append, clock=lambda: 0
    )
    assert got["status"] == "READY" and slept == [5.0, 5.0]


def test_wait_gives_up_at_the_deadline_after_the_last_poll() -> None:
    clock = iter(range(0, 10_000, 100))
    client = Scripted(["UPDATING"] * 50)
    with pytest.raises(AgentCoreError, match="still UPDATING after 300s"):
        agentcore.wait_settled(client, "n-0123456789", timeout=300, sleep=lambda _: None, clock=lambda: next(clock))
    assert len(client.statuses) == 47  # read at t=100, 200, 300: the deadline is inclusive


def test_delete_waits_until_the_gateway_is_gone() -> None:
    client = Scripted([], gone_after_delete=2)
    slept: list[float] = []
    agentcore.delete(client, "n-0123456789", sleep=slept.append, clock=lambda: 0)
    assert client.deleted and client.reads_after_delete == 3 and len(slept) == 2


def test_a_delete_refused_for_targets_says_to_delete_them() -> None:
    from botocore.exceptions import ClientError

    class Targets(Scripted):
        def delete_gateway(self, **_: Any) -> dict[str, Any]:
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": "Gateway has targets associated with it"}},
                "DeleteGateway",
            )

    with pytest.raises(AgentCoreError, match="delete the gateway's targets first"):
        agentcore.delete(Targets([]), "n-0123456789", sleep=lambda _: None)


@pytest.mark.parametrize(
    ("reasons", "says"),
    [(["quota hit"], "quota hit"), (["quota", "kms"], "quota; kms"), ([], "no reason given")],
    ids=["one", "two", "none"],
)
def test_an_update_that_ends_unsuccessful_is_an_error_with_its_reasons(
    client: Any, reasons: list[str], says: str
) -> None:
    name = f"endsbad{len(reasons)}"
    gid = agentcore.create(client, spec(name), **FAST).gateway["gatewayId"]
    client.meta.events.register(
        "after-call.bedrock-agentcore-control.UpdateGateway",
        lambda **_: agentcore_double.set_status(gid, "UPDATE_UNSUCCESSFUL", reasons),
    )
    with pytest.raises(AgentCoreError, match=rf"UPDATE_UNSUCCESSFUL: {says}\); the next run sends the whole"):
        agentcore.converge(client, gid, spec(name, ["admin"]), **FAST)


def test_a_conflict_for_a_name_nobody_has_is_raised(client: Any) -> None:
    from botocore.exceptions import ClientError

    def busy(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ConflictException", "Message": "busy"}}, "CreateGateway")

    client.meta.events.register("before-call.bedrock-agentcore-control.CreateGateway", busy)
    with pytest.raises(AgentCoreError, match="ConflictException: busy"):
        agentcore.create(client, spec("nobodyhas"), **FAST)


def test_a_same_named_legacy_gateway_is_resumed_not_refused(client: Any) -> None:
    s = spec("samename", legacy_name="samename")
    first = client.create_gateway(**agentcore.create_request(s))
    assert agentcore.create(client, s, **FAST).gateway["gatewayId"] == first["gatewayId"]


def test_the_role_wait_polls_every_five_seconds() -> None:
    from botocore.exceptions import ClientError

    class RoleNotReady(Scripted):
        calls = 0

        def create_gateway(self, **_: Any) -> dict[str, Any]:
            RoleNotReady.calls += 1
            if RoleNotReady.calls == 1:
                raise ClientError(
                    {
                        "Error": {
                            "Code": "ValidationException",
                            "Message": "The role does not have a valid trust policy",
                        }
                    },
                    "x",
                )
            return {"gatewayId": LIVE["gatewayId"]}

        def update_gateway(self, **_: Any) -> dict[str, Any]:
            return {}

    slept: list[float] = []
    agentcore.create(RoleNotReady([]), spec("n"), sleep=slept.append, clock=lambda: 0)
    assert slept[0] == 5.0


def test_an_unknown_inside_a_list_is_seen_without_calling_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agentcore, "make_client", lambda _s: pytest.fail("diff called AWS"))
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert _Provider().diff("unk-0123456789", props("unk"), props("unk", allowedScopes=[unknown])).changes is True
    assert _Provider().diff("unk-0123456789", props("unk"), props("unk", aws={"profile": unknown})).changes is True


def test_the_provider_creates_on_the_custom_domain(client: Any, aws_env: str) -> None:
    created = _Provider().create(props("dom", domain="mcp.example.com"))
    assert created.outs["resourceUrl"] == "https://mcp.example.com/mcp"
    assert client.get_gateway(gatewayIdentifier=created.id)["domainOverride"] == {"defaultDomain": "mcp.example.com"}


def test_an_input_only_change_is_an_update_that_lands(client: Any, aws_env: str) -> None:
    """Tags are no UpdateGateway field: a new tag (aws:defaultTags) is still a change, applied with TagResource."""
    p = props("tagged")
    provider = _Provider()
    created = provider.create(p)
    news = {**p, "tags": {**p["tags"], "team": "platform"}}
    assert provider.diff(created.id, created.outs, news).changes is True
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs["resourceUrl"] == created.outs["resourceUrl"] and updated.outs["status"] == "READY"
    assert updated.outs["tags"]["team"] == "platform"
    arn = client.get_gateway(gatewayIdentifier=created.id)["gatewayArn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"]["team"] == "platform"


def test_mcp_settings_reach_the_gateway_and_survive_every_update(client: Any, aws_env: str) -> None:
    """protocolConfiguration.mcp is set at create and sent again on each UpdateGateway, which resets
    any optional field it is not sent (model: UpdateGateway documentation; the double does too)."""
    mcp = {"supportedVersions": ["2025-06-18"], "searchType": "SEMANTIC", "instructions": "Platform tools"}
    p = props("mcpset", mcp=mcp)
    provider = _Provider()
    created = provider.create(p)
    assert client.get_gateway(gatewayIdentifier=created.id)["protocolConfiguration"] == {"mcp": mcp}
    news = {**p, "description": "Tools, renamed"}
    provider.update(created.id, created.outs, news)
    live = client.get_gateway(gatewayIdentifier=created.id)
    assert live["description"] == "Tools, renamed" and live["protocolConfiguration"] == {"mcp": mcp}
    # A new value is a change, found against the live gateway, and lands.
    newer = {**news, "mcp": {**mcp, "supportedVersions": ["2025-06-18", "2025-11-25"]}}
    assert provider.diff(created.id, provider.update(created.id, created.outs, news).outs, newer).changes is True
    provider.update(created.id, created.outs, newer)
    got = client.get_gateway(gatewayIdentifier=created.id)["protocolConfiguration"]["mcp"]
    assert got["supportedVersions"] == ["2025-06-18", "2025-11-25"] and got["searchType"] == "SEMANTIC"


def test_refresh_records_what_the_live_gateway_has(client: Any, aws_env: str) -> None:
    p = props("refreshed")
    provider = _Provider()
    created = provider.create(p)
    live = client.get_gateway(gatewayIdentifier=created.id)
    jwt = dict(live["authorizerConfiguration"]["customJWTAuthorizer"])
    other = "https://other.us.auth0.com/.well-known/openid-configuration"
    other_claims = permission_rules(["other"])[1]
    client.update_gateway(
        gatewayIdentifier=created.id,
        name=live["name"],
        roleArn="arn:aws:iam::123456789012:role/other",
        protocolType="MCP",
        authorizerType="CUSTOM_JWT",
        description="changed in the console",
        authorizerConfiguration={
            "customJWTAuthorizer": {
                **jwt,
                "discoveryUrl": other,
                "allowedClients": ["c"],
                "allowedScopes": ["admin"],
                "customClaims": other_claims,
            }
        },
    )
    outs = provider.read(created.id, created.outs).outs
    assert outs["discoveryUrl"] == other and outs["allowedClients"] == ["c"] and outs["allowedScopes"] == ["admin"]
    assert outs["customClaims"] == other_claims and outs["description"] == "changed in the console"
    assert outs["roleArn"] == "arn:aws:iam::123456789012:role/other"
    assert outs["gatewayId"] == created.id and outs["status"] in ("UPDATING", "READY")
    assert (
        outs["gatewayArn"]
        == created.outs["gatewayArn"]
        == client.get_gateway(gatewayIdentifier=created.id)["gatewayArn"]
    )
    # An adopted gateway's description and role are not ours: refresh leaves them as configured.
    adopted = props(created.id, existingGatewayId=created.id, roleArn="", autoName=False, tags={}, description="")
    outs = provider.read(created.id, adopted).outs
    assert outs["description"] == "" and outs["roleArn"] == ""


# --- more of what the mutation run found untested ------------------------------------------------


def test_refresh_of_a_gateway_missing_optional_fields_records_empty_values(monkeypatch: pytest.MonkeyPatch) -> None:
    import components.gateway_resource as gr

    bare = {k: v for k, v in LIVE.items() if k != "roleArn"}  # no description, role or authorizer
    monkeypatch.setattr(gr, "_live", lambda _p, _id: bare)
    monkeypatch.setattr(agentcore, "tags_of", lambda _c, _arn: {})
    outs = _Provider().read("n-0123456789", props("n")).outs
    assert outs["description"] == "" and outs["roleArn"] == "" and outs["discoveryUrl"] == ""
    assert outs["allowedClients"] == [] and outs["allowedScopes"] == [] and outs["customClaims"] == []


def _claim(value: str) -> dict[str, Any]:
    return permission_rules([value])[1][0]


def test_differences_name_each_field_that_would_change() -> None:
    live = {**LIVE, "authorizerConfiguration": {"customJWTAuthorizer": {"customClaims": [_claim("a")]}}}
    want = {
        **live,
        "description": "new",
        "authorizerConfiguration": {"customJWTAuthorizer": {"customClaims": [_claim("b")]}},
    }
    assert agentcore.differences(live, want) == [
        "description",
        "authorizerConfiguration.customJWTAuthorizer.customClaims",
    ]
    other = {"authorizerConfiguration": {"customJWTAuthorizer": {}, "somethingElse": {"x": 1}}}
    assert agentcore.differences(other, {"authorizerConfiguration": {"customJWTAuthorizer": {}}}) == [
        "authorizerConfiguration"
    ]
    nested_empty = {"authorizerConfiguration": {"customJWTAuthorizer": {"privateEndpoint": {"a": "x", "b": ""}}}}
    nested = {"authorizerConfiguration": {"customJWTAuthorizer": {"privateEndpoint": {"a": "x"}}}}
    assert agentcore.differences(nested_empty, nested) == []
    # Lists whose items differ in type still compare (AWS's lists are uniform, ours must not crash).
    mixed = {"authorizerConfiguration": {"customJWTAuthorizer": {"customClaims": [{"a": "x"}, {"a": ["y"]}]}}}
    assert agentcore.differences(mixed, mixed) == []


class ScriptedUpdates(Scripted):
    def __init__(self, statuses: list[str], after_update: list[str]) -> None:
        super().__init__(statuses)
        self.after_update = after_update
        self.updates: list[dict[str, Any]] = []

    def update_gateway(self, **kw: Any) -> dict[str, Any]:
        self.updates.append(kw)
        self.statuses = list(self.after_update)
        return {}


def test_converge_passes_its_wait_settings_on_and_reports_a_status_only_write() -> None:
    s = spec("n", [], description=None)
    settled = {**LIVE, "authorizerConfiguration": {"customJWTAuthorizer": s.authorizer(LIVE["gatewayUrl"])}}

    class Client(ScriptedUpdates):
        def get_gateway(self, **kw: Any) -> dict[str, Any]:
            return {**settled, "status": super().get_gateway(**kw)["status"]}

    slept: list[float] = []
    client = Client(["UPDATING", "UPDATE_UNSUCCESSFUL"], ["UPDATING"])
    result = agentcore.converge(client, "n-0123456789", s, interval=2.0, sleep=slept.append)
    assert slept == [2.0, 2.0] and len(client.updates) == 1
    assert result.changed == ["status"]
    with pytest.raises(AgentCoreError, match="still UPDATING after 0s"):
        agentcore.converge(Client(["UPDATING"] * 5, []), "n-0123456789", s, timeout=0, sleep=slept.append)
    with pytest.raises(AgentCoreError, match="still UPDATING after 0s"):
        agentcore.converge(
            Client([], ["UPDATING"] * 5), "n-0123456789", spec("n", ["x"]), timeout=0, sleep=slept.append
        )


def test_wait_uses_the_interval_it_is_given_and_joins_the_reasons() -> None:
    slept: list[float] = []
    agentcore.wait_settled(Scripted(["CREATING"]), "n-0123456789", interval=2.0, sleep=slept.append)
    assert slept == [2.0]

    class Failed(Scripted):
        def get_gateway(self, **_: Any) -> dict[str, Any]:
            return {**LIVE, "status": "FAILED", "statusReasons": self.statuses}

    with pytest.raises(AgentCoreError, match=r"is FAILED: role; kms$"):
        agentcore.wait_settled(Failed(["role", "kms"]), "n-0123456789")
    with pytest.raises(AgentCoreError, match=r"is FAILED: no reason given$"):
        agentcore.wait_settled(Failed([]), "n-0123456789")


def test_an_update_refused_by_aws_names_the_gateway_the_action_and_the_code(client: Any) -> None:
    from botocore.exceptions import ClientError

    s = spec("refusedupd")
    gid = agentcore.create(client, s, **FAST).gateway["gatewayId"]

    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "UpdateGateway")

    client.meta.events.register("before-call.bedrock-agentcore-control.UpdateGateway", deny)
    with pytest.raises(AgentCoreError, match=f"^updating gateway '{gid}' failed: AccessDeniedException: no"):
        agentcore.converge(client, gid, spec("refusedupd", ["admin"]), **FAST)


def test_a_busy_gateway_is_a_change_even_when_nothing_differs(client: Any, aws_env: str) -> None:
    p = props("busy")
    provider = _Provider()
    created = provider.create(p)
    live = client.get_gateway(gatewayIdentifier=created.id)
    client.update_gateway(
        gatewayIdentifier=created.id,
        **{k: live[k] for k in agentcore.update_fields() if k in live},
    )
    assert provider.diff(created.id, created.outs, p).changes is True  # UPDATING: settle it on `up`


def test_an_adopted_gateway_gone_says_how_to_go_on(client: Any, aws_env: str) -> None:
    gid = agentcore.create(client, spec("adoptgone2"), **FAST).gateway["gatewayId"]
    p = props(gid, existingGatewayId=gid, roleArn="", autoName=False, tags={})
    client.delete_gateway(gatewayIdentifier=gid)
    with pytest.raises(AgentCoreError, match=r"or point it at the gateway's new id$"):
        _Provider().diff(gid, p, p)


# --- errors as the deployer reads them, paging, and the waits' settings ---------------------------


def client_error(code: str | None, message: str = "", operation: str = "GetGateway") -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}} if code else {}, operation)


@pytest.mark.parametrize(
    ("err", "says"),
    [
        (
            client_error("AccessDeniedException", "not allowed"),
            "reading gateway 'gw-1' failed: AccessDeniedException: not allowed (the deployer's AWS credentials "
            "lack a permission docs/deploying.md#aws-permissions lists)",
        ),
        (client_error("SomethingNew", "odd"), "reading gateway 'gw-1' failed: SomethingNew: odd"),
        (client_error(None), "reading gateway 'gw-1' failed: Unknown: "),
        (ValueError("bad"), "reading gateway 'gw-1' failed: ValueError: bad"),
    ],
    ids=["hinted", "no-hint", "no-error-body", "not-a-client-error"],
)
def test_an_aws_error_names_the_action_the_gateway_the_code_and_the_fix(err: Exception, says: str) -> None:
    described = agentcore._describe(err, "gw-1", "reading")
    assert type(described) is AgentCoreError and str(described) == says


def test_a_missing_gateway_is_gone_not_just_an_error() -> None:
    gone = agentcore._describe(client_error("ResourceNotFoundException", "no"), "gw-1", "reading")
    assert isinstance(gone, agentcore.GatewayGone)
    assert str(gone).endswith("(the gateway does not exist in this account and region (aws:region))")


class Pages:
    """ListGateways answered in pages of two, as the model's nextToken pages it."""

    def __init__(self, names: list[str], refuse: bool = False) -> None:
        self.names, self.refuse, self.asked = names, refuse, []

    def list_gateways(self, **params: Any) -> dict[str, Any]:
        self.asked.append(dict(params))
        if self.refuse:
            raise client_error("AccessDeniedException", "no list", "ListGateways")
        start = int(params.get("nextToken", "0"))
        page: dict[str, Any] = {"items": [{"name": n, "gatewayId": f"{n}-id"} for n in self.names[start : start + 2]]}
        if start + 2 < len(self.names):
            page["nextToken"] = str(start + 2)
        return page


def test_find_by_name_reads_every_page_until_it_finds_the_name() -> None:
    client = Pages(["a", "b", "c", "d", "e"])
    assert agentcore.find_by_name(client, "e") == {"name": "e", "gatewayId": "e-id"}
    assert [p.get("nextToken") for p in client.asked] == [None, "2", "4"]
    assert agentcore.find_by_name(Pages(["a", "b", "c"]), "z") is None


def test_find_by_name_says_which_gateway_it_was_looking_for() -> None:
    with pytest.raises(AgentCoreError) as caught:
        agentcore.find_by_name(Pages([], refuse=True), "tools-dev")
    assert str(caught.value).startswith(
        "listing gateways to find gateway 'tools-dev' failed: AccessDeniedException: no list"
    )


def test_a_gateway_whose_tags_cannot_be_read_is_not_taken_for_ours() -> None:
    """create() resumes a gateway of its name only if its tags say this stack made it."""

    class NoTags:
        def list_tags_for_resource(self, **_: Any) -> dict[str, Any]:
            raise client_error("AccessDeniedException", "no tags", "ListTagsForResource")

    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/tools-0123456789"
    assert agentcore._is_ours(NoTags(), arn, spec("tools")) is False


def test_delete_waits_with_the_interval_clock_and_timeout_it_is_given() -> None:
    slept: list[float] = []
    agentcore.delete(
        Scripted(["UPDATING"], gone_after_delete=1), "n-0123456789", interval=0.25, sleep=slept.append, clock=lambda: 0
    )
    assert slept == [0.25, 0.25]  # once waiting for UPDATING to settle, once for the delete
    clock = iter(range(0, 10_000, 100))
    with pytest.raises(AgentCoreError, match=r"still UPDATING after 200s"):
        agentcore.delete(
            Scripted(["UPDATING"] * 50), "n-0123456789", timeout=200, sleep=lambda _: None, clock=lambda: next(clock)
        )


def test_a_delete_that_never_completes_reads_until_its_deadline_inclusive() -> None:
    client = Scripted([])
    clock = iter(range(0, 10_000, 100))
    with pytest.raises(AgentCoreError, match="still exists 300s after DeleteGateway"):
        agentcore.delete(client, "n-0123456789", timeout=300, sleep=lambda _: None, clock=lambda: next(clock))
    # The wait before the delete took t=0 and the deadline was set at t=100 (to 400): reads checked
    # at t=200, 300 and 400, the last at the deadline itself.
    assert client.reads_after_delete == 3


@pytest.mark.parametrize("status", ["READY", "FAILED"])
def test_a_refused_delete_names_the_gateway(status: str) -> None:
    class Refused(Scripted):
        def delete_gateway(self, **_: Any) -> dict[str, Any]:
            raise client_error("AccessDeniedException", "no delete", "DeleteGateway")

    with pytest.raises(AgentCoreError) as caught:
        agentcore.delete(Refused([status]), "n-0123456789", sleep=lambda _: None)
    assert str(caught.value).startswith("deleting gateway 'n-0123456789' failed: AccessDeniedException: no delete")


def test_sync_tags_writes_only_the_tags_that_differ_and_leaves_others(client: Any) -> None:
    s = spec("tagsync")
    gw = agentcore.create(client, s, **FAST).gateway
    arn = gw["gatewayArn"]
    calls = Calls(client)
    assert agentcore.sync_tags(client, gw, s) == []  # all in place: read, no write
    assert calls.of("TagResource") == []
    client.tag_resource(resourceArn=arn, tags={"mcpauth:stack": "changed", "owner": "someone"})
    calls = Calls(client)
    assert agentcore.sync_tags(client, gw, s) == ["tags.mcpauth:stack"]
    assert calls.of("TagResource") == [{"resourceArn": arn, "tags": {"mcpauth:stack": "test"}}]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {**s.tags, "owner": "someone"}


def test_sync_tags_never_tags_an_adopted_gateway(client: Any) -> None:
    gw = agentcore.create(client, spec("tagadopt"), **FAST).gateway
    calls = Calls(client)
    adopted = spec("tagadopt", existing_gateway_id=gw["gatewayId"])
    assert adopted.tags and agentcore.sync_tags(client, gw, adopted) == []
    assert calls.sent == []


@pytest.mark.parametrize(
    ("refused", "says"), [("list_tags_for_resource", "reading the tags of"), ("tag_resource", "tagging")]
)
def test_a_refused_tag_call_names_the_gateway(refused: str, says: str) -> None:
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/t-0123456789"

    class Tags:
        def list_tags_for_resource(self, **_: Any) -> dict[str, Any]:
            return {"tags": {}}

        def tag_resource(self, **_: Any) -> dict[str, Any]:
            return {}

    def refuse(**_: Any) -> Any:
        raise client_error("AccessDeniedException", "no", "TagResource")

    client = Tags()
    setattr(client, refused, refuse)
    with pytest.raises(AgentCoreError) as caught:
        agentcore.sync_tags(client, {"gatewayArn": arn}, spec("t"))
    assert str(caught.value).startswith(f"{says} gateway '{arn}' failed: AccessDeniedException: no")


def test_a_refused_create_or_read_names_the_gateway_and_what_was_being_done() -> None:
    class Refuses(Scripted):
        def create_gateway(self, **_: Any) -> dict[str, Any]:
            raise client_error("ServiceQuotaExceededException", "too many", "CreateGateway")

    with pytest.raises(AgentCoreError) as caught:
        agentcore.create(Refuses([]), spec("n"), sleep=lambda _: None, clock=lambda: 0, role_wait=0)
    assert str(caught.value).startswith("creating gateway 'n' failed: ServiceQuotaExceededException: too many")

    class Unreadable:
        def get_gateway(self, **_: Any) -> dict[str, Any]:
            raise client_error("AccessDeniedException", "no read")

    with pytest.raises(AgentCoreError) as read:
        agentcore.get_gateway(Unreadable(), "n-0123456789")
    assert str(read.value).startswith("reading gateway 'n-0123456789' failed: AccessDeniedException: no read")


def test_the_role_wait_ends_at_its_deadline_and_never_retries_what_aws_would_refuse() -> None:
    """IAM's eventual consistency: CreateGateway is retried while AWS says it cannot use the role,
    every 5 s (less near the deadline), until `role_wait` has passed; a refusal that is ours (the
    request the model refuses) is never retried."""

    class RoleNotReady(Scripted):
        def __init__(self, message: str) -> None:
            super().__init__([])
            self.message, self.tries = message, 0

        def create_gateway(self, **_: Any) -> dict[str, Any]:
            self.tries += 1
            raise client_error("ValidationException", self.message, "CreateGateway")

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = RoleNotReady("Role validation failed")
    with pytest.raises(AgentCoreError, match="Role validation failed"):
        agentcore.create(client, spec("n"), sleep=sleep, clock=lambda: now[0], role_wait=10.5)
    # 5 + 5 + 0.5 s: the last sleep ends at the deadline, and the try made there is the last.
    assert (slept, client.tries) == ([5.0, 5.0, 0.5], 4)

    # Ours: a role ARN the model refuses is never sent, so there is no AWS code to wait on.
    ours = RoleNotReady("cannot assume role")
    slept.clear()
    with pytest.raises(AgentCoreError, match=r"AWS would refuse the request \(CreateGateway\)") as caught:
        agentcore.create(ours, spec("n", role_arn="role"), sleep=sleep, clock=lambda: now[0], role_wait=10.5)
    assert "roleArn" in str(caught.value) and caught.value.code == ""
    assert (slept, ours.tries) == ([], 0)


def test_create_waits_with_the_interval_clock_and_timeout_it_is_given() -> None:
    class Creates(Scripted):
        def create_gateway(self, **_: Any) -> dict[str, Any]:
            return {"gatewayId": LIVE["gatewayId"]}

        def update_gateway(self, **_: Any) -> dict[str, Any]:
            return {}

    slept: list[float] = []
    agentcore.create(Creates(["CREATING"]), spec("n"), interval=0.25, sleep=slept.append, clock=lambda: 0)
    assert slept == [0.25]
    # ... and the convergence after it (UPDATING once its update is sent), with the same settings
    slept.clear()
    agentcore.create(Creates(["READY", "READY", "UPDATING"]), spec("n"), interval=0.25, sleep=slept.append)
    assert slept == [0.25]
    with pytest.raises(AgentCoreError, match=r"still UPDATING after 0s"):
        agentcore.create(Creates(["READY", "READY"] + ["UPDATING"] * 50), spec("n"), timeout=0, sleep=lambda _: None)
    # ... and the delete of a gateway that ended FAILED
    slept.clear()
    failed = Creates(["FAILED"], gone_after_delete=1)
    with pytest.raises(AgentCoreError, match="it was deleted, run the same command again"):
        agentcore.create(failed, spec("n"), interval=0.25, sleep=slept.append, clock=lambda: 0)
    assert failed.deleted and slept == [0.25]
    clock = iter(range(0, 10_000, 100))
    with pytest.raises(AgentCoreError, match=r"still exists 200s after DeleteGateway"):
        agentcore.create(Creates(["FAILED"]), spec("n"), timeout=200, sleep=lambda _: None, clock=lambda: next(clock))
    clock = iter(range(0, 10_000, 100))
    with pytest.raises(AgentCoreError, match=r"still CREATING after 200s"):
        agentcore.create(
            Creates(["CREATING"] * 50), spec("n"), timeout=200, sleep=lambda _: None, clock=lambda: next(clock)
        )


def test_a_request_the_model_refuses_is_never_sent_and_says_each_violation() -> None:
    class NeverCalled:
        def create_gateway(self, **_: Any) -> dict[str, Any]:
            raise AssertionError("sent a request the model refuses")

    request = {**agentcore.create_request(spec("n")), "name": "bad name!", "protocolType": "HTTP"}
    with pytest.raises(AgentCoreError) as caught:
        agentcore._call(NeverCalled(), "CreateGateway", "bad name!", "creating", **request)
    violations = awsmodel.validate("CreateGateway", request)
    assert len(violations) == 2
    assert str(caught.value) == (
        "creating gateway 'bad name!': AWS would refuse the request (CreateGateway):\n"
        + "\n".join(f"  - {v}" for v in violations)
    )


def test_a_live_gateway_without_a_url_yet_is_recorded_not_a_crash() -> None:
    """GetGatewayResponse does not require gatewayUrl (model): a refresh that reads a gateway
    without one records it empty, and the resource URL only where a custom domain fixes it."""
    from components.gateway_resource import _outs

    live = {
        "gatewayId": "x-0123456789",
        "gatewayArn": "arn:aws:bedrock-agentcore:us-east-1:1:gateway/x",
        "status": "CREATING",
    }
    outs = _outs(props("x"), live)
    assert (outs["gatewayUrl"], outs["resourceUrl"], outs["status"]) == ("", "", "CREATING")
    assert _outs(props("x", domain="mcp.example.com"), live)["resourceUrl"] == "https://mcp.example.com/mcp"
    full = _outs(props("x"), {**live, "gatewayUrl": "https://x-0123456789.gateway.example.com"})
    assert full["resourceUrl"] == "https://x-0123456789.gateway.example.com/mcp"


def test_the_provider_s_client_honours_the_stack_s_aws_settings() -> None:
    from components.gateway_resource import _client

    with pytest.raises(AgentCoreError, match="aws:profile 'no-such-profile' is not in the AWS config"):
        _client({"region": "us-east-1", "aws": {"profile": "no-such-profile"}})


# --- the policy engine (per-tool authorization) ------------------------------------------------------

ENGINE = {
    "arn": f"arn:aws:bedrock-agentcore:{REGION}:123456789012:policy-engine/e_tools-abcde12345",
    "mode": "ENFORCE",
}


def test_the_policy_engine_is_attached_at_create_and_kept_by_every_update(client: Any) -> None:
    """CreateGateway attaches it; the update that sets the real audience right after, and every
    converge, send it again, since UpdateGateway resets what it is not sent (the double resets it)."""
    calls = Calls(client)
    s = spec("engine", policy_engine=ENGINE)
    gid = agentcore.create(client, s, **FAST).gateway["gatewayId"]
    (create,) = calls.of("CreateGateway")
    assert create["policyEngineConfiguration"] == ENGINE
    assert all(u["policyEngineConfiguration"] == ENGINE for u in calls.of("UpdateGateway"))
    assert client.get_gateway(gatewayIdentifier=gid)["policyEngineConfiguration"] == ENGINE
    # Switched to LOG_ONLY out of band: the next converge puts ENFORCE back.
    live = agentcore.get_gateway(client, gid)
    request = agentcore.desired_request(live, s) | {"policyEngineConfiguration": ENGINE | {"mode": "LOG_ONLY"}}
    client.update_gateway(**request)
    agentcore.wait_settled(client, gid, **FAST)
    assert "policyEngineConfiguration" in agentcore.converge(client, gid, s, **FAST).changed
    assert client.get_gateway(gatewayIdentifier=gid)["policyEngineConfiguration"] == ENGINE


# --- clientToken: an idempotency token, fresh per create ------------------------------------------


def test_the_double_honours_client_token_as_aws_documents_it(client: Any) -> None:
    """Model, CreateGatewayRequest.clientToken: a repeat is ignored (the first answer, nothing
    created); with other parameters it is refused."""
    from botocore.exceptions import ClientError

    request = {**agentcore.create_request(spec("tokened")), "clientToken": "t" * 40}
    first = client.create_gateway(**request)
    again = client.create_gateway(**request)
    assert again["gatewayId"] == first["gatewayId"]
    assert [g["name"] for g in client.list_gateways()["items"]].count("tokened") == 1
    with pytest.raises(ClientError, match="IdempotentParameterMismatch"):
        client.create_gateway(**{**request, "name": "tokened2"})


def test_each_create_sends_a_fresh_client_token(client: Any) -> None:
    calls = Calls(client)
    first = agentcore.create(client, spec("freshtoken"), **FAST)
    agentcore.delete(client, first.gateway["gatewayId"], **FAST)
    agentcore.create(client, spec("freshtoken"), **FAST)
    tokens = [c["clientToken"] for c in calls.of("CreateGateway")]
    assert len(tokens) == 2 and tokens[0] != tokens[1]


@pytest.mark.parametrize("case", ["failed-then-rerun", "destroy-then-up", "deleted-out-of-band-refresh-up"])
def test_a_gateway_can_be_created_again_under_the_same_name(client: Any, aws_env: str, case: str) -> None:
    """The three ways a stack creates a gateway a second time under one name: a fixed token made
    AWS answer with the first, deleted gateway, and the create then failed reading it."""
    name = {"failed-then-rerun": "again1", "destroy-then-up": "again2", "deleted-out-of-band-refresh-up": "again3"}[
        case
    ]
    p = props(name)
    provider = _Provider()
    if case == "failed-then-rerun":
        # The recovery (docs/architecture.md) for a gateway AWS could not create: run the same command again.
        client.meta.events.register(
            "after-call.bedrock-agentcore-control.CreateGateway",
            lambda parsed, **_: agentcore_double.set_status(parsed["gatewayId"], "FAILED", ["role not usable"]),
            unique_id="fail-once",
        )
        monkey = pytest.MonkeyPatch()
        monkey.setattr(agentcore, "make_client", lambda _s: client)
        try:
            with pytest.raises(AgentCoreError, match="it was deleted, run the same command again"):
                provider.create(p)
        finally:
            client.meta.events.unregister("after-call.bedrock-agentcore-control.CreateGateway", unique_id="fail-once")
            monkey.undo()
        old_id = None
    else:
        old = provider.create(p)
        old_id = old.id
        if case == "destroy-then-up":
            provider.delete(old.id, old.outs)
        else:
            agentcore.delete(client, old.id, **FAST)  # in the console, say
            assert provider.read(old.id, old.outs).id == ""  # refresh drops it from the state
    again = provider.create(p)
    assert again.id != old_id and again.outs["status"] == "READY"
    assert client.get_gateway(gatewayIdentifier=again.id)["name"] == name


# --- replacement: the name is fixed, so the old gateway goes first ---------------------------------


def test_the_gateway_is_declared_delete_before_replace(dev_eval: Any) -> None:
    """`pulumi up --replace` (or any create-before-delete) would create under the taken name,
    resume the live gateway as its own, then delete it as the old one."""
    gateways = dev_eval.of_type(TYPE_TOKEN)
    assert gateways and all(g.delete_before_replace for g in gateways)


def test_a_replacement_create_before_delete_would_delete_the_live_gateway(client: Any, aws_env: str) -> None:
    """What delete-before-replace prevents, and that the provider asks for it on every replace."""
    p = props("cbd")
    provider = _Provider()
    old = provider.create(p)
    new = provider.create(p)  # the replacement's create, while the old one still exists
    assert new.id == old.id  # the same gateway: deleting "the old one" would delete the live one
    diff = provider.diff(old.id, old.outs, {**p, "region": "eu-west-1"})
    assert diff.replaces == ["region"] and diff.delete_before_replace is True


# --- ownership: two organizations' same-named stacks in one account ---------------------------------


def _declared_gateway(organization: str, domain: str, stack: str = "dev") -> dict[str, Any]:
    """The gateway inputs the program declares for stack `mcpauth/<stack>` in `organization`."""
    from offline.engine import run_program
    from tests.conftest import make_config

    ev = run_program({**make_config(), "auth0:domain": domain}, stack, organization=organization)
    (gw,) = ev.of_type(TYPE_TOKEN)
    return {**gw.inputs, "region": REGION, "roleArn": ROLE}


def test_two_organizations_same_stack_in_one_account_each_keep_their_own_gateway(client: Any, aws_env: str) -> None:
    """Two Pulumi organizations (or backends) deploying mcpauth/dev/tools into one account: each
    gets its own gateway; neither resumes the other's and rewrites its issuer."""
    provider = _Provider()
    acme = provider.create(_declared_gateway("acme", "acme.eu.auth0.com"))
    globex = provider.create(_declared_gateway("globex", "globex.eu.auth0.com"))
    assert globex.id != acme.id
    assert jwt_of(client, acme.id)["discoveryUrl"] == "https://acme.eu.auth0.com/.well-known/openid-configuration"
    assert jwt_of(client, globex.id)["discoveryUrl"] == ("https://globex.eu.auth0.com/.well-known/openid-configuration")


def test_a_same_named_gateway_of_another_organization_is_not_resumed(client: Any) -> None:
    """On a DIY backend the organization cannot tell stacks apart, so the name can be the same:
    the qualified-stack tag still stops the resume, and the message says whose it is."""
    theirs = spec("shared", tags={**spec("shared").tags, "mcpauth:qualified-stack": "globex/mcpauth/test"})
    ours = spec("shared", tags={**spec("shared").tags, "mcpauth:qualified-stack": "acme/mcpauth/test"})
    other = agentcore.create(client, theirs, **FAST).gateway
    with pytest.raises(AgentCoreError, match="globex/mcpauth/test") as caught:
        agentcore.create(client, ours, **FAST)
    assert other["gatewayId"] in str(caught.value)
    assert jwt_of(client, other["gatewayId"])["discoveryUrl"] == DISCOVERY


def test_a_deployed_gateway_keeps_its_name_and_gains_the_organization_tag_in_place(client: Any, aws_env: str) -> None:
    """A stack deployed before the organization was in the name: check keeps the state's name, and
    the update adds the tag, no replacement."""
    before = {**_declared_gateway("acme", "acme.eu.auth0.com", "upgraded")}
    before["tags"] = {k: v for k, v in before["tags"].items() if k != "mcpauth:qualified-stack"}
    from rules.naming import gateway_physical_name

    before["name"] = gateway_physical_name("mcpauth", "upgraded", "tools")  # the earlier derivation
    provider = _Provider()
    old = provider.create(before)
    now = provider.check(old.outs, _declared_gateway("acme", "acme.eu.auth0.com", "upgraded")).inputs
    assert now["name"] == before["name"]
    diff = provider.diff(old.id, old.outs, now)
    assert diff.changes is True and not diff.replaces
    provider.update(old.id, old.outs, now)
    arn = client.get_gateway(gatewayIdentifier=old.id)["gatewayArn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"]["mcpauth:qualified-stack"] == "acme/mcpauth/upgraded"


# --- IAM propagation: only AWS's role-validation refusal is waited out --------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/deployer/ci is not authorized to perform: iam:PassRole "
            "on resource: arn:aws:iam::123456789012:role/gw",
        ),
        ("ValidationException", "1 validation error detected: Value at 'roleArn' failed to satisfy constraint"),
    ],
    ids=["passrole-denied", "bad-role-arn"],
)
def test_a_refusal_that_merely_names_a_role_is_not_waited_out(code: str, message: str) -> None:
    """The deployer lacking iam:PassRole, or a malformed role ARN, will not heal in 60 s: say so now."""

    class Refuses(Scripted):
        tries = 0

        def create_gateway(self, **_: Any) -> dict[str, Any]:
            Refuses.tries += 1
            raise client_error(code, message, "CreateGateway")

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with pytest.raises(AgentCoreError, match=code):
        agentcore.create(Refuses([]), spec("n"), sleep=sleep, clock=lambda: now[0])
    assert (slept, Refuses.tries) == ([], 1)


# --- how long a busy gateway is waited for -------------------------------------------------------------


class _Stuck:
    def get_gateway(self, **_: Any) -> dict[str, Any]:
        return {"gatewayId": "g-0123456789", "status": "CREATING"}


@pytest.mark.parametrize(("env", "says"), [(None, "after 1800s"), ("3600", "after 3600s")])
def test_a_busy_gateway_is_waited_for_as_long_as_terraform_waits_or_as_configured(
    monkeypatch: pytest.MonkeyPatch, env: str | None, says: str
) -> None:
    """Terraform waits 30 minutes for a gateway to be created, updated or deleted; the dynamic
    provider gets no customTimeouts, so MCPAUTH_AGENTCORE_TIMEOUT_SECONDS sets it."""
    if env is None:
        monkeypatch.delenv("MCPAUTH_AGENTCORE_TIMEOUT_SECONDS", raising=False)
    else:
        monkeypatch.setenv("MCPAUTH_AGENTCORE_TIMEOUT_SECONDS", env)
    clock = iter(range(0, 100_000, 100))
    with pytest.raises(AgentCoreError, match=says):
        agentcore.wait_settled(_Stuck(), "g-0123456789", sleep=lambda _: None, clock=lambda: next(clock))


def test_a_bad_wait_setting_names_the_variable_and_what_it_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPAUTH_AGENTCORE_TIMEOUT_SECONDS", "30m")
    clock = iter(range(0, 100_000, 100))
    with pytest.raises(AgentCoreError, match=r"MCPAUTH_AGENTCORE_TIMEOUT_SECONDS: got '30m'; a number of seconds"):
        agentcore.wait_settled(_Stuck(), "g-0123456789", sleep=lambda _: None, clock=lambda: next(clock))


# --- tags: drift shows and is repaired; a tag dropped from the config is removed ---------------------


def test_tag_drift_shows_in_preview_and_is_repaired_by_the_update(client: Any, aws_env: str) -> None:
    """Resuming an interrupted create trusts the tags, so a changed or removed one is drift."""
    p = props("tagdrift")
    provider = _Provider()
    created = provider.create(p)
    arn = created.outs["gatewayArn"]
    client.untag_resource(resourceArn=arn, tagKeys=["mcpauth:stack"])
    client.tag_resource(resourceArn=arn, tags={"mcpauth:gateway": "someone-else", "owner": "ops"})
    assert provider.diff(created.id, created.outs, p).changes is True  # preview, no refresh
    provider.update(created.id, created.outs, p)
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {**p["tags"], "owner": "ops"}
    assert provider.diff(created.id, created.outs, p).changes is False


def test_a_tag_dropped_from_the_config_is_removed_and_others_tags_are_kept(client: Any, aws_env: str) -> None:
    """aws:defaultTags entries reach the gateway as tags; one removed from the config goes."""
    with_team = props("tagdrop", tags={**props("tagdrop")["tags"], "team": "platform"})
    provider = _Provider()
    created = provider.create(with_team)
    arn = created.outs["gatewayArn"]
    client.tag_resource(resourceArn=arn, tags={"owner": "ops"})
    without = props("tagdrop")
    provider.update(created.id, created.outs, without)
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {**without["tags"], "owner": "ops"}


# --- what a drift preview names -------------------------------------------------------------------------


def test_refresh_hands_the_engine_the_live_inputs_so_the_preview_names_each_drifted_property(
    client: Any, aws_env: str
) -> None:
    """The dynamic provider cannot return a detailed diff (pulumi.dynamic.DiffResult has no
    detailed_diffs), so a drift previews as a bare update. After a refresh the engine diffs the
    state's inputs against the program's: refresh must record the live values as inputs (ReadResult
    `inputs`), so `preview --refresh --diff` shows which properties drifted."""
    p = props("namesdrift")
    provider = _Provider()
    created = provider.create(p)
    arn = created.outs["gatewayArn"]
    jwt = jwt_of(client, created.id)
    live = client.get_gateway(gatewayIdentifier=created.id)
    client.update_gateway(
        gatewayIdentifier=created.id,
        name=live["name"],
        roleArn=live["roleArn"],
        protocolType="MCP",
        authorizerType="CUSTOM_JWT",
        description=live["description"],
        authorizerConfiguration={"customJWTAuthorizer": {**jwt, "allowedScopes": ["admin"]}},
    )
    client.untag_resource(resourceArn=arn, tagKeys=["mcpauth:stack"])
    refreshed = provider.read(created.id, created.outs)
    assert refreshed.inputs is not None
    shown = sorted(k for k in INPUT_KEYS if refreshed.inputs.get(k) != p.get(k))
    assert shown == ["allowedScopes", "tags"]
    assert refreshed.inputs["allowedScopes"] == ["admin"]
    assert "mcpauth:stack" not in refreshed.inputs["tags"]


@pytest.mark.parametrize(
    ("role", "tags"),
    [
        ("arn:aws:iam::123456789012:role/my-own-role", {"owner": "me"}),
        (FIRST_RELEASE_ROLE, {"mcpauth:project": "mcpauth", "mcpauth:stack": "prod", "mcpauth:gateway": "other"}),
    ],
    ids=["made-by-hand", "another-mcpauth-stack"],
)
def test_a_gateway_that_merely_has_the_first_release_name_does_not_stop_a_new_stack(
    client: Any, role: str, tags: dict[str, str]
) -> None:
    """A hand-made `tools-prod`, or a tagged one of another mcpauth stack, is not this stack's
    first-release gateway: no migration is due, and the new name does not collide with it."""
    agentcore_double_reset(client)
    theirs = client.create_gateway(**{**agentcore.create_request(spec("tools-prod")), "tags": tags, "roleArn": role})
    made = agentcore.create(client, _new_tools(), **FAST).gateway
    assert made["name"] == "tools-prod-abcdefgh" and made["gatewayId"] != theirs["gatewayId"]
    assert client.get_gateway(gatewayIdentifier=theirs["gatewayId"])["roleArn"] == role


def agentcore_double_reset(client: Any) -> None:
    """Remove gateways an earlier test left under the names these tests use."""
    for name in ("tools-prod", "tools-prod-abcdefgh"):
        found = agentcore.find_by_name(client, name)
        if found:
            agentcore.delete(client, found["gatewayId"], **FAST)
