"""`make plan STACK=<name> AGAINST=<git rev>`: what a change to the program or stack file would do.

The stack file and the program at the revision are planned in a process of their own (the plan
of that revision's own code, under this checkout's pinned packages; one process for every stack
planned at that revision, offline/plan_batch.py), beside today's plan. The two are compared by
URN, the way the engine matches a stack's state to a program:

- a URN only today's plan declares is created, one only the old plan declares is deleted (an
  `aliases` entry naming an old URN makes it the same resource under a new name);
- an input under the program's `ignoreChanges` is never a change (the engine keeps the state's);
- a resource in both is replaced when an input the provider cannot update changes (the
  provider's ForceNew, cited per type in FORCES_REPLACEMENT), or when such an input comes from a
  resource that is replaced (a preview shows it unknown, so the engine replaces it too);
  otherwise it is updated when any input changes.

Deleting or replacing a stateful resource (an API, a gateway, a role, a connection, the tenant
settings) is called out with what it loses. Deleting or replacing a *protected* one is refused by
`pulumi up` ("unable to delete/replace resource ... as it is currently marked for protection"), so
the plan fails (exit 1) and lists it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.gateway_resource import _REPLACES as GATEWAY_REPLACES
from offline.access import access_changes_between
from offline.engine import ROOT
from rules.toolaccess import AccessChange
from rules.types import (
    ACTION,
    API,
    API_SCOPES,
    CLIENT,
    CLIENT_CIMD,
    CLIENT_CREDENTIALS,
    CLIENT_GRANT,
    CONNECTION,
    IAM_ROLE,
    ROLE,
    ROLE_PERMISSION,
    ROLE_PERMISSIONS,
    ROOT_STACK,
    TENANT,
    TRIGGER_ACTION,
)
from rules.types import (
    MCP_GATEWAY as GATEWAY,
)

# Inputs whose change replaces the resource: the Terraform schema's `ForceNew: true` in the
# providers that pulumi-auth0 and pulumi-aws bridge (auth0/terraform-provider-auth0 v1.55.0,
# internal/auth0/…; hashicorp/terraform-provider-aws internal/service/iam/role.go). Neither has a
# CustomizeDiff that forces a new resource. Engine (camelCase) names.
FORCES_REPLACEMENT: dict[str, tuple[str, ...]] = {
    TENANT: (),  # tenant/resource.go: no ForceNew attribute
    CONNECTION: ("name", "strategy"),  # connection/schema.go:17, :52
    ROLE: ("type", "ownerId"),  # role/resource.go:44, :55
    ROLE_PERMISSION: (  # role/resource_permission.go:22, :28, :34
        "roleId",
        "permission",
        "resourceServerIdentifier",
    ),
    ROLE_PERMISSIONS: ("roleId",),  # role/resource_permissions.go:23
    API: ("identifier",),  # resourceserver/resource.go:46
    # resourceserver/resource_scopes.go:23
    API_SCOPES: ("resourceServerIdentifier",),
    CLIENT: (),  # client/resource.go: only jwt_configuration.secret_encoded
    CLIENT_CIMD: ("externalClientId",),  # client/resource_cimd.go: external_client_id is ForceNew
    CLIENT_CREDENTIALS: ("clientId",),  # client/resource_credentials_schema.go:113
    CLIENT_GRANT: (  # client/resource_grant.go:37, :45, :75, :99
        "clientId",
        "audience",
        "subjectType",
        "defaultFor",
    ),
    ACTION: (),  # action/resource.go: supported_triggers is not ForceNew
    TRIGGER_ACTION: ("trigger", "actionId"),  # action/resource_trigger_action.go:32, :51
    IAM_ROLE: ("name", "namePrefix", "path"),  # iam/role.go
    # Our own provider's diff (components/gateway_resource.py).
    GATEWAY: GATEWAY_REPLACES,
}

# What deleting (or replacing) a resource of these types loses, beyond the resource itself.
STATEFUL: dict[str, str] = {
    API: ("the API: every grant on it goes, and tokens for a new one carry a new `aud`"),
    GATEWAY: "the gateway: its URL (the MCP resource URL every client is configured with) changes",
    ROLE: "the role: every user's assignment of it is lost",
    CONNECTION: "the connection: its users are deleted with it",
    CLIENT: "the client: its client id and secret stop working",
    # A new metadata URL is a new client (external_client_id is ForceNew): users consent again.
    CLIENT_CIMD: "the CIMD client registration: that metadata URL cannot log in until registered again",
    # tenant/resource.go deleteTenant returns nil: the settings stay, unowned.
    TENANT: "the tenant settings: nothing is reset, but no stack owns them any more",
}


class ChangesError(Exception):
    """The revision cannot be planned: not a commit, no `make plan` there, or its stack is invalid."""


@dataclass
class Change:
    urn: str
    type: str
    name: str
    action: str  # create | delete | replace | update
    because: list[str] = field(default_factory=list)
    stateful: str | None = None
    renamed_from: str | None = None
    # Protected in the state it would delete or replace: `pulumi up` refuses the change.
    protected: bool = False


@dataclass
class Changes:
    against: str
    commit: str
    changes: list[Change]
    note: str | None = None
    # Per gateway, what each role gains and loses among the tools it may call (rules/toolaccess.py);
    # None when the revision's plan does not report tool access.
    access: list[tuple[str, AccessChange]] | None = field(default_factory=list)

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def refused(self) -> list[Change]:
        """What `pulumi up` would refuse: deleting or replacing a protected resource."""
        return [c for c in self.changes if c.protected and c.action in ("delete", "replace")]


def _normalize(urn: str) -> str:
    """Plans before the engine formed URNs as the real one does put the root stack's type in
    top-level resources' URNs (`pulumi:pulumi:Stack$…`); compare without it."""
    return urn.replace(f"::{ROOT_STACK}$", "::")


