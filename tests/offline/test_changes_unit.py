"""`offline/changes.py` on small hand-made plans, whole results compared: what each resource
becomes, why, and exactly what the text, the JSON and the pull-request summary say."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offline import changes as ch
from offline.changes import Change
from tests.helpers.stack import ROOT

P = "urn:pulumi:s::p::"
ROLE, PERM, API, CONN = (
    "auth0:index/role:Role",
    "auth0:index/rolePermission:RolePermission",
    "auth0:index/resourceServer:ResourceServer",
    "auth0:index/connection:Connection",
)
GW = ch.GATEWAY


def res(typ: str, name: str, inputs: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"urn": f"{P}{typ}::{name}", "type": typ, "name": name, "custom": True, "inputs": inputs or {}, **extra}


def doc(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resources": [{"urn": f"{P}pulumi:pulumi:Stack::p-s", "type": "pulumi:pulumi:Stack", "name": "p-s"}, *resources]
    }


def compare(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    return ch.compare(old, new, "main", "a" * 40).changes


def test_components_read_resources_and_the_stack_are_not_changes() -> None:
    old = doc(res("x:index:C", "comp", custom=False), res(API, "read-api", read=True), res(ROLE, "r"))
    assert compare(old, doc()) == [Change(f"{P}{ROLE}::r", ROLE, "r", "delete", [], ch.STATEFUL[ROLE])]
    assert compare(None, doc(res(ROLE, "r"))) == [Change(f"{P}{ROLE}::r", ROLE, "r", "create")]
    assert compare({}, doc(res("x:index:C", "comp", custom=False), res(API, "a", read=True))) == []


def test_a_forcenew_input_replaces_and_the_rest_update_in_place() -> None:
    old = doc(res(API, "api", {"identifier": "https://a/mcp", "tokenLifetime": 60}), res(ROLE, "r", {"name": "A"}))
    new = doc(res(API, "api", {"identifier": "https://b/mcp", "tokenLifetime": 90}), res(ROLE, "r", {"name": "B"}))
    assert compare(old, new) == [
        Change(f"{P}{API}::api", API, "api", "replace", ["identifier changes"], ch.STATEFUL[API]),
        Change(f"{P}{ROLE}::r", ROLE, "r", "update", ["name"], None),
    ]
    # An input only one side has is a change too.
    assert compare(doc(res(ROLE, "r", {"description": "d"})), doc(res(ROLE, "r"))) == [
        Change(f"{P}{ROLE}::r", ROLE, "r", "update", ["description"])
    ]


def test_replacement_cascades_through_forcenew_inputs_that_come_from_a_replaced_resource() -> None:
    """role (type changes) -> permission (roleId from role) -> binding-like chain two levels deep."""
    role_urn = f"{P}{ROLE}::r"
    perm_urn = f"{P}{PERM}::p"
    old = doc(res(ROLE, "r", {"type": "tenant"}), res(PERM, "p", {"roleId": "rol_1"}), res(PERM, "q", {"roleId": "x"}))
    new = doc(
        res(ROLE, "r", {"type": "org"}),
        res(PERM, "p", {"roleId": "rol_1"}, propertyDependencies={"roleId": [role_urn]}),
        # Depends on p through a ForceNew input: replaced at the second round.
        res(PERM, "q", {"roleId": "x"}, propertyDependencies={"roleId": [perm_urn]}),
        # Depends on r through an input that is not ForceNew: not replaced.
        res(PERM, "z", {"roleId": "x"}, propertyDependencies={"description": [role_urn]}),
    )
    old["resources"].append(res(PERM, "z", {"roleId": "x"}))
    got = compare(old, new)
    assert got == [
        Change(role_urn, ROLE, "r", "replace", ["type changes"], ch.STATEFUL[ROLE]),
        Change(perm_urn, PERM, "p", "replace", ["roleId comes from r, which is replaced"]),
        Change(f"{P}{PERM}::q", PERM, "q", "replace", ["roleId comes from p, which is replaced"]),
    ]


def test_an_alias_pairs_a_renamed_resource_with_its_old_urn() -> None:
    old = doc(res(ROLE, "old", {"name": "A"}))
    new = doc(res(ROLE, "new", {"name": "A"}, aliases=[f"{P}{ROLE}::old"]))
    assert compare(old, new) == [Change(f"{P}{ROLE}::new", ROLE, "new", "update", [], None, f"{P}{ROLE}::old")]
    # An alias naming nothing that existed is no rename.
    new = doc(res(ROLE, "new", {"name": "A"}, aliases=[f"{P}{ROLE}::other"]))
    assert [c.action for c in compare(old, new)] == ["create", "delete"]


def test_old_urns_and_their_references_are_read_without_the_root_stack_type() -> None:
    role_old = f"{P}pulumi:pulumi:Stack${ROLE}::r"
    old = doc(
        {**res(ROLE, "r", {"type": "a"}), "urn": role_old},
        {**res(PERM, "p"), "urn": f"{P}pulumi:pulumi:Stack${PERM}::p", "aliases": [role_old]},
    )
    new = doc(res(ROLE, "r", {"type": "b"}), res(PERM, "p", propertyDependencies={"roleId": [f"{P}{ROLE}::r"]}))
    # Matched across the two URN forms (no create, no delete), and p's roleId is read as coming from r.
    assert [(c.name, c.action) for c in compare(old, new)] == [("r", "replace"), ("p", "replace")]
    resources = ch._resources(
        doc({**res(PERM, "p"), "aliases": [role_old], "propertyDependencies": {"roleId": [role_old]}})
    )
    (p,) = resources.values()
    assert p["aliases"] == [f"{P}{ROLE}::r"] and p["propertyDependencies"] == {"roleId": [f"{P}{ROLE}::r"]}


def test_what_a_stateful_deletion_loses_and_what_it_does_not() -> None:
    assert ch._stateful(res(GW, "g", {"existingGatewayId": "tools-abcde12345"})) is None  # adopted: forgotten only
    assert ch._stateful(res(GW, "g", {})) == ch.STATEFUL[GW]
    assert ch._stateful(res(ROLE, "r", protect=True)) == (
        ch.STATEFUL[ROLE] + "; it is protected, so `pulumi up` refuses until `pulumi state unprotect`"
    )
    assert ch._stateful(res("aws:iam/role:Role", "x", protect=True)) is None
    assert ch._stateful(res(CONN, "c", {"existingGatewayId": "x"})) == ch.STATEFUL[CONN]


def _sample() -> ch.Changes:
    old = doc(res(API, "api", {"identifier": "https://a/mcp"}), res(ROLE, "gone"), res(ROLE, "old", {"name": "A"}))
    new = doc(
        res(API, "api", {"identifier": "https://b/mcp"}),
        res(ROLE, "new", {"name": "B"}, aliases=[f"{P}{ROLE}::old"]),
        res(CONN, "c", {"name": "u"}),
    )
    return ch.compare(old, new, "main", "0123456789abcdef" * 2 + "01234567")


def test_the_text_says_every_change_with_stateful_losses_first() -> None:
    assert ch.render_text(_sample()) == "\n".join(
        [
            "Changes against main (0123456789ab): 1 to create, 1 to delete, 1 to replace, 1 to update",
            "  Stateful resources deleted or replaced:",
            f"    ⚠ replace {API} api: {ch.STATEFUL[API]}",
            f"    ⚠ delete {ROLE} gone: {ch.STATEFUL[ROLE]}",
            f"  + create {CONN} c",
            f"  ± replace {API} api: identifier changes",
            f"  ~ update {ROLE} new (was old): name",
            f"  - delete {ROLE} gone",
        ]
    )
    empty = ch.Changes("v1", "f" * 40, [], note="a note")
    assert ch.render_text(empty) == (
        "Changes against v1 (ffffffffffff): 0 to create, 0 to delete, 0 to replace, 0 to update\n"
        "  note: a note\n  no changes"
    )


def test_reasons_are_joined_per_action_and_only_stateful_losses_are_flagged() -> None:
    changes = ch.Changes(
        "main",
        "b" * 40,
        [
            Change(f"{P}{API}::a", API, "a", "replace", ["identifier changes", "x changes"], ch.STATEFUL[API]),
            Change(f"{P}{ROLE}::r", ROLE, "r", "update", ["description", "name"]),
            Change(f"{P}aws:iam/role:Role::i", "aws:iam/role:Role", "i", "delete", [], None),
        ],
    )
    lines = ch.render_text(changes).splitlines()
    assert lines[1:3] == ["  Stateful resources deleted or replaced:", f"    ⚠ replace {API} a: {ch.STATEFUL[API]}"]
    assert f"  ± replace {API} a: identifier changes; x changes" in lines
    assert f"  ~ update {ROLE} r: description, name" in lines
    assert "  - delete aws:iam/role:Role i" in lines and not any("⚠ delete" in x for x in lines)


def test_the_json_has_every_field_of_every_change() -> None:
    d = ch.to_document(_sample())
    assert d["against"] == "main" and d["commit"].startswith("0123456789ab") and d["note"] is None
    assert d["counts"] == {"create": 1, "delete": 1, "replace": 1, "update": 1}
    assert d["changes"][2] == {
        "action": "update",
        "urn": f"{P}{ROLE}::new",
        "type": ROLE,
        "name": "new",
        "because": ["name"],
        "stateful": None,
        "renamedFrom": f"{P}{ROLE}::old",
        "protected": False,
    }
    assert d["refused"] == []


# ------------------------------------------------------------ several plans in one process

# A tree's `offline/plan.py` whose plan of a stack does what the stack's name says.
FAKE_PLAN = """
import json, os, sys, time

