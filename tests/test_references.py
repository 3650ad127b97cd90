"""Stacks sharing one tenant through StackReferences (mcpauth:tenant.owner, tenant.teamStacks):
under the mocks, with the referenced stacks' outputs given, and through the offline plan's folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import load_settings
from components.config_model import ConfigError
from offline.plan import make_plan
from tests.conftest import ROOT, make_config, plan_cli

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
        ({}, "has no `tenant` output: run `make up` there first"),
        (owner_outputs(dynamicClientRegistration=False, clientIdMetadataDocuments=False), "set them as the owner"),
        ({"tenant": {**owner_outputs()["tenant"], "roles": {"mcp-user": "rol_x"}}}, "'mcp-admin' is not among"),
    ],
)
def test_what_the_owner_lacks_stops_the_team_naming_it(evaluate, outputs: dict[str, Any], says: str) -> None:
    with pytest.raises(Exception, match=says.replace("(", r"\(").replace(")", r"\)")):
        evaluate(team(), references={OWNER: outputs})


def test_the_owner_exports_its_roles_ids_and_flags(evaluate) -> None:
    ev = evaluate(make_config(tenant={"dynamicClientRegistration": False}))
    exported = ev.outputs["tenant"]
    roles = {r.name.removeprefix("tenant-role-"): r.id for r in ev.of_type(ROLE)}
    assert exported["roles"] == roles and set(roles) == {"mcp-user", "mcp-admin"}
    assert exported["dynamicClientRegistration"] is False and exported["clientIdMetadataDocuments"] is True


def test_the_owner_s_action_adds_claims_for_its_teams_apis(evaluate) -> None:
    teams = {
        "acme/mcpauth/team-a": {"gateways": {"search": {"apiIdentifier": "https://search.example.com/mcp"}}},
        "acme/mcpauth/team-b": {},  # no `up` yet: no outputs
    }
    cfg = make_config(tenant={"teamStacks": list(teams)})
    ev = evaluate(cfg, references=teams)
    audiences = action_audiences(ev)
    own = ev.outputs["gateways"]["tools"]["apiIdentifier"]
    assert own in audiences and "https://search.example.com/mcp" in audiences and len(audiences) == 2


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