def _resources(doc: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    out = {}
    for r in (doc or {}).get("resources", []):
        if r["type"] == ROOT_STACK or not r.get("custom", True) or r.get("read"):
            continue  # components have no state of their own; a read resource is never created
        r = dict(r)
        r["urn"] = _normalize(r["urn"])
        r["aliases"] = [_normalize(a) for a in r.get("aliases", [])]
        r["propertyDependencies"] = {
            k: [_normalize(u) for u in v] for k, v in (r.get("propertyDependencies") or {}).items()
        }
        out[r["urn"]] = r
    return out


def _stateful(r: dict[str, Any], protected: bool | None = None) -> str | None:
    """What deleting `r` loses; `protected`: the protect flag of the state it replaces (default: its own)."""
    why = STATEFUL.get(r["type"])
    if why and r["type"] == GATEWAY and (r.get("inputs") or {}).get("existingGatewayId"):
        return None  # adopted: delete only forgets it (gateway_resource.py _Provider.delete)
    if why and (r.get("protect") if protected is None else protected):
        why += "; it is protected, so `pulumi up` refuses until `pulumi state unprotect`"
    return why


def compare(old_doc: dict[str, Any] | None, new_doc: dict[str, Any], against: str, commit: str) -> Changes:
    old, new = _resources(old_doc), _resources(new_doc)
    matched: dict[str, str] = {}  # new urn -> old urn
    for urn, r in new.items():
        if urn in old:
            matched[urn] = urn
        else:
            alias = next((a for a in r["aliases"] if a in old), None)
            if alias:
                matched[urn] = alias

    renamed_from = {urn: old_urn for urn, old_urn in matched.items() if urn != old_urn}

    def carried_over(urn: str, key: str) -> bool:
        """The input comes wholly from resources matched through an alias, the same ones as before:
        the engine keeps an aliased resource's id and outputs from its state (Pulumi docs, resource
        options, aliases), so a difference is only the mocks naming ids after the new name (a role
        moved with `previousIds` keeps its Auth0 id, and the permissions naming it their roleId)."""
        now = new[urn]["propertyDependencies"].get(key, [])
        before = old[matched[urn]]["propertyDependencies"].get(key, [])
        return bool(now) and all(u in renamed_from for u in now) and sorted(renamed_from[u] for u in now) == before

    def differs(urn: str, key: str) -> bool:
        # An input under the program's ignoreChanges keeps the state's value (Pulumi docs,
        # resource options, ignoreChanges: "the value from the state is used"): never a change.
        if key in (new[urn].get("ignoreChanges") or ()):
            return False
        before, after = old[matched[urn]].get("inputs") or {}, new[urn].get("inputs") or {}
        return before.get(key) != after.get(key) and not carried_over(urn, key)

    replaced: dict[str, list[str]] = {}
    for urn in matched:
        forced = [k for k in FORCES_REPLACEMENT.get(new[urn]["type"], ()) if differs(urn, k)]
        if forced:
            replaced[urn] = [f"{k} changes" for k in forced]
    # A ForceNew input that comes from a replaced resource is unknown in a preview: replaced too.
    grew = True
    while grew:
        grew = False
        for urn in matched:
            if urn in replaced:
                continue
            deps = new[urn]["propertyDependencies"]
            for key in FORCES_REPLACEMENT.get(new[urn]["type"], ()):
                source = next((u for u in deps.get(key, []) if u in replaced), None)
                if source:
                    replaced[urn] = [f"{key} comes from {new[source]['name']}, which is replaced"]
                    grew = True
                    break

    changes: list[Change] = []
    for urn, r in sorted(new.items()):
        if urn not in matched:
            changes.append(Change(urn, r["type"], r["name"], "create"))
            continue
        renamed = matched[urn] if matched[urn] != urn else None
        if urn in replaced:
            # The engine checks the protect flag the state holds for what it would delete.
            protected = bool(old[matched[urn]].get("protect"))
            changes.append(
                Change(urn, r["type"], r["name"], "replace", replaced[urn], _stateful(r, protected), renamed, protected)
            )
            continue
        before, after = old[matched[urn]].get("inputs") or {}, r.get("inputs") or {}
        differ = sorted(k for k in before.keys() | after.keys() if differs(urn, k))
        if differ or renamed:
            changes.append(Change(urn, r["type"], r["name"], "update", differ, None, renamed))
    gone = set(old) - set(matched.values())
    for urn in sorted(gone):
        r = old[urn]
        protected = bool(r.get("protect"))
        changes.append(Change(urn, r["type"], r["name"], "delete", [], _stateful(r, protected), None, protected))
    return Changes(against, commit, changes, access=access_changes_between(old_doc, new_doc))


# ---------------------------------------------------------------- the plan at a revision


def _git(*args: str) -> bytes:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True)
    if done.returncode:
        raise ChangesError(done.stderr.decode(errors="replace").strip() or f"git {' '.join(args)} failed")
    return done.stdout


