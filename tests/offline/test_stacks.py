"""The example stacks: each plans cleanly; stacks sharing a tenant have one owner; the adoption
path reads the existing gateway and writes an import file for what the tenant already has."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.adopt import import_file
from offline.plan import make_plan
from tests.helpers.stack import ROOT, plan_cli

SHARED = ROOT / "examples" / "shared-tenant"
ADOPT = ROOT / "examples" / "adopt"
ALL = [(ROOT, "dev"), (ROOT, "prod"), (SHARED, "platform"), (SHARED, "team-a"), (SHARED, "team-b"), (ADOPT, "adopt")]


@pytest.mark.parametrize("where, stack", ALL, ids=[s for _, s in ALL])
def test_every_example_stack_plans_cleanly(where: Path, stack: str) -> None:
    plan = make_plan(stack, stack_dir=where)
    assert not plan.failed, (plan.wiring, plan.policies, plan.tenant)
    assert [p for p in plan.policies if p["enforcementLevel"] == "mandatory"] == []


def test_prod_protects_and_trusts_its_custom_domain() -> None:
    plan = make_plan("prod")
    ev = plan.evaluation
    for typ in (
        "auth0:index/resourceServer:ResourceServer",
        "auth0:index/tenant:Tenant",
        "pulumi-python:dynamic/mcpauth:AgentCoreGateway",
        # Deleting either loses every user's assignment or account.
        "auth0:index/role:Role",
        "auth0:index/connection:Connection",
    ):
        assert ev.of_type(typ) and all(r.protect for r in ev.of_type(typ)), typ
    (w,) = plan.wiring
    assert w.issuer == "https://login.example.com/"
    assert w.discovery_url == "https://login.example.com/.well-known/openid-configuration"


def test_shared_tenant_has_one_owner_and_teams_declare_nothing_tenant_wide() -> None:
    team = make_plan("team-a", stack_dir=SHARED)
    assert team.tenant is not None
    assert team.tenant.owners == ["platform"]
    assert team.tenant.stacks == ["platform", "team-a", "team-b"]
    assert team.evaluation.of_type("auth0:index/tenant:Tenant") == []
    assert team.evaluation.of_type("auth0:index/action:Action") == []
    assert team.evaluation.of_type("auth0:index/rolePermission:RolePermission")  # on the shared roles
    owner = make_plan("platform", stack_dir=SHARED)
    assert len(owner.evaluation.of_type("auth0:index/action:Action")) == 1


def copy_shared(tmp_path: Path) -> Path:
    dst = tmp_path / "shared"
    shutil.copytree(SHARED, dst)
    return dst


def edit(path: Path, **project: object) -> None:
    doc = yaml.safe_load(path.read_text())
    for k, v in project.items():
        doc["config"][f"mcpauth:{k}"] = v
    path.write_text(yaml.safe_dump(doc))


def test_two_owners_of_one_tenant_are_flagged_and_fail_the_plan(tmp_path: Path) -> None:
    d = copy_shared(tmp_path)
    edit(d / "Pulumi.team-b.yaml", tenant={"manage": True})
    plan = make_plan("team-a", stack_dir=d)
    assert plan.tenant is not None and plan.tenant.owners == ["platform", "team-b"]
    assert plan.failed
    assert "2 stacks own tenant acme-mcp.eu.auth0.com (platform, team-b)" in plan.tenant.problems[0]
    done = plan_cli("--stack", "team-b", "--stack-dir", str(d))
    assert done.returncode == 1 and "✗ 2 stacks own tenant" in done.stdout


def test_a_team_role_the_owner_does_not_export_stops_the_plan_naming_it(tmp_path: Path) -> None:
    """A team reads the owner's role ids through a StackReference: a role the owner lacks stops the
    program (as `pulumi preview` would stop), naming the role, the owner and the roles it has."""
    d = copy_shared(tmp_path)
    edit(d / "Pulumi.team-b.yaml", roles={"MCP User": ["read:tools"], "Billing Auditor": ["read:resources"]})
    done = plan_cli("--stack", "team-b", "--stack-dir", str(d))
    assert done.returncode == 2, done.stdout
    assert "role 'billing-auditor' is not among the roles the owner acme/mcpauth/platform exports" in done.stderr
    assert "(mcp-admin, mcp-user)" in done.stderr and "Traceback" not in done.stderr


def test_a_team_role_the_owner_does_not_create_is_flagged_when_roles_are_found_by_name(tmp_path: Path) -> None:
    d = copy_shared(tmp_path)
    edit(d / "Pulumi.team-b.yaml", roles={"MCP User": ["read:tools"], "Billing Auditor": ["read:resources"]})
    doc = yaml.safe_load((d / "Pulumi.team-b.yaml").read_text())
    del doc["config"]["mcpauth:tenant"]["owner"]
    (d / "Pulumi.team-b.yaml").write_text(yaml.safe_dump(doc))
    problems = make_plan("team-b", stack_dir=d).tenant.problems  # type: ignore[union-attr]
    assert any("['Billing Auditor']" in p and "owner platform" in p for p in problems)


def test_owner_with_audience_profile_and_many_gateways_is_flagged(tmp_path: Path) -> None:
    d = copy_shared(tmp_path)
    doc = yaml.safe_load((d / "Pulumi.platform.yaml").read_text())
    doc["config"]["mcpauth:tenant"].update(resourceParameterProfile="audience", defaultAudience="platform-tools")
    (d / "Pulumi.platform.yaml").write_text(yaml.safe_dump(doc))
    problems = make_plan("team-a", stack_dir=d).tenant.problems  # type: ignore[union-attr]
    assert any("3 gateways share the tenant" in p for p in problems)


GATEWAY = "pulumi-python:dynamic/mcpauth:AgentCoreGateway"
# What AWS reports for the adopted gateway in these tests: a URL unlike the mocks' (no `/mcp`, as
# moto and older SDKs return it), so what follows it is the program's doing, not the mocks'.
LIVE_URL, LIVE_RESOURCE_URL = "https://Console-Made.example.test", "https://console-made.example.test/mcp"


def adopted_gateway_reports(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    if typ == GATEWAY:
        out.update(gatewayUrl=LIVE_URL, resourceUrl=LIVE_RESOURCE_URL, allowedAudiences=[LIVE_RESOURCE_URL])
    return out


def test_adoption_reads_the_gateway_and_sets_its_authorizer() -> None:
    plan = make_plan("adopt", stack_dir=ADOPT, hook=adopted_gateway_reports)
    ev = plan.evaluation
    (gw,) = ev.of_type(GATEWAY)
    assert gw.inputs["existingGatewayId"] == "tools-gateway-k3j9x2m1ab"  # the stack file's
    assert ev.of_type("aws:iam/role:Role") == []
    (api,) = ev.of_type("auth0:index/resourceServer:ResourceServer")
    assert api.inputs["identifier"] == LIVE_RESOURCE_URL
    (w,) = plan.wiring
    assert w.resource_url == LIVE_RESOURCE_URL and not w.problems


def test_adoption_import_file_names_what_the_tenant_already_has() -> None:
    plan = make_plan("adopt", stack_dir=ADOPT)
    doc = import_file(plan)
    by_name = {r["name"]: r for r in doc["resources"]}
    # The API's component sits in its gateway's, as the program declares it.
    assert by_name["api-tools"] == {
        "type": "mcpauth:index:McpApi",
        "name": "api-tools",
        "component": True,
        "parent": "gw-tools",
    }
    assert by_name["gw-tools"] == {"type": "mcpauth:index:McpGateway", "name": "gw-tools", "component": True}
    api = by_name["api-tools-api"]
    assert api["type"] == "auth0:index/resourceServer:ResourceServer" and api["parent"] == "api-tools"
    # Found by the adopted gateway's resource URL, as the gateway reports it.
    (gw,) = plan.evaluation.of_type(GATEWAY)
    assert f"whose identifier is {gw.outputs['resourceUrl']} " in api["id"]
    assert "Username-Password-Authentication" in by_name["tenant-connection"]["id"]
    assert {"tenant-role-mcp-user", "tenant-role-mcp-admin"} <= set(by_name)
    # Components come before the resources that name them as parent.
    names = [r["name"] for r in doc["resources"]]
    assert names.index("gw-tools") < names.index("api-tools") < names.index("api-tools-api")
    done = subprocess.run(
        [sys.executable, "-m", "offline.plan", "--stack", "adopt", "--stack-dir", str(ADOPT), "--import-file"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == doc
    # Beside the file, what the tenant must not have before the first `up`.
    assert "check by hand" in done.stderr and "GET /api/v2/rules?enabled=true" in done.stderr
    assert "oauth2-refresh-token" in done.stderr


def test_the_import_file_holds_everything_the_adopted_tenant_can_already_have() -> None:
    """Completeness: every resource the adopt stack declares is in the import file, or cannot
    already exist (NEVER_THERE, with its reason). The ids Auth0 gives without a look-up are filled."""
    from offline.adopt import NEVER_THERE

    plan = make_plan("adopt", stack_dir=ADOPT, hook=adopted_gateway_reports)
    entries = {e["name"]: e for e in import_file(plan)["resources"] if not e.get("component")}
    for r in plan.evaluation.resources:
        if r.custom and not r.read:
            assert r.name in entries or r.type in NEVER_THERE, (r.type, r.name)
    url = LIVE_RESOURCE_URL  # the adopted gateway's, as AWS reports it
    assert entries["api-tools-scopes"]["id"] == url  # creating them over existing scopes fails
    assert "default_for third_party_clients" in entries["api-tools-third-party-grant"]["id"]  # a 2nd is a 409
    perm = entries["api-tools-role-mcp-user.read-tools"]["id"]
    assert perm.startswith("<the id of the role 'MCP User'>::") and perm.endswith(f"::{url}::read:tools")
    assert entries["claims-binding"]["id"].startswith("post-login::")
    assert "<" not in entries["tenant-settings"]["id"]  # the provider ignores the id: one is given


def import_urns(doc: dict[str, Any], stack: str, project: str = "mcpauth") -> dict[str, str]:
    """The URN `pulumi import --file` gives each entry: a `parent` names another entry of the file
    (Pulumi 3.94: parents and empty components can be imported in the same file), and a child's
    type is its parent's whole type chain, `$`-joined (sdk/go/common/resource/urn.go `NewURN`);
    an entry without a parent sits under the root stack."""
    by_name = {e["name"]: e for e in doc["resources"]}
    assert len(by_name) == len(doc["resources"]), "a parent named twice in the file is ambiguous"

    def qualified(e: dict[str, Any]) -> str:
        parent = e.get("parent")
        return e["type"] if parent is None else f"{qualified(by_name[parent])}${e['type']}"

    return {name: f"urn:pulumi:{stack}::{project}::{qualified(e)}::{name}" for name, e in by_name.items()}


@pytest.mark.parametrize("where, stack", ALL, ids=[s for _, s in ALL])
def test_every_import_entry_lands_on_the_urn_the_program_declares(where: Path, stack: str) -> None:
    """An entry under another URN is a resource the program never declares: the first `up` after
    the import creates a second API (and deletes the imported one)."""
    hook = adopted_gateway_reports if stack == "adopt" else None
    plan = make_plan(stack, stack_dir=where, hook=hook)
    declared = {r.urn: r for r in plan.evaluation.resources}
    doc = import_file(plan)
    for name, urn in import_urns(doc, stack).items():
        assert urn in declared, (name, urn)
        entry = next(e for e in doc["resources"] if e["name"] == name)
        assert declared[urn].custom is not bool(entry.get("component")), name


def test_a_new_gateways_api_is_not_in_the_import_file() -> None:
    """Its URL holds an id AWS has not made yet, so nothing in the tenant can already have it."""
    doc = import_file(make_plan("dev"))
    types = {e["type"] for e in doc["resources"]}
    assert "auth0:index/resourceServer:ResourceServer" not in types
    assert "auth0:index/resourceServerScopes:ResourceServerScopes" not in types
    assert {"auth0:index/tenant:Tenant", "auth0:index/connection:Connection", "auth0:index/role:Role"} <= types


def test_the_plan_says_what_the_first_up_resets_on_what_exists(capsys: pytest.CaptureFixture[str]) -> None:
    plan = make_plan("adopt", stack_dir=ADOPT)
    conn_note, tenant_note, prerequisites = plan.notes  # by URN, then what to check by hand
    # What an existing tenant must not have, which no offline plan can see: said, with how to look.
    assert prerequisites.startswith("tenant-settings: on a tenant that already exists, check by hand")
    assert "GET /api/v2/rules?enabled=true" in prerequisites and "active Rule" in prerequisites
    assert "oauth2-refresh-token" in prerequisites and "api.multifactor.enable" in prerequisites
    assert tenant_note.startswith("tenant-settings: the first `up` *creates* the tenant settings")
    assert "error_page, default_token_quota" in tenant_note and "Import it first" in tenant_note
    # Every update, not only the first: the provider sends the whole options object each time.
    assert "every `up` that updates connection 'Username-Password-Authentication'" in conn_note
    assert "every later change to the connection" in conn_note and "changed in the Dashboard since" in conn_note
    assert "Declared: mfa, passwordHistories, passwordPolicy." in conn_note
    from offline import plan as planmod

    planmod.main(["--stack", "adopt", "--stack-dir", str(ADOPT)])
    out = capsys.readouterr().out
    assert "On what already exists\n  ! tenant-connection:" in out and "\n  ! tenant-settings:" in out


def _demo(capsys: pytest.CaptureFixture[str], stack: str, stack_dir: Path) -> tuple[int, str, str]:
    """What `make demo STACK=… STACK_DIR=…` runs (`python -m sandbox.demo`), in this process: its
    exit status, stdout and stderr. A process of its own would import the SDKs again (~1.5 s CPU)."""
    from sandbox import demo

    capsys.readouterr()
    status = demo.main(["--stack", stack, "--stack-dir", str(stack_dir)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.slow  # make
def test_stack_dir_reaches_policy_config_and_demo(capsys: pytest.CaptureFixture[str]) -> None:
    """`make policy-config` (and so preview and up) and `make demo` read STACK_DIR like `make plan`."""
    done = subprocess.run(
        ["make", "--no-print-directory", ".policy-config.adopt.json", "STACK=adopt", f"STACK_DIR={ADOPT}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    cfg_file = ROOT / ".policy-config.adopt.json"
    try:
        assert done.returncode == 0, done.stderr
        cfg = json.loads(cfg_file.read_text())
        assert cfg and "legacy-tenant" in json.dumps(cfg)
    finally:
        cfg_file.unlink(missing_ok=True)
    _, out, err = _demo(capsys, "adopt", ADOPT)
    assert "demo: stack adopt" in out, out + err


def test_tenant_domains_compare_case_insensitively(tmp_path: Path) -> None:
    for name in ("dev", "prod"):
        shutil.copy(ROOT / f"Pulumi.{name}.yaml", tmp_path / f"Pulumi.{name}.yaml")
    doc = yaml.safe_load((tmp_path / "Pulumi.prod.yaml").read_text())
    doc["config"]["auth0:domain"] = "MCPAUTH-DEV.us.auth0.com"
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(doc))
    view = make_plan("dev", stack_dir=tmp_path).tenant
    assert view is not None and sorted(view.stacks) == ["dev", "prod"]
    assert any("2 stacks own tenant" in p for p in view.problems)


def _adopt_with(tmp_path: Path, **changes: Any) -> Any:
    doc = yaml.safe_load((ADOPT / "Pulumi.adopt.yaml").read_text())
    doc["config"].update(changes)
    (tmp_path / "Pulumi.adopt.yaml").write_text(yaml.safe_dump(doc))
    return make_plan("adopt", stack_dir=tmp_path)


def test_the_import_file_entries_exactly(tmp_path: Path) -> None:
    """A machine client's grant is new (never imported); a custom domain's API can pre-exist; the
    tenant settings id is the same whatever the domain's case."""
    gateways = [
        {"name": "tools", "existingGatewayId": "tools-gateway-k3j9x2m1ab", "requiredPermissions": ["read:tools"]},
        {"name": "pub", "domain": "mcp.example.com"},
        {"name": "fresh"},
    ]
    plan = _adopt_with(
        tmp_path,
        **{
            "mcpauth:gateways": gateways,
            "mcpauth:machineClients": [{"name": "m", "gateway": "tools", "scopes": ["read:tools"]}],
        },
    )
    entries = {e["name"]: e for e in import_file(plan)["resources"]}
    assert "client-m-grant" not in entries and "client-m-client" not in entries
    assert entries["api-pub-scopes"]["id"] == "https://mcp.example.com/mcp"
    assert not [n for n in entries if n.startswith("api-fresh")]  # its URL does not exist yet
    assert entries["claims-binding"]["id"] == "post-login::<the id of that Action>"
    assert entries["tenant-connection"]["id"] == (
        "<the id of the connection named 'Username-Password-Authentication' (con_…; "
        "GET /api/v2/connections?name=Username-Password-Authentication)>"
    )
    assert entries["tenant-role-mcp-user"]["id"] == (
        "<the id of the role named 'MCP User' (rol_…; GET /api/v2/roles?name_filter=MCP User)>"
    )
    assert entries["claims-action"]["id"] == (
        "<the id of the Action named 'mcpauth-claims-adopt', if one exists "
        "(GET /api/v2/actions/actions?actionName=mcpauth-claims-adopt)>"
    )
    assert entries["api-pub-api"]["id"] == (
        "<the id of the API whose identifier is https://mcp.example.com/mcp (GET /api/v2/resource-servers)>"
    )
    assert entries["api-pub"] == {
        "type": "mcpauth:index:McpApi",
        "name": "api-pub",
        "component": True,
        "parent": "gw-pub",
    }
    assert "parent" not in entries["gw-pub"] and entries["api-pub-api"]["parent"] == "api-pub"
    lower = entries["tenant-settings"]["id"]
    upper = {
        e["name"]: e
        for e in import_file(_adopt_with(tmp_path, **{"auth0:domain": "Legacy-Tenant.us.auth0.com"}))["resources"]
    }
    assert upper["tenant-settings"]["id"] == lower
    other = {
        e["name"]: e for e in import_file(_adopt_with(tmp_path, **{"auth0:domain": "other.us.auth0.com"}))["resources"]
    }
    assert other["tenant-settings"]["id"] != lower