def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    stack = args[args.index("--stack") + 1]
    if stack == "hang":
        time.sleep(60)
    if stack == "crash":
        raise MemoryError("out of memory")
    if stack == "invalid":
        print("plan: Pulumi.invalid.yaml: mcpauth:x: bad", file=sys.stderr)
        return 2
    if stack == "exit":
        sys.exit("plan: stopped")
    if stack == "list":
        print("[1, 2]")
        return 0
    if stack == "die":
        os._exit(9)
    print("a warning", file=sys.stderr)
    print(json.dumps({"resources": [], "stack": stack, "dir": args[args.index("--stack-dir") + 1]}))
    return 1 if stack == "fails" else 0

if __name__ == "__main__":
    sys.exit(main())
"""


def fake_tree(path: Path, plan: str = FAKE_PLAN) -> Path:
    (path / "offline").mkdir(parents=True)
    (path / "offline" / "__init__.py").write_text("")
    (path / "offline" / "plan.py").write_text(plan)
    return path


def outcome(done: subprocess.CompletedProcess[str] | None) -> tuple[int, str, dict[str, Any] | None] | None:
    """What the summary reads of a plan: its exit status, its last stderr line and its document."""
    if done is None:
        return None
    code, err, plan = ch._now(done)
    return code, err.splitlines()[-1] if err else "", plan


STACKS = ["ok", "fails", "crash", "invalid", "exit", "list", "hang", "ok2"]


@pytest.mark.slow  # Python processes, one that hangs until stopped
def test_plans_in_one_process_end_as_each_in_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit status, document, the last stderr line: what `python -m offline.plan` gives per stack.
    A stack that does not finish in time is stopped, and the ones after it are still planned."""
    monkeypatch.setattr(ch, "PLAN_TIMEOUT_SECONDS", 2)
    tree = fake_tree(tmp_path)
    jobs = [(stack, f"dir-{stack}") for stack in STACKS]
    batch = [outcome(done) for done in ch._Batch(tree, jobs).collect()]
    alone = [outcome(ch._plan_alone(tree, *job)) for job in jobs]
    assert batch == alone
    assert [x and x[0] for x in batch] == [0, 1, 1, 2, 1, 0, None, 0]
    assert batch[0] == (0, "a warning", {"resources": [], "stack": "ok", "dir": "dir-ok"})
    assert batch[2] and batch[2][1] == "MemoryError: out of memory" and batch[4] == (1, "plan: stopped", None)