JSON = ("--format", "json")
# One stack's plan takes seconds; a stack file that makes it run for minutes is refused, not waited for.
PLAN_TIMEOUT_SECONDS = 300
# Several stacks' plans in one process (offline/plan_batch.py), run by its source in a tree.
_BATCH = Path(__file__).with_name("plan_batch.py").read_text()


def _plan_document(done: subprocess.CompletedProcess[str]) -> dict[str, Any] | None:
    """The plan's JSON document, or None. Exit 0 and 1 (checks failed) print one; a Python crash
    also exits 1, with a traceback and no document, so the output itself decides."""
    if done.returncode not in (0, 1):
        return None
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _env() -> dict[str, str]:
    # The tree's own modules, never another checkout's on PYTHONPATH.
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _plan_alone(cwd: Path, stack: str, stack_dir: str) -> subprocess.CompletedProcess[str] | None:
    """`python -m offline.plan` for one stack in `cwd`'s tree; None when it did not finish in time."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "offline.plan", "--stack", stack, "--stack-dir", stack_dir, *JSON],
            cwd=cwd,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=PLAN_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return None


class _Batch:
    """The plans of several stacks of one tree, in one child process started at once (the SDKs
    load once, and it runs while the caller does something else); `collect()` gives each as
    `_plan_alone` would have: each stack still has PLAN_TIMEOUT_SECONDS, after which the
    process is stopped and the rest start again in a new one, and what the batch cannot plan
    (its process fails, or the tree's `offline.plan.main` takes no argv) is planned alone."""

    def __init__(self, cwd: Path, jobs: list[tuple[str, str]]) -> None:
        self.cwd, self.jobs = cwd, jobs
        self._lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
        self._started = time.monotonic()
        if not jobs:
            self._proc = None
            return
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _BATCH, *(arg for job in jobs for arg in job)],
            cwd=cwd,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        with self._proc.stdout as lines:
            for line in lines:
                self._lines.put((time.monotonic(), line))
        self._lines.put((time.monotonic(), None))

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()

    def collect(self) -> list[subprocess.CompletedProcess[str] | None]:
        done: list[subprocess.CompletedProcess[str] | None] = []
        last = self._started
        try:
            while len(done) < len(self.jobs):
                try:
                    at, line = self._lines.get(timeout=max(0.0, last + PLAN_TIMEOUT_SECONDS - time.monotonic()))
                except queue.Empty:
                    self.stop()
                    done.append(None)  # the stack it was planning did not finish
                    rest = self.jobs[len(done) :]
                    return done + (_Batch(self.cwd, rest).collect() if rest else [])
                if line is None:  # the process ended before planning them all
                    return done + [_plan_alone(self.cwd, *job) for job in self.jobs[len(done) :]]
                last = at
                r = json.loads(line)
                done.append(subprocess.CompletedProcess([], r["returncode"], r["stdout"], r["stderr"]))
            return done
        finally:
            self.stop()