def test_a_role_permission_without_a_known_role_says_its_role(tmp_path: Path) -> None:
    from offline.adopt import _import_id

    plan = make_plan("adopt", stack_dir=ADOPT)
    by_urn = plan.evaluation.by_urn()
    perm = next(r for r in plan.evaluation.resources if r.name == "api-tools-role-mcp-user.read-tools")
    import dataclasses

    orphan = dataclasses.replace(perm, property_dependencies={})
    assert _import_id(orphan, plan, by_urn).startswith("<the id of the role 'its role'>::")


def test_the_reset_notes_word_for_word() -> None:
    plan = make_plan("adopt", stack_dir=ADOPT)
    conn, tenant, _prerequisites = plan.notes
    assert tenant == (
        "tenant-settings: the first `up` *creates* the tenant settings resource, and the provider's create sends "
        'null (or "") for error_page, default_token_quota, skip_non_verifiable_callback_uri_confirmation_prompt, '
        "country_codes, mtls, default_redirection_uri (terraform-provider-auth0 internal/auth0/tenant/expand.go): "
        "a tenant that has any of them set loses it. Import it first (`--import-file` gives its id, no look-up "
        "needed); after that, updates leave those settings alone (ignoreChanges)."
    )
    assert conn == (
        "tenant-connection: every `up` that updates connection 'Username-Password-Authentication' (the first one "
        "after an import, and every later change to the connection) sends its whole options object, which Auth0 "
        "puts in place of the old one (the provider's expandConnection: internal/auth0/connection/expand.go; "
        "PATCH /api/v2/connections/{id}): every option not declared is reset (MFA, password history and "
        "dictionary, attributes, custom scripts), also one changed in the Dashboard since. Declared: mfa, "
        "passwordHistories, passwordPolicy. List what it has to keep under mcpauth:tenant.connection.options."
    )
    team = make_plan("team-a", stack_dir=ROOT / "examples" / "shared-tenant")
    assert team.notes == []  # it declares neither