@pytest.mark.slow  # Python processes
def test_a_tree_the_batch_cannot_plan_is_planned_a_stack_a_process(tmp_path: Path) -> None:
    """A revision whose `main()` reads sys.argv, a batch process that dies half-way, a plan module
    that does not import: each stack is planned alone, as before batches."""
    jobs = [("ok", "a"), ("fails", "b")]
    expected = [
        (0, "a warning", {"resources": [], "stack": "ok", "dir": "a"}),
        (1, "a warning", {"resources": [], "stack": "fails", "dir": "b"}),
    ]
    no_argv = FAKE_PLAN.replace("def main(argv=None):", "def main():").replace("if argv is None else argv", "")
    assert [outcome(d) for d in ch._Batch(fake_tree(tmp_path / "old", no_argv), jobs).collect()] == expected
    died = ch._Batch(fake_tree(tmp_path / "dies"), [("ok", "a"), ("die", "x"), ("fails", "b")]).collect()
    assert [outcome(d) for d in died] == [expected[0], (9, "", None), expected[1]]
    broken = fake_tree(tmp_path / "broken", "import no_such_module\n")
    ((code, err, plan),) = [ch._now(d) for d in ch._Batch(broken, [("ok", "a")]).collect() if d]
    assert (code, err.splitlines()[-1], plan) == (1, "ModuleNotFoundError: No module named 'no_such_module'", None)