# The plan document at a revision (None: no such stack file there) and a note on it.
OldPlan = tuple[dict[str, Any] | None, str | None]


@dataclass
class _Revision:
    """A revision's tree, exported once for every stack planned at it."""

    against: str
    commit: str
    tree: Path

    def old_dir(self, stack_dir: Path) -> tuple[Path, str | None]:
        """Where `stack_dir`'s stack files are in the tree, and a note when that is not there."""
        try:
            return self.tree / stack_dir.resolve().relative_to(ROOT), None
        except ValueError:  # a stack file outside the repository has no history here
            return stack_dir, f"{stack_dir} is outside the repository: the same stack file is used on both sides"

    def plans(self, stacks: list[tuple[str, Path]]) -> Iterator[OldPlan | ChangesError]:
        """Per (stack, stack_dir), in order: (the plan document there, a note) as `old_plan`
        returns them, or the ChangesError it raises. Every plan runs in one process."""
        where = [(stack, *self.old_dir(stack_dir)) for stack, stack_dir in stacks]
        jobs = [(stack, str(d)) for stack, d, _ in where if (d / f"Pulumi.{stack}.yaml").is_file()]
        results = iter(_Batch(self.tree, jobs).collect())
        short = self.commit[:12]
        for stack, d, note in where:
            if not (d / f"Pulumi.{stack}.yaml").is_file():
                yield None, f"Pulumi.{stack}.yaml does not exist at {short}: everything is created"
                continue
            done = next(results)
            if done is None:
                yield ChangesError(
                    f"AGAINST={self.against}: the stack's plan at {short} did not finish in {PLAN_TIMEOUT_SECONDS} s"
                )
                continue
            doc = _plan_document(done)
            if doc is None:
                reason = done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
                yield ChangesError(f"AGAINST={self.against}: the stack does not plan at {short}: {reason[0]}")
                continue
            yield doc, note