@pytest.mark.slow  # `make demo`: logins through the post-login Action under Node
@pytest.mark.parametrize("team", ["team-a", "team-b"])
def test_make_demo_works_on_a_team_stack_of_the_shared_tenant(team: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A team stack declares no connection, no roles and no Action: its tenant's owner does. The
    sandbox stands in for the whole tenant, so the demo takes those from the owner's stack file in
    the same folder, and a person logs in through the team's gateway."""
    status, stdout, stderr = _demo(capsys, team, SHARED)
    out = stdout + stderr
    assert status == 0, out
    assert "Traceback" not in out and "╭─" not in out
    assert re.search(r"✓ \S+: user@mcp\.test \(MCP User\): 3 tool\(s\)", stdout), stdout


@pytest.mark.slow  # logins through the post-login Action under Node
def test_make_demo_says_in_one_line_why_a_person_cannot_log_in(capsys: pytest.CaptureFixture[str]) -> None:
    """Where the login itself fails (here: no domain-level connection for the DCR client), each user
    gets the cause in a line or two, not the MCP SDK's logged traceback."""
    from sandbox.demo import _interactive
    from sandbox.sandbox import spec_from_plan

    spec = spec_from_plan(make_plan("dev"))
    spec.domain_connection = False
    assert _interactive(spec) is False
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "╭─" not in out + err
    refused = [line for line in out.splitlines() if "cause:" in line]
    # Two gateways, three users each (MCP User, MCP Admin, no role): three lines each, and the heading.
    assert len(refused) == 6 and all("no connections enabled for the client" in line for line in refused), out
    assert len((out + err).strip().splitlines()) == 1 + 6 * 3, out + err


def test_an_adopted_gateways_targets_are_in_the_import_file_and_a_new_gateways_are_not(tmp_path: Path) -> None:
    """A target of an adopted gateway may exist already: its entry names the gateway and where to
    find the target's id (pulumi-aws imports `<gatewayIdentifier>,<targetId>`), on the URN the
    program declares. A new gateway has no targets yet, so dev's are not in its file."""
    config = yaml.safe_load((ADOPT / "Pulumi.adopt.yaml").read_text())
    gateway = config["config"]["mcpauth:gateways"][0]
    gateway["targets"] = [{"name": "search", "mcpServer": "https://search.legacy.example/mcp", "tools": ["find"]}]
    (tmp_path / "Pulumi.adopt.yaml").write_text(yaml.safe_dump(config))
    plan = make_plan("adopt", stack_dir=tmp_path, hook=adopted_gateway_reports)
    doc = import_file(plan)
    (entry,) = [e for e in doc["resources"] if e["type"] == "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget"]
    assert entry["id"].startswith("tools-gateway-k3j9x2m1ab,<the targetId of target 'search'")
    assert "list-gateway-targets --gateway-identifier tools-gateway-k3j9x2m1ab" in entry["id"]
    declared = {r.urn for r in plan.evaluation.resources}
    assert import_urns(doc, "adopt")[entry["name"]] in declared
    dev = import_file(make_plan("dev"))
    assert not [e for e in dev["resources"] if e["type"].startswith("aws:bedrock/agentcoreGatewayTarget")]
