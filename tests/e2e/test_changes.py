"""`make plan AGAINST=<rev>`: a change's creates, deletes and replaces, with stateful losses called out."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from offline import changes as ch
from offline import plan as planmod
from offline.changes import OldPlan
from offline.render import to_document
from tests.helpers.stack import ROOT

_SKIP = shutil.ignore_patterns(
    ".git", "venv", "node_modules", "mutants", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository of this checkout's files with one commit, so a test commits a change on top."""
    path = tmp_path_factory.mktemp("repo") / "r"
    shutil.copytree(ROOT, path, ignore=_SKIP)
    _git(path, "init", "-q")
    _git(path, "add", "-A")
    _git(path, "commit", "-qm", "base")
    return path


@contextlib.contextmanager
def committed(repo: Path) -> Iterator[None]:
    """What the test changed in `repo`, committed while the block runs (against HEAD~1), then undone."""
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "change")
    try:
        yield
    finally:
        _git(repo, "reset", "-q", "--hard", "HEAD~1")


def run_on_a_commit(repo: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """Commit what the test changed in `repo`, run `command` there (against HEAD~1), then undo."""
    with committed(repo):
        return subprocess.run(command, cwd=repo, capture_output=True, text=True)


PlanAgainst = Callable[..., tuple[int, dict[str, Any], str]]


@pytest.fixture(scope="module")
def old_plans() -> dict[tuple[str, str, str], OldPlan]:
    """The plans at a revision, made once per module: every test plans against the same base."""
    return {}


@pytest.fixture
def plan_against(
    repo: Path, old_plans: dict[tuple[str, str, str], OldPlan], monkeypatch: pytest.MonkeyPatch
) -> PlanAgainst:
    """`make plan --format json AGAINST=HEAD~1` in `repo` after the edit, as a function of
    (edit: file -> (old, new) text, stack="dev"): (exit status, JSON, stderr)."""
    real = ch.old_plan

    def once(against: str, stack: str, stack_dir: Path) -> tuple[str, dict[str, Any] | None, str | None]:
        key = (ch._commit(against), stack, str(stack_dir))
        if key not in old_plans:
            _, doc, note = real(against, stack, stack_dir)
            old_plans[key] = doc, note
        doc, note = copy.deepcopy(old_plans[key])
        return key[0], doc, note

    monkeypatch.setattr(ch, "ROOT", repo)
    monkeypatch.setattr(ch, "old_plan", once)

    def plan(edit: dict[str, tuple[str, str]], stack: str = "dev") -> tuple[int, dict[str, Any], str]:
        for file, (old, new) in edit.items():
            p = repo / file
            text = p.read_text()
            assert old in text, f"{old!r} not in {file}"
            p.write_text(text.replace(old, new))
        out, err = io.StringIO(), io.StringIO()
        with committed(repo), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = ["--stack", stack, "--stack-dir", str(repo), "--format", "json", "--against", "HEAD~1"]
            code = planmod.main(args)
        return code, json.loads(out.getvalue()) if out.getvalue() else {}, err.getvalue()

    return plan


def by_action(doc: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for c in doc["changes"]["changes"]:
        out.setdefault(c["action"], {})[c["name"]] = c
    return out


@pytest.mark.slow  # git, and plans in child processes
def test_a_gateway_rename_is_every_one_of_its_resources_deleted_and_created(
    repo: Path, plan_against: PlanAgainst
) -> None:
    stack = (repo / "Pulumi.dev.yaml").read_text()
    renamed = stack.replace("    - name: docs\n", "    - name: search\n").replace(
        "      gateway: docs\n", "      gateway: search\n"
    )
    code, doc, err = plan_against({"Pulumi.dev.yaml": (stack, renamed)})
    assert code == 0, err
    acts = by_action(doc)
    counts = doc["changes"]["counts"]
    deleted, created = acts.get("delete", {}), acts.get("create", {})
    assert {"gw-docs-gateway", "api-docs-api", "api-docs-scopes", "gw-docs-role"} <= set(deleted)
    assert {"gw-search-gateway", "api-search-api", "api-search-scopes", "gw-search-role"} <= set(created)
    assert counts["delete"] == counts["create"] == len(deleted) >= 10
    assert "every grant on it goes" in deleted["api-docs-api"]["stateful"]
    assert "its URL" in deleted["gw-docs-gateway"]["stateful"]
    assert deleted["gw-docs-role"]["stateful"] is None  # an IAM role holds nothing of its own
    # The machine client's grant moves to the new API: its audience is ForceNew.
    grant = acts["replace"]["client-indexer-grant"]
    assert grant["because"] == ["audience changes"]
    # The untouched gateway has no change; the Action learns the new audience.
    touched = {c["name"] for c in doc["changes"]["changes"]}
    assert not {n for n in touched if n.startswith(("api-tools", "gw-tools"))}
    assert acts["update"]["claims-action"]["because"] == ["secrets"]


@pytest.mark.slow  # git, and plans in child processes
def test_a_connection_rename_replaces_it_and_calls_out_its_users(plan_against: PlanAgainst) -> None:
    code, doc, _ = plan_against({"Pulumi.dev.yaml": ("name: mcp-users", "name: mcp-people")})
    assert code == 0  # dev does not protect: `pulumi up` would do it
    acts = by_action(doc)
    assert set(acts) == {"replace", "update"}
    # The Action's config names the connection its default role is given through.
    assert acts["update"]["claims-action"]["because"] == ["secrets"]
    ((name, change),) = acts["replace"].items()
    assert name == "tenant-connection" and change["because"] == ["name changes"]
    assert "users are deleted" in change["stateful"]


@pytest.mark.parametrize(
    "old, new, name",
    [
        ("name: mcp-users", "name: mcp-people", "tenant-connection"),
        # prod's roles are the short form (`MCP User: [...]`): the name is the id.
        (
            "  mcpauth:protect: true\n",
            "  mcpauth:protect: true\n  mcpauth:roles:\n    MCP Users: [read:tools]\n"
            "    MCP Admin: [read:tools, admin]\n",
            "tenant-role-mcp-user",
        ),
    ],
    ids=["connection-rename", "short-form-role-rename"],
)
def test_losing_a_protected_connection_or_role_fails_the_plan(
    plan_against: PlanAgainst, old: str, new: str, name: str
) -> None:
    """`pulumi up` refuses to delete or replace a protected resource: the plan says so and exits 1,
    so a pull request that would lose every user's account or role assignment does not look green."""
    code, doc, _ = plan_against({"Pulumi.prod.yaml": (old, new)}, stack="prod")
    assert code == 1
    (refused,) = [c for c in doc["changes"]["changes"] if c["name"] == name]
    assert refused["action"] in ("delete", "replace") and refused["protected"] is True
    assert name in [c["name"] for c in doc["changes"]["refused"]]
    assert "`pulumi up` refuses" in refused["stateful"]


@pytest.mark.slow  # git, and plans in child processes
def test_a_description_is_an_update_in_place(plan_against: PlanAgainst) -> None:
    code, doc, _ = plan_against({"Pulumi.dev.yaml": ("Internal tools MCP server (dev)", "Internal tools MCP server")})
    assert code == 0
    acts = by_action(doc)
    assert set(acts) == {"update"} and acts["update"]["gw-tools-gateway"]["because"] == ["description"]


@pytest.mark.slow  # git, and plans in child processes
def test_moving_a_tool_to_another_permission_says_which_role_loses_and_gains_it(plan_against: PlanAgainst) -> None:
    """Granting delete_item with execute:tools (MCP User has it) instead of write:resources
    (only MCP Admin's) gives it to MCP User; the reverse takes it away."""
    grants = "          execute:tools: [search___*, ops___list_items]\n          write:resources: [ops___delete_item]\n"
    to_users = "          execute:tools: [search___*, ops___list_items, ops___delete_item]\n"
    code, doc, err = plan_against({"Pulumi.dev.yaml": (grants, to_users)})
    assert code == 0, err
    assert [a["text"] for a in doc["changes"]["access"]] == ["MCP User gains `ops___delete_item`"]
    assert {a["gateway"] for a in doc["changes"]["access"]} == {"tools"}
    # The policies are what changes in AWS: the execute:tools one updated, the write:resources one deleted.
    assert set(by_action(doc).get("delete", {})) == {"gw-tools-targets-policy-write-resources"}
    dropped = grants.replace(", ops___list_items]", "]")
    code, doc, err = plan_against({"Pulumi.dev.yaml": (grants, dropped)})
    assert code == 0, err
    assert [a["text"] for a in doc["changes"]["access"]] == [
        "MCP Admin loses `ops___list_items`",
        "MCP User loses `ops___list_items`",
    ]


@pytest.mark.slow  # git, and plans in child processes
def test_a_stack_file_new_at_head_is_all_creates(repo: Path) -> None:
    fresh = (repo / "Pulumi.dev.yaml").read_text().replace("mcpauth-dev.us.auth0.com", "fresh.us.auth0.com")
    (repo / "Pulumi.fresh.yaml").write_text(fresh)
    done = run_on_a_commit(repo, [sys.executable, "-m", "offline.plan", "--stack", "fresh", "--against", "HEAD~1"])
    assert done.returncode == 0, done.stderr
    assert "Pulumi.fresh.yaml does not exist at" in done.stdout
    assert ", 0 to delete, 0 to replace, 0 to update" in done.stdout


@pytest.mark.slow  # git, and plans in child processes
def test_a_revision_that_is_no_commit_is_exit_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    code = planmod.main(["--stack", "dev", "--against", "no-such-rev-0123"])
    _out, err = capsys.readouterr()
    assert code == 2 and "AGAINST=no-such-rev-0123: not a commit" in err


# ------------------------------------------------------------ the comparison itself


@pytest.fixture(scope="module")
def dev_doc() -> dict[str, Any]:
    return to_document(planmod.make_plan("dev"))


def test_the_same_plan_has_no_changes(dev_doc: dict[str, Any]) -> None:
    assert ch.compare(dev_doc, dev_doc, "x", "0" * 40).changes == []


def test_a_replaced_resource_replaces_what_takes_a_forcenew_input_from_it(dev_doc: dict[str, Any]) -> None:
    """A role given a new `type` (ForceNew) is replaced; its id is then unknown in a preview, so
    every RolePermission whose `roleId` (ForceNew) comes from it is replaced too."""
    old = copy.deepcopy(dev_doc)
    role = next(r for r in old["resources"] if r["name"] == "tenant-role-mcp-user")
    role["inputs"]["type"] = "organization"
    result = ch.compare(old, dev_doc, "x", "0" * 40)
    replaced = {c.name: c.because for c in result.of("replace")}
    assert replaced.pop("tenant-role-mcp-user") == ["type changes"]
    assert replaced and all(n.startswith("api-") and "-role-mcp-user." in n for n in replaced)
    assert all(b == ["roleId comes from tenant-role-mcp-user, which is replaced"] for b in replaced.values())
    assert not result.of("delete") and not result.of("create")


def test_a_tenant_setting_the_program_does_not_own_is_no_change(dev_doc: dict[str, Any]) -> None:
    """An adopted tenant's default_redirection_uri, as `pulumi import` (or a refresh) records it in
    the state's inputs, is not the program's: no update, so the nightly drift job stays green."""
    old = copy.deepcopy(dev_doc)
    tenant = next(r for r in old["resources"] if r["name"] == "tenant-settings")
    tenant["inputs"]["defaultRedirectionUri"] = "https://app.example.com/login"
    result = ch.compare(old, dev_doc, "x", "0" * 40)
    assert result.changes == [], ch.render_text(result)
    # What the program does own is still a change.
    tenant["inputs"]["resourceParameterProfile"] = "audience"
    (change,) = ch.compare(old, dev_doc, "x", "0" * 40).changes
    assert change.name == "tenant-settings" and change.because == ["resourceParameterProfile"]


def test_an_alias_makes_a_new_name_the_same_resource(dev_doc: dict[str, Any]) -> None:
    old = copy.deepcopy(dev_doc)
    new = copy.deepcopy(dev_doc)
    role = next(r for r in new["resources"] if r["name"] == "tenant-role-mcp-user")
    old_urn = role["urn"]
    role["urn"] = old_urn.replace("tenant-role-mcp-user", "tenant-role-user")
    role["name"] = "tenant-role-user"
    role["aliases"] = [old_urn]
    result = ch.compare(old, new, "x", "0" * 40)
    assert [(c.action, c.name, c.renamed_from) for c in result.changes] == [("update", "tenant-role-user", old_urn)]
    role["aliases"] = []
    result = ch.compare(old, new, "x", "0" * 40)
    assert {(c.action, c.name) for c in result.changes} == {
        ("create", "tenant-role-user"),
        ("delete", "tenant-role-mcp-user"),
    }
    assert "every user's assignment" in (result.of("delete")[0].stateful or "")


def test_old_plans_urns_with_the_root_stack_type_still_match(dev_doc: dict[str, Any]) -> None:
    old = json.loads(
        json.dumps(dev_doc).replace("::mcpauth::mcpauth:index:", "::mcpauth::pulumi:pulumi:Stack$mcpauth:index:")
    )
    assert old != dev_doc
    assert ch.compare(old, dev_doc, "x", "0" * 40).changes == []


def test_a_protected_stateful_deletion_says_up_will_refuse(dev_doc: dict[str, Any]) -> None:
    old = copy.deepcopy(dev_doc)
    new = copy.deepcopy(dev_doc)
    api = next(r for r in old["resources"] if r["name"] == "api-docs-api")
    api["protect"] = True
    new["resources"] = [r for r in new["resources"] if r["name"] != "api-docs-api"]
    (gone,) = ch.compare(old, new, "x", "0" * 40).of("delete")
    assert "protected" in (gone.stateful or "") and "pulumi state unprotect" in (gone.stateful or "")
    text = ch.render_text(ch.compare(old, new, "x", "0" * 40))
    assert "⚠ delete auth0:index/resourceServer:ResourceServer api-docs-api" in text


@pytest.mark.slow  # make, git
def test_the_pull_request_summary_covers_every_stack_file_and_a_removed_one(repo: Path) -> None:
    (repo / "examples" / "shared-tenant" / "Pulumi.team-b.yaml").unlink()
    stack = repo / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("name: mcp-users", "name: mcp-people"))
    done = run_on_a_commit(
        repo, ["make", "-s", "plan-summary", "AGAINST=HEAD~1", f"BIN={Path(sys.executable).parent}", "STAMP="]
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for where in ("Pulumi.prod.yaml", "examples/adopt/Pulumi.adopt.yaml", "examples/shared-tenant/Pulumi.team-a.yaml"):
        assert f"### {where}\n\n0 to create, 0 to delete, 0 to replace, 0 to update" in out
    assert "### Pulumi.dev.yaml\n\n0 to create, 0 to delete, 1 to replace, 1 to update" in out
    assert "- ⚠ **replace** `auth0:index/connection:Connection` `tenant-connection`: the connection" in out
    removed = out.split("### examples/shared-tenant/Pulumi.team-b.yaml (removed by this change")[1]
    assert removed.split("\n")[2].startswith("0 to create, ") and "to delete" in removed
    assert "⚠ **delete** `pulumi-python:dynamic/mcpauth:AgentCoreGateway` `gw-billing-gateway`" in removed


@pytest.mark.slow  # make, git
def test_plan_summary_needs_a_revision() -> None:
    done = subprocess.run(
        ["make", "-s", "plan-summary", f"BIN={Path(sys.executable).parent}", "STAMP="],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "set AGAINST=<git rev>" in done.stderr


def _plan_with_roles(tmp_path: Path, name: str, roles: dict[str, Any]) -> dict[str, Any]:
    import yaml

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["mcpauth:roles"] = roles
    doc["config"]["mcpauth:tenant"].pop("defaultRole", None)
    folder = tmp_path / name
    folder.mkdir()
    (folder / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc))
    return to_document(planmod.make_plan("dev", stack_dir=folder))


def test_renaming_a_role_keeps_it_and_every_users_assignment(tmp_path: Path) -> None:
    perms = ["read:tools"]
    short = _plan_with_roles(tmp_path, "a", {"MCP User": perms})
    # Short form: the name is the id, so a new name is a new role and the old one is deleted.
    renamed_short = _plan_with_roles(tmp_path, "b", {"MCP Users": perms})
    gone = ch.compare(short, renamed_short, "x", "0" * 40).of("delete")
    assert [c.name for c in gone if c.type == "auth0:index/role:Role"] == ["tenant-role-mcp-user"]
    # Object form with the old id: the same role, its name updated in place.
    kept = _plan_with_roles(tmp_path, "c", {"users": {"id": "mcp-user", "name": "MCP Users", "permissions": perms}})
    result = ch.compare(short, kept, "x", "0" * 40)
    assert not result.of("delete") and not result.of("create") and not result.of("replace")
    assert [(c.name, c.because) for c in result.of("update") if c.type == "auth0:index/role:Role"] == [
        ("tenant-role-mcp-user", ["description", "name"])
    ]
    # A new id with the old one in previousIds: aliased, nothing deleted or re-added.
    moved = _plan_with_roles(
        tmp_path,
        "d",
        {"users": {"id": "people", "name": "MCP User", "permissions": perms, "previousIds": ["mcp-user"]}},
    )
    result = ch.compare(short, moved, "x", "0" * 40)
    assert not result.of("delete") and not result.of("create")
    # The role keeps its Auth0 id under its alias, so the permissions naming it are not replaced
    # (the engine carries the id over; only the offline mocks name ids after the new name).
    assert not result.of("replace"), ch.render_text(result)
    assert all("roleId" not in c.because for c in result.of("update"))
    assert {c.name for c in result.changes if c.renamed_from} >= {
        "tenant-role-people",
        "api-tools-role-people.read-tools",
    }
