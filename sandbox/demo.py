"""`make demo STACK=dev`: the whole chain offline. Plan the stack, stand up the sandbox that holds
exactly what `pulumi up` would create, run every verify check; then break one thing the way it
breaks in real life (a trailing slash on the gateway's allowed audience) and show the diagnosis.
In between, the interactive path: an MCP client (the MCP Python SDK's) registers itself, a test
user logs in and consents, and the client lists tools through each gateway (a gateway's targets'
tools, as the user's role may call them); the user without a role is refused, and the refusal is
diagnosed from the token."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from offline.engine import ROOT
from offline.plan import make_plan
from sandbox.sandbox import Sandbox, SandboxError, SandboxSpec, owner_plan, spec_from_plan
from verify.checks import Check, Target, run_all


def _run(title: str, spec: SandboxSpec, call_tools: bool = False) -> list[Check]:
    print(f"\n== {title}")
    with Sandbox(spec):
        checks = run_all(Target.from_outputs(spec.outputs), call_tools=call_tools)
    for c in checks:
        print(c.line())
    passed = sum(c.ok for c in checks)
    print(f"verify: {passed} passed, {len(checks) - passed} failed")
    return checks


def _interactive(spec: SandboxSpec) -> bool:
    """The interactive path through every gateway, as the MCP User and as the user without a role."""
    import asyncio

    import httpx2

    from verify.checks import diagnose_refusal, gateway_rules
    from verify.interactive import MemoryStorage, Person, list_tools, provider_for

    print("\n== interactive: an MCP client registers (DCR), a person logs in and consents, tools/list")
    # The SDK logs each failed flow with its whole traceback; the demo says the cause in a line.
    logging.getLogger("mcp.client.auth").setLevel(logging.CRITICAL)
    ok = True
    with Sandbox(spec) as sandbox, httpx2.Client(timeout=5) as http:
        jwks = http.get(spec.issuer + ".well-known/jwks.json").json()
        for name, gw in spec.outputs["gateways"].items():
            # MCP User and MCP Admin list what their roles may call (AgentCore Policy filters tools/list).
            for username in ("user@mcp.test", "admin@mcp.test", "norole@mcp.test"):
                user = sandbox.issuer.users[username]
                storage = MemoryStorage()
                person = Person(user.username, user.password)
                failure = ""
                try:
                    tools = asyncio.run(list_tools(gw["gatewayUrl"], provider_for(gw["gatewayUrl"], person, storage)))
                except BaseException as e:  # noqa: BLE001 - the SDK wraps the gateway's 401 in task groups
                    tools, failure = None, _leaf(e)
                roles = ", ".join(user.roles) or "no role"
                if tools is not None:
                    print(f"✓ {name}: {username} ({roles}): {len(tools)} tool(s): {', '.join(tools)}")
                    ok = ok and bool(user.roles)
                    continue
                token = storage.tokens.access_token if storage.tokens else ""
                cause, fix = (
                    diagnose_refusal(http, gw["resourceUrl"], token, gateway_rules(spec.issuer, gw), jwks)
                    if token
                    else (
                        f"no token was issued: {failure}",
                        "check the tenant's domain-level connection (mcpauth:tenant.connection) and DCR",
                    )
                )
                print(f"✗ {name}: {username} ({roles}): refused\n    cause: {cause}\n    fix:   {fix}")
                ok = ok and not user.roles
    return ok


def _leaf(e: BaseException) -> str:
    """The innermost error of the SDK's exception groups, in one line (an error page's tags dropped)."""
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", str(e)).split())
    return f"{type(e).__name__}: {text[:200]}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make demo")
    ap.add_argument("--stack", default="dev")
    ap.add_argument("--stack-dir", type=Path, default=ROOT, help="where Pulumi.<stack>.yaml is")
    args = ap.parse_args(argv)
    plan = make_plan(args.stack, stack_dir=args.stack_dir)
    if plan.failed:
        print(f"demo: the plan of {args.stack} fails its wiring or policies; run `make plan STACK={args.stack}`")
        return 1
    owner = owner_plan(plan, args.stack_dir)
    try:
        spec = spec_from_plan(plan, owner)
    except SandboxError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 2
    print(
        f"demo: stack {args.stack}: {len(plan.wiring)} gateway(s), sandbox on 127.0.0.1"
        + (f"; the tenant as its owner {owner.stack} sets it up" if owner else "")
    )
    # Gateways with targets: a granted tool called, one not granted refused by policy, and the
    # upstream shown only the gateway's own token (the sandbox's tools are harmless to call).
    good = _run("as planned: every check should pass", spec, call_tools=True)
    interactive_ok = _interactive(spec_from_plan(plan, owner))

    broken = spec_from_plan(plan, owner)
    first = next(iter(broken.gateways.values()))
    first.allowed_audiences = [a + "/" for a in first.allowed_audiences]
    # As `pulumi stack output` shows it once the stack is refreshed: the gateway resource reads its
    # live authorizer back into allowedAudiences.
    broken.outputs["gateways"][first.name]["allowedAudiences"] = list(first.allowed_audiences)
    bad = _run(f"broken: gateway {first.name!r} allows {first.allowed_audiences[0]!r} (a trailing slash)", broken)

    ok = all(c.ok for c in good) and interactive_ok and any(not c.ok and "audience" in c.cause for c in bad)
    print(
        "\ndemo: "
        + (
            "ok: the chain works (machine clients and people), the user without a role is refused, and the "
            "broken audience is caught and diagnosed"
            if ok
            else "FAILED"
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