@pytest.mark.slow  # Python processes
def test_a_plan_that_crashed_is_not_read_as_a_json_document() -> None:
    """A Python crash exits 1, the code a plan with failed checks also exits with."""
    crash = "Traceback (most recent call last):\n  ...\nMemoryError"
    _code, err, plan = ch._now(subprocess.CompletedProcess([], 1, "", crash))
    assert plan is None and "MemoryError" in err
    assert ch._now(subprocess.CompletedProcess([], 0, "[1, 2]", ""))[2] is None
    assert ch._now(subprocess.CompletedProcess([], 1, '{"resources": []}', ""))[2] == {"resources": []}
    assert ch._now(None) == (-1, "the plan did not finish in 300 s and was stopped", None)


@pytest.mark.slow  # one process per stack file
def test_every_stack_file_planned_in_one_process_is_the_plan_of_it_alone() -> None:
    jobs = [(stack, folder) for folder, stack in ch.stack_files()]
    batch = ch._Batch(ROOT, jobs).collect()
    for job, done in zip(jobs, batch, strict=True):
        alone = ch._plan_alone(ROOT, *job)
        assert done and alone and ch._plan_document(alone), job
        assert (done.returncode, done.stdout) == (alone.returncode, alone.stdout), job


# ------------------------------------------------------------ in process, on a repository copy


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A one-commit repository of this checkout, copied once per module: (its path, the commit)."""
    path = tmp_path_factory.mktemp("changes") / "r"
    shutil.copytree(
        ROOT,
        path,
        ignore=shutil.ignore_patterns(".git", "venv", "node_modules", "mutants", "*cache*", "__pycache__"),
    )
    _git(path, "init", "-q")
    _git(path, "add", "-A")
    _git(path, "commit", "-qm", "base")
    return path, _git(path, "rev-parse", "HEAD")


@pytest.fixture
def repo(base_repo: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """That repository, which offline.changes treats as its own, back at its one commit after each test."""
    path, base = base_repo
    monkeypatch.setattr(ch, "ROOT", path)
    yield path
    _git(path, "reset", "-q", "--hard", base)
    _git(path, "clean", "-qfdx")


@pytest.mark.slow  # git on a copy of the checkout
def test_the_committed_stack_files_are_the_top_and_examples_ones(repo: Path) -> None:
    (repo / "examples" / "adopt" / "deeper").mkdir()
    (repo / "examples" / "adopt" / "deeper" / "Pulumi.x.yaml").write_text("config: {}\n")
    (repo / "Pulumi.notes.txt").write_text("")
    expected = [
        (".", "dev"),
        (".", "prod"),
        ("examples/adopt", "adopt"),
        ("examples/shared-tenant", "platform"),
        ("examples/shared-tenant", "team-a"),
        ("examples/shared-tenant", "team-b"),
    ]
    assert ch.stack_files() == expected
    assert ch.stack_files(_git(repo, "rev-parse", "HEAD")) == expected


@pytest.mark.slow  # git on a copy of the checkout
def test_the_summary_in_process(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "examples" / "shared-tenant" / "Pulumi.team-b.yaml").unlink()
    dev = repo / "Pulumi.dev.yaml"
    dev.write_text(dev.read_text().replace("name: mcp-users", "name: mcp-people"))
    _git(repo, "commit", "-qam", "change")
    base = _git(repo, "rev-parse", "HEAD~1")
    # What `make plan-summary` prints, and exit 0: every plan is sound. (One summary: it plans every
    # stack file twice, in child processes.)
    assert ch.main(["--against", "HEAD~1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"## `make plan` against HEAD~1 ({base[:12]})"
    i = lines.index("### Pulumi.dev.yaml")
    # The update: the Action's config names the connection its default role is given through.
    assert lines[i + 2] == "0 to create, 0 to delete, 1 to replace, 1 to update"
    assert lines[i + 4] == (f"- ⚠ **replace** `{CONN}` `tenant-connection`: {ch.STATEFUL[CONN]}")
    assert lines[i + 6 : i + 9] == ["<details><summary>every change</summary>", "", "```"]
    assert f"  ± replace {CONN} tenant-connection: name changes" in lines
    j = lines.index(
        "### examples/shared-tenant/Pulumi.team-b.yaml (removed by this change: everything it declared is deleted)"
    )
    assert lines[j + 2].startswith("0 to create, ") and ", 0 to replace, 0 to update" in lines[j + 2]
    assert "### Pulumi.prod.yaml" in lines and lines[lines.index("### Pulumi.prod.yaml") + 3] == ""
    # The details block, closed, and a blank line after each section.
    start = lines.index("<details><summary>every change</summary>", i)
    assert lines[start - 1] == "" and lines[start + 1 : start + 3] == ["", "```"]
    close = lines.index("</details>", start)
    assert lines[close - 1] == "```" and lines[close + 1] == ""
    assert lines[i + 1] == "" and lines[i + 3] == ""
    assert f"- ⚠ **delete** `{GW}` `gw-billing-gateway`: {ch.STATEFUL[GW]}" in lines
    # Only stateful losses get a ⚠ line: team-b's removal deletes its IAM role without one.
    section = lines[j : lines.index("</details>", j)]
    assert any("gw-billing-role" in x for x in section)
    assert not any(x.startswith("- ⚠") and "gw-billing-role" in x for x in section)


@pytest.mark.slow  # git on a copy of the checkout
def test_a_plan_that_fails_a_check_is_marked_and_a_revision_that_does_not_plan_is_said(repo: Path) -> None:
    # prod with a default audience over two gateways would be a config error; a mandatory policy
    # failure (exit 1) still plans: the audience profile without a default audience.
    prod = repo / "Pulumi.prod.yaml"
    prod.write_text(
        prod.read_text().replace("resourceParameterProfile: compatibility", "resourceParameterProfile: audience")
    )
    _git(repo, "commit", "-qam", "profile")
    text, sound = ch.summary("HEAD~1")
    lines = text.splitlines()
    assert sound is False and "### ✗ Pulumi.prod.yaml" in lines
    # Against a revision where dev did not plan: "not compared", and the others still are.
    dev = repo / "Pulumi.dev.yaml"
    good = dev.read_text()
    dev.write_text(good.replace("aws:region: us-east-1", "aws:region: nowhere"))
    _git(repo, "commit", "-qam", "break dev")
    dev.write_text(good)
    _git(repo, "commit", "-qam", "fix dev")
    text, _ = ch.summary("HEAD~1")
    lines = text.splitlines()
    i = lines.index("### Pulumi.dev.yaml")
    assert lines[i + 1] == "" and lines[i + 2].startswith("not compared: AGAINST=HEAD~1: the stack does not plan at ")
    assert lines[i + 3] == "" and "### ✗ Pulumi.prod.yaml" in lines[i:]


def test_plan_summary_help_names_the_make_target(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        ch.main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: make plan-summary") and "every stack file's changes against a revision" in out


@pytest.mark.slow  # git on a copy of the checkout
def test_a_stack_that_no_longer_plans_fails_the_summary(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prod = repo / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("aws:region: us-east-1", "aws:region: nowhere"))
    _git(repo, "commit", "-qam", "break")
    assert ch.main(["--against", "HEAD~1"]) == 1  # what `make plan-summary` prints, and fails
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == ""
    i = lines.index("### ✗ Pulumi.prod.yaml: does not plan")
    assert lines[i + 1 : i + 3] == ["", "```"]
    end = lines.index("```", i + 3)
    assert any("aws:region: got 'nowhere'" in x for x in lines[i + 3 : end])
    assert lines[end + 1] == ""
    # The stacks after it are still summarized.
    assert "### examples/shared-tenant/Pulumi.team-b.yaml" in lines
    assert ch.main(["--against", "nope-0"]) == 2
    assert "plan-summary: AGAINST=nope-0:" in capsys.readouterr().err


@pytest.mark.slow  # git on a copy of the checkout
def test_the_plan_at_a_revision(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(ch.ChangesError, match="AGAINST=zzz: not a commit in this repository"):
        ch.old_plan("zzz", "dev", repo)
    # A committed link out of the tree (an absolute venv link) is not exported, nor in the way.
    (repo / "venv").symlink_to(ROOT / "venv")
    _git(repo, "add", "venv")
    _git(repo, "commit", "-qm", "a link")
    commit, old, note = ch.old_plan("HEAD", "dev", repo)
    assert commit == _git(repo, "rev-parse", "HEAD") and note is None
    assert old is not None and any(r["name"] == "tenant-connection" for r in old["resources"])
    commit, old, note = ch.old_plan("HEAD", "nosuch", repo)
    assert old is None and note == f"Pulumi.nosuch.yaml does not exist at {commit[:12]}: everything is created"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(repo / "Pulumi.dev.yaml", outside / "Pulumi.dev.yaml")
    _, old, note = ch.old_plan("HEAD", "dev", outside)
    assert old is not None and note == f"{outside} is outside the repository: the same stack file is used on both sides"
    # A stack file that does not plan at that revision.
    prod = repo / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("aws:region: us-east-1", "aws:region: nowhere"))
    _git(repo, "commit", "-qam", "break")
    with pytest.raises(ch.ChangesError, match=r"AGAINST=HEAD: the stack does not plan at [0-9a-f]{12}: .*aws:region"):
        ch.old_plan("HEAD", "prod", repo)
    # A revision from before `make plan` existed.
    _git(repo, "rm", "-q", "offline/plan.py")
    _git(repo, "commit", "-qm", "old")
    with pytest.raises(ch.ChangesError, match=r"AGAINST=HEAD: [0-9a-f]{12} predates `make plan`"):
        ch.old_plan("HEAD", "dev", repo)


@pytest.mark.slow  # git on a copy of the checkout
def test_changes_against_carries_the_note(repo: Path) -> None:
    result = ch.changes_against("HEAD", "nosuch", repo, {"resources": []})
    assert result.note and result.note.startswith("Pulumi.nosuch.yaml does not exist at")
    assert result.commit == _git(repo, "rev-parse", "HEAD") and result.changes == []


def access_doc(**roles: list[str]) -> dict[str, Any]:
    """A plan document whose `tools` gateway lets each role call the tools given."""
    return {**doc(), "toolAccess": [{"gateway": "tools", "mode": "ENFORCE", "roles": roles}]}


def test_a_grant_change_says_which_role_gains_and_which_loses_which_tool() -> None:
    everything = ["ops___delete_item", "ops___list_items"]
    old = access_doc(**{"MCP User": everything, "MCP Admin": ["ops___list_items"]})
    new = access_doc(**{"MCP User": ["ops___list_items"], "MCP Admin": everything})
    result = ch.compare(old, new, "main", "a" * 40)
    assert [f"{g}: {a}" for g, a in result.access or []] == [
        "tools: MCP Admin gains `ops___delete_item`",
        "tools: MCP User loses `ops___delete_item`",
    ]
    text = ch.render_text(result)
    assert "  Tool access (per role, the tools it may call):" in text
    assert "    tools: MCP User loses `ops___delete_item`" in text
    assert "    tools: MCP Admin gains `ops___delete_item`" in text
    assert ch.to_document(result)["access"] == [
        {
            "gateway": "tools",
            "role": "MCP Admin",
            "tool": "ops___delete_item",
            "change": "gains",
            "text": "MCP Admin gains `ops___delete_item`",
        },
        {
            "gateway": "tools",
            "role": "MCP User",
            "tool": "ops___delete_item",
            "change": "loses",
            "text": "MCP User loses `ops___delete_item`",
        },
    ]
    # No change to the grants: nothing said; a new stack file: every role gains its tools.
    assert ch.compare(old, old, "main", "a" * 40).access == []
    created = ch.compare(None, new, "main", "a" * 40).access or []
    assert [str(a) for _, a in created] == [
        "MCP Admin gains `ops___delete_item`",
        "MCP Admin gains `ops___list_items`",
        "MCP User gains `ops___list_items`",
    ]


def test_a_revision_whose_plan_does_not_report_tool_access_is_said_not_compared() -> None:
    result = ch.compare(doc(), access_doc(**{"MCP User": ["ops___list_items"]}), "main", "a" * 40)
    assert result.access is None
    assert "Tool access: not compared (the revision's plan does not report it)" in ch.render_text(result)
    assert ch.to_document(result)["access"] is None
