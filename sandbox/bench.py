"""`make bench`, after offline/bench.py: what `make verify` and the interactive path cost against a
running sandbox.

- the whole verify checklist against a sandbox of the dev plan (target < 1 s);
- the interactive path (an MCP client's DCR, login, consent, code exchange and tools/list) against
  a sandbox of tests/fixtures/interactive's stack (target < 2 s).
Each figure is the median of several runs, after one warm-up run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

from offline.engine import ROOT
from offline.plan import make_plan
from sandbox.sandbox import Sandbox, spec_from_plan
from verify.checks import Target, run_all
from verify.interactive import MemoryStorage, Person, list_tools, provider_for

VERIFY_TARGET, INTERACTIVE_TARGET = 1.0, 2.0
INTERACTIVE_STACK_DIR = ROOT / "tests" / "fixtures" / "interactive"


def interactive_median(runs: int) -> float:
    """The whole interactive path against a running sandbox, as an MCP client takes it: the
    gateway's 401 and metadata, the issuer's, DCR, the login form, consent, the code exchange
    with PKCE (the post-login Action under Node), initialize and tools/list. Median seconds."""
    spec = spec_from_plan(make_plan("claims", stack_dir=INTERACTIVE_STACK_DIR, policies=lambda *_: []))
    times = []
    with Sandbox(spec) as sandbox:
        user = sandbox.issuer.users["user@mcp.test"]
        url = spec.outputs["gateways"]["tools"]["gatewayUrl"]

        def once() -> list[str]:
            person = Person(user.username, user.password)
            return asyncio.run(list_tools(url, provider_for(url, person, MemoryStorage())))

        once()  # warm: first Node start, first imports
        for _ in range(runs):
            start = time.perf_counter()
            tools = once()
            times.append(time.perf_counter() - start)
            if not tools:
                raise SystemExit("bench: the interactive flow listed no tools")
    return statistics.median(times)


def verify_median(runs: int) -> tuple[float, int]:
    """The whole verify checklist against a running sandbox of the dev plan: median seconds."""
    spec = spec_from_plan(make_plan("dev", policies=lambda *_: []))
    times = []
    with Sandbox(spec):
        target = Target.from_outputs(spec.outputs)
        run_all(target)  # warm: first MCP session, first JWKS fetch
        for _ in range(runs):
            start = time.perf_counter()
            checks = run_all(target)
            times.append(time.perf_counter() - start)
            if not all(c.ok for c in checks):
                raise SystemExit(
                    "bench: verify failed against the sandbox: " + "; ".join(c.line() for c in checks if not c.ok)
                )
    return statistics.median(times), len(checks)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make bench")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    vt, n = verify_median(args.runs)
    print(
        f"verify: {n} checks against a running sandbox: {vt:.3f} s (target < {VERIFY_TARGET:.0f} s) "
        f"{'meets' if vt < VERIFY_TARGET else 'MISSES'}"
    )
    it = interactive_median(args.runs)
    print(
        f"interactive: DCR, login, consent, code + PKCE, tools/list through the gateway: {it:.3f} s "
        f"(target < {INTERACTIVE_TARGET:.0f} s) {'meets' if it < INTERACTIVE_TARGET else 'MISSES'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
