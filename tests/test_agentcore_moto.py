"""The UpdateGateway code against a real moto server (bedrock-agentcore-control) on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from components import agentcore
from components.agentcore import AgentCoreError, DesiredAuthorizer, converge
from components.authorizer import TYPE_TOKEN, _Provider
from components.naming import permission_claim_rules, placeholder_audience, resource_url
from tests.conftest import ROOT

REGION = "us-west-2"
DISCOVERY = "https://acme.us.auth0.com/.well-known/openid-configuration"


def _moto_updates_finish() -> None:
    """moto gap: its gateways go CREATING -> READY but stay UPDATING forever after
    UpdateGateway; AWS moves them on to READY. Teach the emulator that one transition."""
    from moto.bedrockagentcorecontrol.models import Gateway

    if getattr(Gateway.update, "_mcpauth", False):
        return
    original = Gateway.update

    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._transitions = [("CREATING", "READY"), ("UPDATING", "READY")]

    update._mcpauth = True  # type: ignore[attr-defined]
    Gateway.update = update  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    _moto_updates_finish()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # boto3's own standard endpoint override: the code under test passes no endpoint itself.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint


class Writes:
    """Counts UpdateGateway calls and keeps what was sent, through botocore's event hooks."""

    def __init__(self, client: Any) -> None:
        self.sent: list[dict[str, Any]] = []
        client.meta.events.register("provide-client-params.bedrock-agentcore-control.UpdateGateway", self._hook)

    def _hook(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append(dict(params))


def new_gateway(client: Any, name: str = "tools-test", **extra: Any) -> str:
    gw = client.create_gateway(
        name=name,
        roleArn="arn:aws:iam::123456789012:role/gw",
        protocolType="MCP",
        authorizerType="CUSTOM_JWT",
        authorizerConfiguration={
            "customJWTAuthorizer": {
                "discoveryUrl": DISCOVERY,
                "allowedAudience": [placeholder_audience("tools")],
            }
        },
        **extra,
    )
    return gw["gatewayId"]


def desired_for(client: Any, gid: str, perms: list[str] | None = None) -> DesiredAuthorizer:
    url = client.get_gateway(gatewayIdentifier=gid)["gatewayUrl"]
    return DesiredAuthorizer(
        discovery_url=DISCOVERY,
        allowed_audiences=[resource_url(url)],
        custom_claims=permission_claim_rules(perms or []),
    )


def fast(client: Any, gid: str, desired: DesiredAuthorizer) -> agentcore.ConvergeResult:
    return converge(client, gid, desired, interval=0.01, timeout=5)


def test_create_then_converge_sets_the_resource_url_as_the_only_audience(aws_env: str) -> None:
    client = agentcore.make_client(REGION)
    gid = new_gateway(client, description="keep me", protocolConfiguration={"mcp": {"searchType": "SEMANTIC"}})
    writes = Writes(client)
    result = fast(client, gid, desired_for(client, gid, ["read:tools"]))
    assert result.changed and result.status == "READY"
    got = client.get_gateway(gatewayIdentifier=gid)
    jwt = got["authorizerConfiguration"]["customJWTAuthorizer"]
    # moto's URL has no /mcp; the audience must still be the /mcp resource URL.
    assert not got["gatewayUrl"].endswith("/mcp")
    assert jwt["allowedAudience"] == [got["gatewayUrl"] + "/mcp"]
    assert jwt["discoveryUrl"] == DISCOVERY
    assert "allowedClients" not in jwt
    assert jwt["customClaims"][0]["inboundTokenClaimName"] == "permissions"
    # UpdateGateway replaces the whole definition: the other settings were sent back.
    (sent,) = writes.sent
    assert sent["description"] == "keep me"
    assert sent["protocolConfiguration"] == {"mcp": {"searchType": "SEMANTIC"}}
    assert sent["roleArn"] == "arn:aws:iam::123456789012:role/gw" and sent["name"] == "tools-test"
    assert got["description"] == "keep me"


def test_converging_twice_makes_no_second_write(aws_env: str) -> None:
    client = agentcore.make_client(REGION)
    gid = new_gateway(client, name="twice")
    desired = desired_for(client, gid, ["read:tools", "execute:tools"])
    writes = Writes(client)
    assert fast(client, gid, desired).changed
    before = client.get_gateway(gatewayIdentifier=gid)["updatedAt"]
    second = fast(client, gid, desired)
    assert not second.changed
    assert len(writes.sent) == 1
    assert client.get_gateway(gatewayIdentifier=gid)["updatedAt"] == before


def test_reordered_claims_are_not_a_change(aws_env: str) -> None:
    client = agentcore.make_client(REGION)
    gid = new_gateway(client, name="order")
    fast(client, gid, desired_for(client, gid, ["a", "b"]))
    writes = Writes(client)
    assert not fast(client, gid, desired_for(client, gid, ["b", "a"])).changed
    assert writes.sent == []


def test_adopting_an_existing_gateway_with_a_url_ending_in_mcp(aws_env: str) -> None:
    client = agentcore.make_client(REGION)
    gid = new_gateway(client, name="adopted")
    url = client.get_gateway(gatewayIdentifier=gid)["gatewayUrl"]
    # The real service's form: the same URL with /mcp normalises to the same audience.
    assert resource_url(url + "/mcp") == resource_url(url)
    desired = DesiredAuthorizer(DISCOVERY, [resource_url(url + "/mcp/")])
    assert fast(client, gid, desired).changed
    assert client.get_gateway(gatewayIdentifier=gid)["authorizerConfiguration"]["customJWTAuthorizer"][
        "allowedAudience"
    ] == [url + "/mcp"]


def test_a_missing_gateway_names_the_id_the_code_and_the_fix(aws_env: str) -> None:
    client = agentcore.make_client(REGION)
    with pytest.raises(AgentCoreError) as info:
        fast(client, "nosuchgw123", DesiredAuthorizer(DISCOVERY, ["https://x.example.com/mcp"]))
    msg = str(info.value)
    assert "'nosuchgw123'" in msg
    assert "ResourceNotFoundException" in msg
    assert "existingGatewayId" in msg and "aws:region" in msg


def test_an_aws_error_on_update_names_its_code_and_gateway(aws_env: str) -> None:
    client = agentcore.make_client(REGION)
    gid = new_gateway(client, name="denied")

    def deny(**_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError(
            {
                "Error": {
                    "Code": "AccessDeniedException",
                    "Message": "not authorized to perform UpdateGateway",
                }
            },
            "UpdateGateway",
        )

    # A real client and server for the read; the write refused as IAM would refuse it.
    client.meta.events.register("before-call.bedrock-agentcore-control.UpdateGateway", lambda **kw: deny())
    with pytest.raises(AgentCoreError) as info:
        fast(client, gid, desired_for(client, gid))
    msg = str(info.value)
    assert f"'{gid}'" in msg and "AccessDeniedException" in msg and "iam:PassRole" in msg
    # Nothing half-done: the gateway still has its old authorizer and is READY.
    got = client.get_gateway(gatewayIdentifier=gid)
    assert got["authorizerConfiguration"]["customJWTAuthorizer"]["allowedAudience"] == [placeholder_audience("tools")]


def test_a_gateway_that_never_gets_ready_times_out_with_a_retry_hint(aws_env: str) -> None:
    client = agentcore.make_client(REGION)
    gid = new_gateway(client, name="slow")
    clock = iter(range(0, 10_000, 100))
    calls = {"n": 0}
    real = client.get_gateway

    def stuck(**kw: Any) -> dict[str, Any]:
        calls["n"] += 1
        return {**real(**kw), "status": "UPDATING"}

    with pytest.raises(AgentCoreError, match="still UPDATING after 300s; run the same command again"):
        agentcore.wait_ready(
            type("C", (), {"get_gateway": staticmethod(stuck)})(),
            gid,
            timeout=300,
            sleep=lambda _: None,
            clock=lambda: next(clock),
        )
    assert calls["n"] == 3  # polled at t=0.1k, 0.2k, 0.3k s, then gave up


def test_the_dynamic_provider_creates_reads_and_diffs_against_aws(aws_env: str) -> None:
    client = agentcore.make_client(REGION)
    gid = new_gateway(client, name="dyn")
    url = resource_url(client.get_gateway(gatewayIdentifier=gid)["gatewayUrl"])
    props = {
        "gatewayId": gid,
        "region": REGION,
        "profile": "",
        "discoveryUrl": DISCOVERY,
        "allowedAudiences": [url],
        "allowedClients": [],
        "customClaims": permission_claim_rules(["read:tools"]),
    }
    provider = _Provider()
    assert provider.check({}, props).failures == []
    created = provider.create(props)
    assert created.id == f"{gid}/authorizer"
    assert created.outs["status"] == "READY"
    read = provider.read(created.id, created.outs)
    assert read.outs["allowedAudiences"] == [url]
    assert read.outs["allowedClients"] == []
    assert provider.diff(created.id, read.outs, props).changes is False
    # Someone adds a trailing slash by hand in the console: refresh shows it, up fixes it.
    client.update_gateway(
        gatewayIdentifier=gid,
        name="dyn",
        roleArn="arn:aws:iam::123456789012:role/gw",
        protocolType="MCP",
        authorizerType="CUSTOM_JWT",
        authorizerConfiguration={"customJWTAuthorizer": {"discoveryUrl": DISCOVERY, "allowedAudience": [url + "/"]}},
    )
    drifted = provider.read(created.id, created.outs)
    assert drifted.outs["allowedAudiences"] == [url + "/"]
    assert provider.diff(created.id, drifted.outs, props).changes is True
    provider.update(created.id, drifted.outs, props)
    assert provider.read(created.id, created.outs).outs["allowedAudiences"] == [url]
    assert provider.diff(created.id, props, {**props, "gatewayId": "other"}).replaces == ["gatewayId"]


def test_the_provider_check_names_missing_inputs() -> None:
    failures = _Provider().check({}, {"gatewayId": "", "region": "us-east-1"}).failures
    assert {f.property for f in failures} == {"gatewayId", "discoveryUrl", "allowedAudiences"}


def test_the_client_honours_aws_profile(aws_env: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`aws:profile` reaches boto3: a profile's credentials are used, and an unknown profile is a
    clear error rather than a silent fallback to other credentials."""
    creds = tmp_path / "credentials"
    creds.write_text("[deployer]\naws_access_key_id = fromprofile\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    client = agentcore.make_client(REGION, "deployer")
    assert client.meta.region_name == REGION
    assert client._request_signer._credentials.access_key == "fromprofile"
    gid = new_gateway(client, name="profiled")
    assert agentcore.get_gateway(client, gid)["gatewayId"] == gid
    with pytest.raises(AgentCoreError, match="aws:profile 'nobody' is not in the AWS config"):
        agentcore.make_client(REGION, "nobody")


# --- The dynamic provider as `pulumi up` runs it -------------------------------------------------
# The CLI does not call _Provider in the program's process: it starts the SDK's provider host
# (`pulumi-resource-pulumi-python`, i.e. `<venv>/bin/python -u -m pulumi.dynamic`) in the project
# directory and sends it, over gRPC, the `__provider` string the program registered (the provider
# pickled by dill). The tests below run that same host and send it what our program registered.


def registered_authorizer(gateway_id: str) -> dict[str, Any]:
    """The GatewayAuthorizer inputs, `__provider` included, that the program registers for a stack
    adopting `gateway_id` (evaluated under the mock engine, as `make plan` does)."""
    from pulumi.runtime import rpc

    from offline.engine import run_program
    from tests.conftest import make_config

    seen: dict[str, Any] = {}

    def keep(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if typ == TYPE_TOKEN:
            seen.update(inputs)
        return out

    config = {**make_config([{"name": "tools", "existingGatewayId": gateway_id}]), "aws:region": REGION}
    run_program(config, "dev", hook=keep)
    # The SDK registers the pickled provider as a secret; the host answers Configure with
    # acceptSecrets=false, so the engine hands it over unwrapped, as here.
    wrapped = seen["__provider"]
    assert wrapped[rpc._special_sig_key] == rpc._special_secret_sig, "the SDK registers __provider as a secret"
    return {**seen, "__provider": wrapped["value"]}


@contextmanager
def provider_host(cwd: Path, moto: str) -> Iterator[Any]:
    """The SDK's dynamic provider host as the CLI starts it, and a gRPC stub speaking to it."""
    import grpc
    from pulumi.runtime.proto import provider_pb2_grpc

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
    env.update(AWS_ENDPOINT_URL=moto, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    host = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"], cwd=cwd, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert host.stdout is not None
        port = int(host.stdout.readline())  # the host's first line: its port
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


URN = f"urn:pulumi:dev::mcpauth::mcpauth:index:McpGateway${TYPE_TOKEN}::gw-tools-authorizer"


def test_the_provider_host_runs_what_the_program_registered(aws_env: str) -> None:
    """Check, create, refresh (read) and diff through the real host process, with the provider
    the program serialized: the gateway in AWS ends with exactly the program's audience."""
    from pulumi.runtime.proto import provider_pb2

    client = agentcore.make_client(REGION)
    gid = new_gateway(client, name="hosted")
    inputs = registered_authorizer(gid)
    with provider_host(ROOT, aws_env) as host:
        host.Configure(provider_pb2.ConfigureRequest(args=struct({})))
        checked = host.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct(inputs)))
        assert list(checked.failures) == []
        created = host.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs))
        assert created.id == f"{gid}/authorizer"
        assert plain(created.properties)["status"] == "READY"
        jwt = client.get_gateway(gatewayIdentifier=gid)["authorizerConfiguration"]["customJWTAuthorizer"]
        assert jwt["allowedAudience"] == inputs["allowedAudiences"]
        assert jwt["discoveryUrl"] == inputs["discoveryUrl"] and "allowedClients" not in jwt
        # `pulumi refresh` then `preview --expect-no-changes`: nothing to do.
        read = host.Read(provider_pb2.ReadRequest(id=created.id, urn=URN, properties=created.properties))
        diff = host.Diff(provider_pb2.DiffRequest(id=created.id, urn=URN, olds=read.properties, news=checked.inputs))
        assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE
        # A missing input comes back as a check failure naming it, before anything is called.
        bad = host.Check(
            provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct({**inputs, "allowedAudiences": []}))
        )
        assert [(f.property, f.reason) for f in bad.failures] == [
            ("allowedAudiences", "at least one audience is required")
        ]


def test_the_registered_provider_is_a_reference_to_the_projects_code(aws_env: str, tmp_path: Path) -> None:
    """The pickled provider names `components.authorizer._Provider`; the host imports it from the
    project directory. So the checkout you run `up`/`refresh`/`destroy` from is the code that runs,
    and renaming that class or module breaks every existing stack's state: keep them."""
    import base64

    from pulumi.runtime.proto import provider_pb2

    inputs = registered_authorizer("gw-anything")
    pickled = base64.b64decode(inputs["__provider"])
    assert b"components.authorizer" in pickled and b"_Provider" in pickled
    # Not the project directory:
    with provider_host(tmp_path, aws_env) as host, pytest.raises(Exception, match="No module named 'components'"):
        host.Check(provider_pb2.CheckRequest(urn=URN, olds=struct({}), news=struct(inputs)))
