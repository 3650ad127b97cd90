"""Stacks sharing one tenant through StackReferences (mcpauth:tenant.owner, tenant.teamStacks):
under the mocks, with the referenced stacks' outputs given, and through the offline plan's folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.references import ReferenceError, owner_role_id, team_api_identifiers
from offline.plan import make_plan
from stackconfig.model import ConfigError
from stackconfig.settings import load_settings
from tests.helpers.stack import ROOT, make_config, plan_cli

ROLE_PERMISSION = "auth0:index/rolePermission:RolePermission"
ROLE = "auth0:index/role:Role"
ACTION = "auth0:index/action:Action"
OWNER = "acme/mcpauth/platform"
SHARED = ROOT / "examples" / "shared-tenant"


def owner_outputs(**flags: Any) -> dict[str, Any]:
    return {
        "tenant": {
            "roles": {"mcp-user": "rol_ownersUser0001", "mcp-admin": "rol_ownersAdmin001"},
            "dynamicClientRegistration": True,
            "clientIdMetadataDocuments": True,
            **flags,
        }
    }


def team(**tenant: Any) -> dict[str, Any]:
    return make_config(tenant={"manage": False, "owner": OWNER, **tenant})


def action_audiences(ev: Any) -> list[str]:
    (action,) = ev.of_type(ACTION)
    secret = next(s for s in action.inputs["secrets"] if s["name"] == "MCPAUTH_CONFIG")
    return list(json.loads(secret["value"])["audiences"])


def test_a_team_grants_the_roles_its_owner_exports_and_looks_up_nothing(evaluate) -> None:
    ev = evaluate(team(), references={OWNER: owner_outputs()})
    perms = ev.of_type(ROLE_PERMISSION)
    assert perms and {p.inputs["roleId"] for p in perms} == {"rol_ownersUser0001", "rol_ownersAdmin001"}
    assert "auth0:index/getRole:getRole" not in ev.invokes
    (ref,) = [r for r in ev.resources if r.type == "pulumi:pulumi:StackReference"]
    assert ref.inputs["name"] == OWNER
    assert "tenant" not in ev.outputs  # only the owner exports the tenant


@pytest.mark.parametrize(
    "outputs, says",
    [
        ({}, f"stack {OWNER} has no `tenant` output: run `make up` there first"),
        (owner_outputs(dynamicClientRegistration=False, clientIdMetadataDocuments=False), "set them as the owner"),
        ({"tenant": {**owner_outputs()["tenant"], "roles": {"mcp-user": "rol_x"}}}, "'mcp-admin' is not among"),
    ],
)
def test_what_the_owner_lacks_stops_the_team_naming_it(evaluate, outputs: dict[str, Any], says: str) -> None:
    with pytest.raises(Exception, match=says.replace("(", r"\(").replace(")", r"\)")):
        evaluate(team(), references={OWNER: outputs})


def test_the_owner_exports_its_roles_ids_and_flags(evaluate) -> None:
    ev = evaluate(
        make_config(tenant={"dynamicClientRegistration": False, "clientIdMetadataDocuments": {"dynamic": True}})
    )
    exported = ev.outputs["tenant"]
    roles = {r.name.removeprefix("tenant-role-"): r.id for r in ev.of_type(ROLE)}
    assert exported["roles"] == roles and set(roles) == {"mcp-user", "mcp-admin"}
    assert exported["dynamicClientRegistration"] is False and exported["clientIdMetadataDocuments"] is True


def test_the_owner_s_action_adds_claims_for_its_teams_apis(evaluate, caplog: pytest.LogCaptureFixture) -> None:
    teams = {
        "acme/mcpauth/team-a": {"gateways": {"search": {"apiIdentifier": "https://search.example.com/mcp"}}},
        "acme/mcpauth/team-b": {},  # no `up` yet: no outputs
    }
    cfg = make_config(tenant={"teamStacks": list(teams)})
    ev = evaluate(cfg, references=teams)
    audiences = action_audiences(ev)
    own = ev.outputs["gateways"]["tools"]["apiIdentifier"]
    assert own in audiences and "https://search.example.com/mcp" in audiences and len(audiences) == 2
    # The team with no `up` yet is named, not skipped in silence.
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "mcpauth:tenant.teamStacks: acme/mcpauth/team-b has no `gateways` output yet; its APIs get the claims "
        "after its first `up`, on this stack's next `up`"
    ]


@pytest.mark.parametrize(
    "tenant, says",
    [
        ({"owner": OWNER}, "mcpauth:tenant.owner: is set while mcpauth:tenant.manage is true"),
        ({"manage": False, "teamStacks": ["acme/mcpauth/team-a"]}, "mcpauth:tenant.teamStacks: is set while"),
        ({"manage": False, "owner": "platform"}, "not a fully qualified stack name"),
        ({"teamStacks": ["acme/mcpauth/a", "acme/mcpauth/a"]}, "lists a stack twice"),
    ],
)
def test_reference_config_is_checked_before_anything_runs(tenant: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings(make_config(tenant=tenant), "test", frozenset())


def test_the_folder_plan_hands_each_stack_the_others_outputs() -> None:
    """The offline plan reads the referenced stacks from the folder: the owner's Action names the
    API identifiers the team plans export, and the team grants the role ids the owner plan exports."""
    owner, team_a = make_plan("platform", stack_dir=SHARED), make_plan("team-a", stack_dir=SHARED)
    for plan in (owner, team_a):
        assert not plan.failed
    search = team_a.evaluation.outputs["gateways"]["search"]["apiIdentifier"]
    assert search in action_audiences(owner.evaluation)
    owner_roles = set(owner.evaluation.outputs["tenant"]["roles"].values())
    assert {p.inputs["roleId"] for p in team_a.evaluation.of_type(ROLE_PERMISSION)} == owner_roles


def test_a_team_whose_owner_file_is_missing_gets_a_clear_error(tmp_path: Path) -> None:
    for f in SHARED.glob("Pulumi.team-*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    done = plan_cli("--stack", "team-a", "--stack-dir", str(tmp_path))
    assert done.returncode == 2
    assert f"mcpauth:tenant.owner: {OWNER}: Pulumi.platform.yaml" in done.stderr, done.stderr


def test_an_owner_whose_team_file_is_missing_plans_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.platform.yaml").write_text((SHARED / "Pulumi.platform.yaml").read_text())
    doc = yaml.safe_load((tmp_path / "Pulumi.platform.yaml").read_text())
    assert doc["config"]["mcpauth:tenant"]["teamStacks"]
    plan = make_plan("platform", stack_dir=tmp_path)
    assert not plan.failed
    assert any("acme/mcpauth/team-a has no stack file" in n for n in plan.notes)
    assert action_audiences(plan.evaluation) == [plan.evaluation.outputs["gateways"]["platform-tools"]["apiIdentifier"]]


def test_a_failed_evaluation_leaves_nothing_for_the_next(evaluate) -> None:
    """The plan evaluates several stacks in one process (the referenced ones first): a program that
    stopped half-way must not fail the next evaluation with its leftover error."""
    with pytest.raises(Exception, match="has no `tenant` output"):
        evaluate(team(), references={OWNER: {}})
    ev = evaluate(make_config())
    assert ev.outputs["gateways"]["tools"]["apiIdentifier"]


# --- what one stack reads from the other, and its messages when that is missing --------------
# (components/references.py; the functions run inside an `apply`, and their messages stop the preview)

ROLES = {"mcp-user": "rol_user", "mcp-admin": "rol_admin"}


def exported(dcr: bool = True, cimd: bool = True, roles: Any = None) -> dict[str, Any]:
    return {
        "roles": dict(ROLES) if roles is None else roles,
        "dynamicClientRegistration": dcr,
        "clientIdMetadataDocuments": cimd,
    }


@pytest.mark.parametrize("dcr, cimd", [(True, False), (False, True), (True, True)])
def test_either_registration_flag_of_the_owner_lets_mcp_clients_register(dcr: bool, cimd: bool) -> None:
    assert owner_role_id(exported(dcr, cimd), "mcp-user", OWNER, True) == ROLES["mcp-user"]
    with pytest.raises(ReferenceError, match="say MCP clients cannot register"):
        owner_role_id(exported(dcr, cimd), "mcp-user", OWNER, False)


def test_an_owner_with_registration_off_serves_a_team_whose_flags_say_so() -> None:
    assert owner_role_id(exported(False, False), "mcp-admin", OWNER, False) == ROLES["mcp-admin"]


@pytest.mark.parametrize(
    "flags, third_party, says",
    [
        (
            (True, False),
            False,
            "has dynamicClientRegistration True and clientIdMetadataDocuments False, but this "
            "stack's flags say MCP clients cannot register",
        ),
        (
            (False, True),
            False,
            "has dynamicClientRegistration False and clientIdMetadataDocuments True, but this "
            "stack's flags say MCP clients cannot register",
        ),
        (
            (False, False),
            True,
            "has dynamicClientRegistration False and clientIdMetadataDocuments False, but this "
            "stack's flags say MCP clients can register",
        ),
    ],
)
def test_flags_that_disagree_with_the_owner_s_are_named_with_the_owner_s_values(
    flags: tuple[bool, bool], third_party: bool, says: str
) -> None:
    with pytest.raises(ReferenceError) as e:
        owner_role_id(exported(*flags), "mcp-user", OWNER, third_party)
    assert str(e.value) == f"mcpauth:tenant: the owner {OWNER} {says}: set them as the owner has them"


@pytest.mark.parametrize("value", [None, {}, {"dynamicClientRegistration": True}, {"roles": ["mcp-user"]}, "x"])
def test_an_owner_output_without_roles_is_no_tenant_output(value: Any) -> None:
    with pytest.raises(ReferenceError) as e:
        owner_role_id(value, "mcp-user", OWNER, True)
    assert str(e.value) == (
        f"mcpauth:tenant.owner: stack {OWNER} has no `tenant` output: run `make up` there first "
        "(with this version of mcpauth), or check the name (`pulumi stack ls --all`)"
    )


@pytest.mark.parametrize(
    "roles, known",
    [
        ({"mcp-user": "rol_user", "b-role": "rol_b"}, "b-role, mcp-user"),
        ({}, "(none)"),
        ({"mcp-admin": None}, "mcp-admin"),  # exported, but with no id
    ],
)
def test_a_role_the_owner_does_not_export_lists_the_ones_it_does(roles: dict[str, Any], known: str) -> None:
    with pytest.raises(ReferenceError) as e:
        owner_role_id(exported(roles=roles), "mcp-admin", OWNER, True)
    assert str(e.value) == (
        f"mcpauth:roles: role 'mcp-admin' is not among the roles the owner {OWNER} exports ({known}): "
        "add it to the owner's mcpauth:roles (same id), or use one of those"
    )


def test_a_team_without_gateways_yet_is_a_warning_that_says_when_its_claims_come(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said: list[str] = []
    monkeypatch.setattr("pulumi.log.warn", lambda msg, *a, **k: said.append(msg))
    assert team_api_identifiers(None, "acme/mcpauth/team-b") == []
    assert said == [
        "mcpauth:tenant.teamStacks: acme/mcpauth/team-b has no `gateways` output yet; its APIs get the claims "
        "after its first `up`, on this stack's next `up`"
    ]


@pytest.mark.parametrize("value", [["https://x/mcp"], "https://x/mcp", 3])
def test_a_gateways_output_that_is_not_an_mcpauth_stack_s_is_refused(value: Any) -> None:
    with pytest.raises(ReferenceError) as e:
        team_api_identifiers(value, "acme/mcpauth/team-a")
    assert (
        str(e.value) == "mcpauth:tenant.teamStacks: acme/mcpauth/team-a's `gateways` output is not an mcpauth stack's"
    )


def test_a_team_s_api_identifiers_are_read_sorted_from_its_gateways() -> None:
    gateways = {
        "search": {"apiIdentifier": "https://search.example.com/mcp"},
        "docs": {"apiIdentifier": "https://docs.example.com/mcp"},
        "odd": "not a gateway entry",
    }
    assert team_api_identifiers(gateways, "acme/mcpauth/team-a") == [
        "https://docs.example.com/mcp",
        "https://search.example.com/mcp",
    ]
