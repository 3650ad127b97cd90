"""`make plan STACK=<name>`: what a stack config will create, evaluated offline.

Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml`, runs the real program (`__main__.py`) under the
shared mock engine, and prints the resources as a tree, the wiring table (the strings that must
be byte-identical), the critical path and the policy results.

Exit status: 0 sound; 1 a wiring check or a mandatory policy failed (the plan is printed with
the failures); 2 the stack file or config is invalid (one message naming the file or key).
"""

from __future__ import annotations

import gc

if __name__ == "__main__":
    # A short-lived process: the SDKs load tens of thousands of objects, and the cyclic GC
    # would rescan them on every collection while they load and the program runs (measured:
    # about 15% of a dev plan). Reference counting still frees what the plan drops.
    gc.disable()
    import os

    # No pydantic plugins in the plan: their discovery scans every installed distribution's entry
    # points (pydantic/plugin/_loader.py), and the config models need none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi

from offline.access import gateway_access
from offline.adopt import reset_notes
from offline.deployer_scopes import scopes_for
from offline.engine import ROOT, Evaluation, OutputHook, run_program
from offline.graph import critical_path
from offline.limits import free_plan_warnings
from offline.model import Plan
from offline.references import referenced_outputs
from offline.render import render_text, to_document
from offline.stackfile import StackConfig, StackFileError, load_stack
from offline.tenants import stacks_on_tenant, tenant_view
from offline.wiring import wiring_table
from stackconfig.model import ConfigError
from stackconfig.settings import Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


PolicyRunner = Callable[[Evaluation, Settings, StackConfig], list[dict[str, Any]]]


def _default_policies() -> PolicyRunner | None:
    try:
        from policies.offline import run_policies
    except ImportError:  # the policy pack is optional for the plan
        return None
    return run_policies


def make_plan(
    stack: str,
    *,
    stack_dir: Path = ROOT,
    hook: OutputHook | None = None,
    policies: PolicyRunner | None = None,
) -> Plan:
    """Raises StackFileError or ConfigError for input that is not a valid stack."""
    sc = load_stack(ROOT, stack, stack_dir)
    settings = load_settings(sc.values, stack, sc.secret_keys)
    references = referenced_outputs(settings, sc.project, stack_dir)
    # The program is told which keys are `secure:` as Pulumi tells it (mcpauth:targetSecrets must be).
    ev = run_program(
        sc.values, stack, hook=hook, project=sc.project, references=references.outputs, secret_keys=sc.secret_keys
    )
    runner = policies or _default_policies()
    tenant = stacks_on_tenant(stack, stack_dir)
    others = {name: s for name, s in tenant.items() if name != stack}
    return Plan(
        stack=stack,
        project=sc.project,
        evaluation=ev,
        wiring=wiring_table(ev, settings),
        critical_path=critical_path(ev),
        policies=runner(ev, settings, sc) if runner else [],
        tenant=tenant_view(stack, stack_dir, tenant),
        secret_keys=tuple(sorted(sc.secret_keys)),
        notes=[*references.notes, *reset_notes(ev)],
        auth0_scopes=scopes_for(_auth0_types(ev)),
        auth0_read_scopes=scopes_for(_auth0_types(ev), read_only=True),
        pack_found=runner is not None,
        early_access=early_access(settings),
        limits=free_plan_warnings(stack, ev, settings.auth0_domain, others),
        tool_access=gateway_access(ev, settings),
    )


def early_access(settings: Settings) -> list[str]:
    """What in this stack's config needs an Auth0 Early Access feature."""
    out = []
    if settings.project.tenant.manage and settings.project.tenant.cimd_dynamic:
        out.append(
            "mcpauth:tenant.clientIdMetadataDocuments.dynamic: dynamic CIMD registration is Early Access "
            "(auth0.com/docs/get-started/auth0-overview/create-applications/cimd-overview): Auth0 must "
            "enable it for this tenant, or every CIMD client is refused. What CIMD metadata cannot carry "
            "(refresh token lifetimes, Organizations) comes from an Application Profile, also Early Access"
        )
    return out


def _auth0_types(ev: Evaluation) -> set[str]:
    return {r.type for r in ev.resources if r.custom and r.type.startswith("auth0:")} | {
        t for t in ev.invokes if t.startswith("auth0:")
    }


def _print_policy_config(stack: str, stack_dir: Path) -> int:
    from policies.offline import policy_config_for

    try:
        sc = load_stack(ROOT, stack, stack_dir)
        s = load_settings(sc.values, stack, sc.secret_keys)
    except (StackFileError, ConfigError) as e:
        print(f"plan: Pulumi.{stack}.yaml: {e}", file=sys.stderr)
        return EXIT_INVALID
    t = s.project.tenant
    cfg = policy_config_for(s.issuer, s.auth0_domain, t.manage, t.third_party_clients)
    print(json.dumps(cfg, indent=2, sort_keys=True))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make plan", description=__doc__.splitlines()[0] if __doc__ else "")
    ap.add_argument("--stack", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    ap.add_argument("--format", choices=("text", "json"), default="text")
    ap.add_argument("--stack-dir", type=Path, default=ROOT, help="where Pulumi.<stack>.yaml is")
    ap.add_argument(
        "--against",
        metavar="REV",
        help="also plan the stack file and program at git revision REV and show what would be "
        "created, deleted and replaced",
    )
    ap.add_argument(
        "--import-file",
        action="store_true",
        help="print a `pulumi import --file` document for Auth0 resources that already exist, and exit",
    )
    ap.add_argument(
        "--policy-config",
        action="store_true",
        help="print the policy pack config for this stack (for pulumi --policy-pack-config) and exit",
    )
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return EXIT_INVALID if e.code else EXIT_OK
    if args.policy_config:
        return _print_policy_config(args.stack, args.stack_dir)
    try:
        plan = make_plan(args.stack, stack_dir=args.stack_dir)
    except StackFileError as e:
        print(f"plan: {e}", file=sys.stderr)
        return EXIT_INVALID
    except ConfigError as e:
        print(f"plan: Pulumi.{args.stack}.yaml: {e}", file=sys.stderr)
        return EXIT_INVALID
    except pulumi.RunError as e:
        # What the program refuses while it runs (a referenced stack's outputs lacking what this
        # one needs): `pulumi preview` stops with the same message.
        print(f"plan: Pulumi.{args.stack}.yaml: {e}", file=sys.stderr)
        return EXIT_INVALID
    if args.import_file:
        from offline.adopt import import_file

        print(json.dumps(import_file(plan), indent=2, ensure_ascii=False))
        # Beside the file (stdout stays the JSON): what an adopted tenant must not have.
        from offline.adopt import ADOPTION_PREREQUISITES

        print("plan: before the first `up` on this tenant, check by hand:", file=sys.stderr)
        for check in ADOPTION_PREREQUISITES:
            print(f"  - {check}", file=sys.stderr)
        return EXIT_OK
    doc = to_document(plan)
    changes = None
    if args.against:
        from offline import changes as ch

        try:
            changes = ch.changes_against(args.against, args.stack, args.stack_dir, doc)
        except ch.ChangesError as e:
            print(f"plan: {e}", file=sys.stderr)
            return EXIT_INVALID
    if args.format == "json":
        if changes is not None:
            doc["changes"] = ch.to_document(changes)
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        print(render_text(plan))
        if changes is not None:
            print()
            print(ch.render_text(changes))
    # A change `pulumi up` would refuse (deleting or replacing a protected resource) fails the plan.
    refused = changes is not None and bool(changes.refused)
    return EXIT_FAILED if plan.failed or refused else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
