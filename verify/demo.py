"""`make demo STACK=dev`: the whole chain offline. Plan the stack, stand up the sandbox that holds
exactly what `pulumi up` would create, run every verify check; then break one thing the way it
breaks in real life (a trailing slash on the gateway's allowed audience) and show the diagnosis."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from offline.engine import ROOT
from offline.plan import make_plan
from verify.checks import Check, Target, run_all
from verify.sandbox import Sandbox, SandboxError, SandboxSpec, spec_from_plan


def _run(title: str, spec: SandboxSpec) -> list[Check]:
    print(f"\n== {title}")
    with Sandbox(spec):
        checks = run_all(Target.from_outputs(spec.outputs))
    for c in checks:
        print(c.line())
    passed = sum(c.ok for c in checks)
    print(f"verify: {passed} passed, {len(checks) - passed} failed")
    return checks


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make demo")
    ap.add_argument("--stack", default="dev")
    ap.add_argument("--stack-dir", type=Path, default=ROOT, help="where Pulumi.<stack>.yaml is")
    args = ap.parse_args(argv)
    plan = make_plan(args.stack, stack_dir=args.stack_dir)
    if plan.failed:
        print(f"demo: the plan of {args.stack} fails its wiring or policies; run `make plan STACK={args.stack}`")
        return 1
    try:
        spec = spec_from_plan(plan)
    except SandboxError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 2
    print(f"demo: stack {args.stack}: {len(plan.wiring)} gateway(s), sandbox on 127.0.0.1")
    good = _run("as planned: every check should pass", spec)

    broken = spec_from_plan(plan)
    first = next(iter(broken.gateways.values()))
    first.allowed_audiences = [a + "/" for a in first.allowed_audiences]
    # As `pulumi stack output` shows it once the stack is refreshed: the gateway resource reads its
    # live authorizer back into allowedAudiences.
    broken.outputs["gateways"][first.name]["allowedAudiences"] = list(first.allowed_audiences)
    bad = _run(f"broken: gateway {first.name!r} allows {first.allowed_audiences[0]!r} (a trailing slash)", broken)

    ok = all(c.ok for c in good) and any(not c.ok and "audience" in c.cause for c in bad)
    print("\ndemo: " + ("ok: the chain works, and the broken audience is caught and diagnosed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