def _inside(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """The "data" filter, skipping what it refuses (a committed link to an absolute path, such as
    a venv link) instead of failing: a plan needs none of it. A filter returning None leaves the
    member out (Python docs, tarfile, "Extraction filters")."""
    try:
        return tarfile.data_filter(member, dest)
    except tarfile.FilterError:
        return None


@contextlib.contextmanager
def _revision(against: str, commit: str) -> Iterator[_Revision]:
    """`commit`'s tree, exported with `git archive` to a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="mcpauth-against-") as tmp:
        tree = Path(tmp)
        with tarfile.open(fileobj=io.BytesIO(_git("archive", "--format=tar", commit))) as tar:
            tar.extractall(tree, filter=_inside)  # noqa: S202 - every member through the "data" filter
        if not (tree / "offline" / "plan.py").is_file():
            raise ChangesError(f"AGAINST={against}: {commit[:12]} predates `make plan` (no offline/plan.py)")
        yield _Revision(against, commit, tree)


def _commit(against: str) -> str:
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{against}^{{commit}}").decode().strip()
    except ChangesError:
        raise ChangesError(
            f"AGAINST={against}: not a commit in this repository (fetch it first, e.g. "
            "`git fetch origin main` and AGAINST=origin/main)"
        ) from None


def old_plan(against: str, stack: str, stack_dir: Path) -> tuple[str, dict[str, Any] | None, str | None]:
    """(commit, the plan document at `against`, a note). The document is None when the stack
    file does not exist at that revision: every resource is then a create."""
    commit = _commit(against)
    with _revision(against, commit) as rev:
        (got,) = rev.plans([(stack, stack_dir)])
    if isinstance(got, ChangesError):
        raise got
    return commit, *got


def changes_against(against: str, stack: str, stack_dir: Path, new_doc: dict[str, Any]) -> Changes:
    commit, doc, note = old_plan(against, stack, stack_dir)
    result = compare(doc, new_doc, against, commit)
    result.note = note
    return result


# ---------------------------------------------------------------- rendering

_MARK = {"create": "+", "delete": "-", "replace": "±", "update": "~"}


def to_document(ch: Changes) -> dict[str, Any]:
    return {
        "against": ch.against,
        "commit": ch.commit,
        "note": ch.note,
        "counts": {a: len(ch.of(a)) for a in ("create", "delete", "replace", "update")},
        "changes": [
            {
                "action": c.action,
                "urn": c.urn,
                "type": c.type,
                "name": c.name,
                "because": c.because,
                "stateful": c.stateful,
                "renamedFrom": c.renamed_from,
                "protected": c.protected,
            }
            for c in ch.changes
        ],
        "refused": [{"action": c.action, "urn": c.urn, "name": c.name} for c in ch.refused],
        "access": None
        if ch.access is None
        else [
            {"gateway": g, "role": a.role, "tool": a.tool, "change": "gains" if a.gained else "loses", "text": str(a)}
            for g, a in ch.access
        ],
    }


def access_lines(ch: Changes) -> list[str]:
    """Who gains and who loses which tool, per gateway: what a reviewer of a grant change reads."""
    if ch.access is None:
        return ["  Tool access: not compared (the revision's plan does not report it)"]
    if not ch.access:
        return []
    return ["  Tool access (per role, the tools it may call):"] + [f"    {g}: {a}" for g, a in ch.access]


def render_text(ch: Changes) -> str:
    counts = ", ".join(f"{len(ch.of(a))} to {a}" for a in ("create", "delete", "replace", "update"))
    lines = [f"Changes against {ch.against} ({ch.commit[:12]}): {counts}"]
    if ch.note:
        lines.append(f"  note: {ch.note}")
    if ch.refused:
        lines.append("  ✗ Refused by `pulumi up` (protected; mcpauth:protect): the plan fails")
        lines += [f"    ✗ {c.action} {c.type} {c.name}" for c in ch.refused]
    loses = [c for c in ch.changes if c.stateful and c.action in ("delete", "replace")]
    if loses:
        lines.append("  Stateful resources deleted or replaced:")
        lines += [f"    ⚠ {c.action} {c.type} {c.name}: {c.stateful}" for c in loses]
    lines += access_lines(ch)
    if not ch.changes:
        lines.append("  no changes")
    for c in ch.changes:
        detail = "; ".join(c.because) if c.action == "replace" else ", ".join(c.because)
        renamed = f" (was {c.renamed_from.rsplit('::', 1)[-1]})" if c.renamed_from else ""
        lines.append(f"  {_MARK[c.action]} {c.action} {c.type} {c.name}{renamed}" + (f": {detail}" if detail else ""))
    return "\n".join(lines)


# ---------------------------------------------------------------- every stack, for a pull request


def stack_files(commit: str | None = None) -> list[tuple[str, str]]:
    """(folder, stack) of the committed stack files: `Pulumi.<stack>.yaml` at the top and in
    `examples/*/`, at `commit`, or in the checkout."""
    if commit:
        names = _git("ls-tree", "-r", "--name-only", commit).decode().splitlines()
    else:
        names = [
            str(p.relative_to(ROOT)) for p in [*ROOT.glob("Pulumi.*.yaml"), *ROOT.glob("examples/*/Pulumi.*.yaml")]
        ]
    out = set()
    for name in names:
        path = Path(name)
        parts = path.parent.parts
        is_stack_file = path.name.startswith("Pulumi.") and path.suffix == ".yaml" and path.name != "Pulumi.yaml"
        if is_stack_file and (parts == () or (len(parts) == 2 and parts[0] == "examples")):
            out.add((str(path.parent), path.name.removeprefix("Pulumi.").removesuffix(".yaml")))
    return sorted(out)


def _now(done: subprocess.CompletedProcess[str] | None) -> tuple[int, str, dict[str, Any] | None]:
    """(exit status, stderr, plan document) of a plan of this checkout."""
    if done is None:
        return -1, f"the plan did not finish in {PLAN_TIMEOUT_SECONDS} s and was stopped", None
    return done.returncode, done.stderr.strip(), _plan_document(done)


def summary(against: str) -> tuple[str, bool]:
    """Markdown for a pull request's job summary: per stack file (today's, and those the change
    removes), what the change creates, deletes and replaces. Returns (markdown, all plans sound)."""
    commit = _git("rev-parse", "--verify", "--quiet", f"{against}^{{commit}}").decode().strip()
    now, before = stack_files(), stack_files(commit)
    every = sorted(set(now) | set(before))
    # Today's plans in one process, started first so they run beside the revision's (one more).
    today = _Batch(ROOT, [(stack, folder) for folder, stack in now])
    try:
        try:
            with _revision(against, commit) as rev:
                old: list[OldPlan | ChangesError] = list(rev.plans([(stack, ROOT / folder) for folder, stack in every]))
        except ChangesError as e:
            old = [e] * len(every)
        planned = dict(zip(now, map(_now, today.collect()), strict=True))
    finally:
        today.stop()
    lines = [f"## `make plan` against {against} ({commit[:12]})", ""]
    sound = True
    for (folder, stack), then in zip(every, old, strict=True):
        where = f"{folder}/Pulumi.{stack}.yaml" if folder != "." else f"Pulumi.{stack}.yaml"
        if (folder, stack) in now:
            code, err, doc = planned[folder, stack]
            if doc is None:
                sound = False
                lines += [f"### ✗ {where}: does not plan", "", "```", err, "```", ""]
                continue
            sound = sound and code == 0
        else:
            doc = {"resources": []}
        if isinstance(then, ChangesError):
            lines += [f"### {where}", "", f"not compared: {then}", ""]
            continue
        ch = compare(then[0], doc, against, commit)
        ch.note = then[1]
        counts = ", ".join(f"{len(ch.of(a))} to {a}" for a in ("create", "delete", "replace", "update"))
        sound = sound and not ch.refused
        mark = "✗ " if doc.get("ok") is False or ch.refused else ""
        removed = " (removed by this change: everything it declared is deleted)" if (folder, stack) not in now else ""
        lines += [f"### {mark}{where}{removed}", "", counts, ""]
        lines += [
            f"- ⚠ **{c.action}** `{c.type}` `{c.name}`: {c.stateful}"
            for c in ch.changes
            if c.stateful and c.action in ("delete", "replace")
        ]
        lines += [f"- {g}: {a}" for g, a in ch.access or []]
        if ch.changes:
            lines += ["", "<details><summary>every change</summary>", "", "```", render_text(ch), "```", "</details>"]
        lines.append("")
    return "\n".join(lines), sound


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(
        prog="make plan-summary", description="every stack file's changes against a revision, as Markdown"
    )
    ap.add_argument("--against", required=True, metavar="REV")
    args = ap.parse_args(argv)
    try:
        text, sound = summary(args.against)
    except ChangesError as e:
        print(f"plan-summary: AGAINST={args.against}: {e}", file=sys.stderr)
        return 2
    print(text)
    return 0 if sound else 1


if __name__ == "__main__":
    sys.exit(main())
