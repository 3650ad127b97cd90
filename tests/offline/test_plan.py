"""`make plan`: the offline plan's text and JSON, its exit statuses, determinism and wiring checks."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest

import components.gateway
import components.program
from offline import engine
from offline import plan as planmod
from offline.graph import critical_path
from offline.wiring import aws_model_problems, wiring_table
from rules.types import TENANT
from tests.helpers.stack import ROOT


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = planmod.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_stack(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / f"Pulumi.{name}.yaml").write_text(text)
    return tmp_path


@pytest.fixture
def handed_out_secrets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every client secret the mocks hand out during the test, whatever they are, to prove none
    of them prints."""
    secrets: list[str] = []
    real = engine.RealisticMocks.new_resource

    def new_resource(self: engine.RealisticMocks, args: Any) -> Any:
        rid, out = real(self, args)
        if "clientSecret" in out:
            secrets.append(out["clientSecret"])
        return rid, out

    monkeypatch.setattr(engine.RealisticMocks, "new_resource", new_resource)
    return secrets


def waits_on(resources: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Per custom resource (`urn`, `parent`, `custom`, `dependsOn`), the custom resources it waits
    on: waiting on a component is waiting on everything under it."""
    children: dict[str | None, list[str]] = {}
    for r in resources:
        children.setdefault(r["parent"], []).append(r["urn"])
    custom = {r["urn"] for r in resources if r["custom"]}

    def expand(urn: str) -> set[str]:
        return {urn} if urn in custom else {u for c in children.get(urn, []) for u in expand(c)}

    return {r["urn"]: {u for d in r["dependsOn"] for u in expand(d)} - {r["urn"]} for r in resources if r["custom"]}


def assert_a_longest_chain(path: list[str], waits: dict[str, set[str]]) -> None:
    """Each step waits on the one before, and no chain of waiting resources is longer."""
    depth: dict[str, int] = {}

    def chain(u: str) -> int:
        if u not in depth:
            depth[u] = 1 + max((chain(d) for d in waits[u]), default=0)
        return depth[u]

    for before, step in itertools.pairwise(path):
        assert before in waits[step], f"{step} does not wait on {before}"
    assert len(path) == max(chain(u) for u in waits)


def ev_resources(ev: engine.Evaluation) -> list[dict[str, Any]]:
    return [{"urn": r.urn, "parent": r.parent, "custom": r.custom, "dependsOn": r.depends_on} for r in ev.resources]


def test_text_plan_of_dev_shows_tree_wiring_path_and_outputs(
    capsys: pytest.CaptureFixture[str], handed_out_secrets: list[str]
) -> None:
    code, out, err = run_main(capsys, "--stack", "dev")
    assert code == 0, err
    assert "mcpauth:index:McpGateway gw-tools" in out
    assert "auth0:index/resourceServer:ResourceServer api-tools-api" in out
    assert "tokenDialect: access_token_authz" in out
    assert "  tools: ok" in out and "  docs: ok" in out
    # Through the tools gateway's targets: the role's permissions to use the search target's
    # credential exist before the gateway (docs/targets.md).
    assert "Critical path (8 resources in sequence)" in out
    assert "→ pulumi-python:dynamic/mcpauth:AgentCoreGateway" in out
    assert "machineClientSecrets: [secret]" in out
    assert out.rstrip().endswith("plan: ok")
    assert handed_out_secrets, "no client secret was handed out: nothing checked"
    for secret in handed_out_secrets:
        assert secret not in out


def test_json_plan_has_the_documented_shape(capsys: pytest.CaptureFixture[str], handed_out_secrets: list[str]) -> None:
    code, out, _ = run_main(capsys, "--stack", "dev", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert {"resources", "outputs", "wiring", "criticalPath", "policies"} <= set(doc)
    api = next(r for r in doc["resources"] if r["name"] == "api-tools-api")
    assert set(api) >= {"urn", "type", "name", "parent", "inputs", "dependsOn"}
    assert api["inputs"]["signingAlg"] == "RS256"  # the engine's camelCase
    assert api["parent"].endswith("mcpauth:index:McpApi::api-tools")
    perm = next(r for r in doc["resources"] if r["name"] == "api-tools-role-mcp-user.read-tools")
    assert any(d.endswith("::api-tools-scopes") for d in perm["dependsOn"])
    assert [w["gateway"] for w in doc["wiring"]] == ["tools", "docs"]
    assert all(w["ok"] and w["apiIdentifier"] == w["resourceUrl"] for w in doc["wiring"])
    # A longest chain of waiting resources: the tools gateway's upstream credential, the role's
    # permission to use it, the gateway, its API; after the API, its scopes or the Action (a tie).
    path = doc["criticalPath"]
    assert_a_longest_chain(path, waits_on(doc["resources"]))
    types = {r["urn"]: r["type"] for r in doc["resources"]}
    assert [types[u] for u in path[:6]] == [
        "auth0:index/client:Client",
        "auth0:index/clientCredentials:ClientCredentials",
        "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider",
        "aws:iam/rolePolicy:RolePolicy",
        "pulumi-python:dynamic/mcpauth:AgentCoreGateway",
        "auth0:index/resourceServer:ResourceServer",
    ]
    assert doc["outputs"]["machineClientSecrets"] == "[secret]"
    assert handed_out_secrets, "no client secret was handed out: nothing checked"
    for secret in handed_out_secrets:
        assert secret not in out


@pytest.mark.slow  # two Python processes
def test_two_plans_of_one_config_are_identical_across_processes() -> None:
    def plan_json() -> str:
        return subprocess.run(
            [sys.executable, "-m", "offline.plan", "--stack", "dev", "--format", "json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    first, second = plan_json(), plan_json()
    assert first == second
    assert json.loads(first)["resources"], "two empty plans would be identical too"


def test_a_forced_trailing_slash_on_the_api_side_is_caught(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = components.gateway.McpApi

    def slash(*args: Any, identifier: Any, **kw: Any) -> Any:
        return real(*args, identifier=pulumi.Output.from_input(identifier).apply(lambda s: s + "/"), **kw)

    monkeypatch.setattr(components.gateway, "McpApi", slash)
    code, out, _ = run_main(capsys, "--stack", "dev")
    assert code == 1
    assert "  tools: MISMATCH" in out
    # The message names both strings as they are, whatever the gateway's URL.
    row = re.search(r"  tools: MISMATCH\n    resource URL +(\S+)\n", out)
    assert row, out
    url = row.group(1)
    assert f"API identifier '{url}/' != resource URL '{url}'" in out
    assert "allowed audiences" in out
    assert out.rstrip().endswith("plan: FAILED (see ✗ above)")


def test_a_trailing_slash_on_the_gateway_side_is_caught() -> None:
    def slash(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if typ == "pulumi-python:dynamic/mcpauth:AgentCoreGateway":
            out["allowedAudiences"] = [a + "/" for a in out["allowedAudiences"]]
        return out

    plan = planmod.make_plan("dev", hook=slash)
    assert plan.failed
    problems = [p for w in plan.wiring for p in w.problems]
    assert len(problems) == 2 and all("differs only by a trailing slash" in p for p in problems)


def test_a_custom_domain_shortens_the_critical_path() -> None:
    """The API waits for the gateway only when the gateway's URL is its resource URL."""
    from tests.helpers.stack import make_config

    def path(gateways: list[dict[str, Any]]) -> list[str]:
        ev = engine.run_program(make_config(gateways), "cp")
        found = critical_path(ev)
        assert_a_longest_chain(found, waits_on(ev_resources(ev)))
        return [u.rsplit("::", 1)[-1] for u in found]

    without = path([{"name": "tools"}])
    with_domain = path([{"name": "tools", "domain": "mcp.example.com"}])
    # What follows the API (its scopes then a grant, or the Action then its binding) is a tie.
    assert without[:3] == ["gw-tools-role", "gw-tools-gateway", "api-tools-api"]
    # With the domain the API waits on nothing: the path starts there, without the role or gateway.
    assert with_domain[0] == "api-tools-api" and not [n for n in with_domain if n.startswith("gw-")]
    assert len(with_domain) == len(without) - 2


def test_the_plan_refuses_what_the_agentcore_service_model_refuses() -> None:
    """Every request the gateway resource will send is checked against the model in the plan."""

    def long_tag(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return out

    from offline.engine import Registered

    gw = Registered(
        urn="u",
        type="pulumi-python:dynamic/mcpauth:AgentCoreGateway",
        name="gw-tools-gateway",
        parent="",
        custom=True,
        read=False,
        id="tools-x-0123456789",
        inputs={
            "name": "tools-x",
            "discoveryUrl": "https://a.example.com/.well-known/openid-configuration",
            "roleArn": "arn:aws:iam::111122223333:role/r",
            "description": "d",
            "tags": {"bad key!": "v"},
            "allowedScopes": [],
            "customClaims": [],
        },
        outputs={"gatewayId": "tools-x-0123456789", "gatewayUrl": "https://tools-x-0123456789.gateway.example.com/mcp"},
        depends_on=[],
        property_dependencies={},
        protect=False,
        ignore_changes=[],
    )
    (problem,) = aws_model_problems(gw)
    assert "CreateGateway of AgentCoreGateway 'gw-tools-gateway'" in problem
    assert 'tags["bad key!"]' in problem and "pattern" in problem


def test_a_default_audience_that_is_no_api_identifier_is_caught(tmp_path: Path) -> None:
    import yaml

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    cfg = doc["config"]
    cfg["mcpauth:tenant"].update(resourceParameterProfile="audience", defaultAudience="tools")
    cfg["mcpauth:gateways"] = cfg["mcpauth:gateways"][:1]  # a default audience serves one gateway
    cfg["mcpauth:machineClients"] = [c for c in cfg["mcpauth:machineClients"] if c["gateway"] == "tools"]
    write_stack(tmp_path, "aud", yaml.safe_dump(doc))
    ok = planmod.make_plan("aud", stack_dir=tmp_path)
    tools = next(w for w in ok.wiring if w.gateway == "tools")
    assert tools.default_audience == tools.api_identifier and not tools.problems

    # The same plan with the tenant's default audience a different string than any API's.
    rows = wiring_table(
        dataclasses.replace(
            ok.evaluation,
            resources=[
                dataclasses.replace(r, inputs={**r.inputs, "defaultAudience": "https://other/mcp"})
                if r.type == TENANT
                else r
                for r in ok.evaluation.resources
            ],
        ),
        planmod.load_settings(planmod.load_stack(ROOT, "aud", tmp_path).values, "aud"),
    )
    problems = [p for r in rows for p in r.problems]
    assert any("default audience 'https://other/mcp' != API identifier" in p for p in problems)
    assert any("is no API's identifier" in p for p in problems)


def test_invalid_config_exits_2_with_the_key_path_and_prints_no_plan(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    stack = (
        (ROOT / "Pulumi.dev.yaml")
        .read_text()
        .replace("requiredPermissions:\n        - read:tools\n", "requiredPermissions:\n        - read:tool\n", 1)
    )
    write_stack(tmp_path, "broken", stack)
    code, out, err = run_main(capsys, "--stack", "broken", "--stack-dir", str(tmp_path))
    assert code == 2
    assert out == ""
    assert "mcpauth:gateways[0].requiredPermissions[0]: got 'read:tool'" in err


@pytest.mark.parametrize(
    "text, says",
    [
        (None, "Pulumi.s.yaml: no such file"),
        ("config:\n  aws:region: [\n", "Pulumi.s.yaml: YAML does not parse at line 3"),
        ("config:\n  aws:region: us-east-1\n  mcpauth:gateways: [{name: a}]\n", "auth0:domain: is required"),
        (
            "config:\n  auth0:domain: a.auth0.com\n  mcpauth:gateways: [{name: a}]\n",
            "aws:region: is required",
        ),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_stack_file_problems_get_one_line_naming_file_or_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str | None, says: str
) -> None:
    if text is not None:
        write_stack(tmp_path, "s", text)
    code, out, err = run_main(capsys, "--stack", "s", "--stack-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert says in err
    assert "Traceback" not in err


def test_secure_values_are_never_decrypted_or_shown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cipher = "v1:Zm9vYmFyYmF6cXV4:c2VjcmV0LWNpcGhlcnRleHQtdGhhdC1tdXN0LW5vdC1zaG93"
    stack = (ROOT / "Pulumi.dev.yaml").read_text() + f"  auth0:clientSecret:\n    secure: {cipher}\n"
    write_stack(tmp_path, "sec", stack)
    for fmt in ("text", "json"):
        code, out, err = run_main(capsys, "--stack", "sec", "--stack-dir", str(tmp_path), "--format", fmt)
        assert code == 0, err
        assert cipher not in out and "c2VjcmV0" not in out


@pytest.mark.slow  # make
def test_make_plan_runs_from_the_makefile() -> None:
    """Even when make installs first (`-W`: as if requirements-dev.txt had changed), stdout holds
    only the JSON document: the install's messages go to stderr."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-W", "requirements-dev.txt", "plan", "STACK=dev", "FORMAT=json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True


@pytest.mark.slow  # make
def test_make_plan_reports_an_invalid_stack_as_make_failure() -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "plan", "STACK=does-not-exist"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "Pulumi.does-not-exist.yaml: no such file" in done.stderr


@pytest.mark.slow  # a Python process
def test_the_offline_engine_refuses_two_resources_with_one_urn() -> None:
    """As the real engine does ("Duplicate resource URN"). In a child process: a program that fails
    half-way leaves registrations pending in the SDK's event loop."""
    code = (
        "import pulumi_aws as aws\n"
        "from offline.engine import run_program\n"
        "from tests.helpers.stack import make_config\n"
        "def program():\n"
        "    aws.iam.Role('same', assume_role_policy='{}')\n"
        "    aws.iam.Role('same', assume_role_policy='{}')\n"
        "run_program(make_config(), 'strict', program=program)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Duplicate resource URN 'urn:pulumi:strict::mcpauth::aws:iam/role:Role::same'" in (done.stderr)


def test_the_offline_engine_refuses_an_unknown_parent() -> None:
    from types import SimpleNamespace

    from offline.engine import EngineRefusal, RealisticMocks, RecordingMonitor

    monitor = RecordingMonitor(RealisticMocks("s", "us-east-1"), "s", "p")
    stack = SimpleNamespace(parent="", type="pulumi:pulumi:Stack", name="p-s")
    monitor._admit(stack)
    child = SimpleNamespace(parent="urn:pulumi:s::p::x:y:Z::gone", type="aws:iam/role:Role", name="r")
    with pytest.raises(EngineRefusal, match="names a parent that was never registered"):
        monitor._admit(child)


BASE = "config:\n  aws:region: us-east-1\n  auth0:domain: a.us.auth0.com\n"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("  aws:region: eu-west-1\n  mcpauth:gateways: [{name: tools}]\n", "key 'aws:region' appears twice"),
        ("  mcpauth:gateways: [{name: tools, name: docs}]\n", "key 'name' appears twice"),
        ("  123: x\n  mcpauth:gateways: [{name: tools}]\n", "config key 123 is not a string"),
        (
            "  mcpauth:issuer: !!binary aGVsbG8=\n  mcpauth:gateways: [{name: tools}]\n",
            "mcpauth:issuer: a !!binary value",
        ),
        ("  mcpauth:tenant: !!set {a, b}\n  mcpauth:gateways: [{name: tools}]\n", "mcpauth:tenant: a !!set value"),
        ("  mcpauth:gateways: [{name: tools, 7: x}]\n", "mcpauth:gateways[0]: key 7 is not a string"),
    ],
    ids=["duplicate-key", "duplicate-nested-key", "integer-key", "binary", "set", "integer-nested-key"],
)
def test_stack_files_pulumi_refuses_are_one_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, says: str
) -> None:
    (tmp_path / "Pulumi.s.yaml").write_text(BASE + body)
    code, _out, err = run_main(capsys, "--stack", "s", "--stack-dir", str(tmp_path))
    assert code == 2 and says in err and "Traceback" not in err


def test_stack_files_read_as_yaml_1_2(tmp_path: Path) -> None:
    """`no`, `on`, dates and `1:30` are strings for Pulumi (yaml.v3); numbers and true/false are not."""
    (tmp_path / "Pulumi.s.yaml").write_text(
        BASE + "  mcpauth:gateways: [{name: 'no', description: 2024-01-01, tokenLifetimeSeconds: 900}]\n"
        "  mcpauth:protect: false\n"
    )
    from offline.stackfile import load_stack

    values = load_stack(ROOT, "s", tmp_path).values
    assert json.loads(values["mcpauth:gateways"]) == [
        {"name": "no", "description": "2024-01-01", "tokenLifetimeSeconds": 900}
    ]
    assert values["mcpauth:protect"] == "false"
    (tmp_path / "Pulumi.t.yaml").write_text(BASE + "  mcpauth:gateways: [{name: no, description: on, x: 1:30}]\n")
    assert json.loads(load_stack(ROOT, "t", tmp_path).values["mcpauth:gateways"]) == [
        {"name": "no", "description": "on", "x": "1:30"}
    ]


@pytest.mark.parametrize("key", ["gateways", "tenant", "roles", "scopes", "machineClients", "protect"])
def test_a_secure_part_of_a_structural_key_is_refused_as_the_program_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    """Pulumi marks a whole key secret when any part of it is (and hands the program the key as a
    secret), and these keys become resource names and settings kept in plain text: the plan says
    so, naming the key, exactly as the program does, and never shows the ciphertext."""
    cipher = "v1:c2VjcmV0LWRlc2NyaXB0aW9u"
    values = {
        "gateways": f"\n    - name: tools\n      description:\n        secure: {cipher}",
        "tenant": f"\n    claimsNamespace:\n      secure: {cipher}",
        "roles": f"\n    MCP User:\n      - secure: {cipher}",
        "scopes": f"\n    read:tools:\n      secure: {cipher}",
        "machineClients": f"\n    - name: ci\n      gateway: tools\n      scopes:\n        - secure: {cipher}",
        "protect": f"\n    secure: {cipher}",
    }
    body = f"  mcpauth:{key}:{values[key]}\n"
    if key != "gateways":
        body += "  mcpauth:gateways: [{name: tools}]\n"
    (tmp_path / "Pulumi.s.yaml").write_text(BASE + body)
    code, out, err = run_main(capsys, "--stack", "s", "--stack-dir", str(tmp_path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"mcpauth:{key}: set with --secret, but" in err and "without --secret" in err
    assert cipher not in err


@pytest.mark.parametrize(
    ("body", "key", "says"),
    [
        (
            "config:\n  aws:region: us-east-1\n  auth0:domain: a.us.auth0.com\n"
            "  mcpauth:issuer:\n    secure: v1:abc\n  mcpauth:gateways: [{name: tools}]\n",
            "mcpauth:issuer",
            "mcpauth:issuer: its value decides what the program declares",
        ),
        (
            "config:\n  aws:region: us-east-1\n  auth0:domain:\n    secure: v1:abc\n"
            "  mcpauth:gateways: [{name: tools}]\n",
            "auth0:domain",
            "auth0:domain: got [secret]: must be a host name only",
        ),
    ],
    ids=["issuer", "tenant-domain"],
)
def test_a_secret_the_plan_needs_says_it_cannot_be_read_offline_and_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, key: str, says: str
) -> None:
    """The keys that may be secrets (the program keeps what it derives from them secret): the plan
    cannot decrypt them, and says so rather than blaming a value the user never wrote."""
    (tmp_path / "Pulumi.s.yaml").write_text(body)
    code, out, err = run_main(capsys, "--stack", "s", "--stack-dir", str(tmp_path))
    assert code == 2 and out == "" and "Traceback" not in err
    assert says in err and "not valid JSON" not in err
    assert f"{key} is set with `secure:`, which `make plan` cannot decrypt offline" in err
    assert "`make preview`" in err and err.count("cannot decrypt") == 1


def test_a_refusal_that_is_not_about_the_secret_value_does_not_blame_the_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """aws:secretKey is refused whatever its value; the message must not say the plan misread it."""
    body = "  aws:secretKey:\n    secure: v1:abc\n  mcpauth:gateways: [{name: tools}]\n"
    (tmp_path / "Pulumi.s.yaml").write_text(BASE + body)
    code, _out, err = run_main(capsys, "--stack", "s", "--stack-dir", str(tmp_path))
    assert code == 2 and "aws:secretKey: is set" in err and "cannot decrypt" not in err


def test_the_deployers_auth0_scopes_are_derived_from_the_calls_of_what_the_stack_declares() -> None:
    from offline.deployer_scopes import CALLS, ENDPOINT_SCOPES, readme_rows, scopes_for

    dev = planmod.make_plan("dev")
    # Deleting a machine client's credentials lists them first: read:client_credentials.
    assert "read:client_credentials" in dev.auth0_scopes and "read:client_keys" in dev.auth0_scopes
    assert set(dev.auth0_read_scopes) < set(dev.auth0_scopes)
    assert all(s.startswith("read:") for s in dev.auth0_read_scopes)
    team = planmod.make_plan("team-a", stack_dir=ROOT / "examples" / "shared-tenant")
    assert {"read:roles", "update:roles"} <= set(team.auth0_scopes)
    assert not {"create:roles", "delete:roles", "update:tenant_settings", "create:connections"} & set(team.auth0_scopes)
    assert team.auth0_read_scopes == [
        "read:client_grants",
        "read:client_keys",
        "read:clients",
        "read:resource_servers",
        "read:roles",
    ]
    # Every request has a scope, and an unknown type is an error, not a silent gap.
    assert {c for ops in CALLS.values() for calls in ops.values() for c in calls} <= set(ENDPOINT_SCOPES)
    with pytest.raises(KeyError):
        scopes_for(["auth0:index/organization:Organization"])
    # The deployer's page holds the table and the dev stack's set, as the code derives them.
    page = (ROOT / "docs" / "deploying.md").read_text()
    assert all(row in page for row in readme_rows())
    assert " ".join(dev.auth0_scopes) in " ".join(page.split())


def test_the_engine_s_shortcuts_change_nothing_it_records(
    monkeypatch: pytest.MonkeyPatch, dev_config: dict[str, Any]
) -> None:
    """The engine skips the SDK's source positions and settles the monitor's serialization without
    a loop turn (offline/pulumi_internals.py `offline_sdk`, for speed): the dev stack evaluated with and
    without them must record the same resources and outputs, and the SDK is left as it was."""
    import contextlib

    from pulumi.runtime import mocks as pmocks
    from pulumi.runtime import resource as presource

    from offline import engine

    originals = presource._get_stack_trace, pmocks._sync_await
    fast = engine.run_program(dev_config, "dev")
    assert (presource._get_stack_trace, pmocks._sync_await) == originals
    monkeypatch.setattr(engine, "offline_sdk", contextlib.nullcontext)
    plain = engine.run_program(dev_config, "dev")
    assert len(fast.resources) > 40

    # By URN, and each list of URNs as a set: the order of registrations and of a resource's
    # dependencies is the SDK's concurrency and set iteration, not part of what is recorded (the
    # plan sorts both, offline/render.py).
    def by_urn(ev: engine.Evaluation) -> list[dict[str, Any]]:
        def canonical(r: engine.Registered) -> dict[str, Any]:
            d = dataclasses.asdict(r)
            d["depends_on"] = sorted(d["depends_on"])
            d["property_dependencies"] = {k: sorted(v) for k, v in d["property_dependencies"].items()}
            return d

        return sorted((canonical(r) for r in ev.resources), key=lambda r: r["urn"])

    assert by_urn(fast) == by_urn(plain)
    assert (fast.outputs, fast.secret_outputs) == (plain.outputs, plain.secret_outputs)


def test_settle_returns_what_the_coroutine_returns_whether_or_not_it_suspends() -> None:
    import asyncio

    from offline.pulumi_internals import _settle

    async def plain() -> int:
        return 7

    async def suspends() -> str:
        loop = asyncio.get_event_loop()
        later: asyncio.Future[str] = loop.create_future()
        loop.call_soon(later.set_result, "from the loop")
        await asyncio.sleep(0)
        return await later

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("refused")

    assert _settle(plain()) == 7
    assert _settle(suspends()) == "from the loop"
    with pytest.raises(ValueError, match="refused"):
        _settle(fails())
    fut = asyncio.get_event_loop().create_future()
    fut.set_result("a future, not a coroutine")
    assert _settle(fut) == "a future, not a coroutine"
