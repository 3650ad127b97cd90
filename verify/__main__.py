"""`make verify STACK=<name>` / `python -m verify`: run every check against a deployed stack.

Inputs, in order of precedence:
  --outputs FILE     the stack outputs as JSON (`pulumi stack output --json --show-secrets`)
  --stack NAME       runs that command itself (needs the Pulumi CLI and the stack's backend)
  --issuer/--token-endpoint/--gateway-url/--api-identifier/--client-id with the secret in
                     MCPAUTH_CLIENT_SECRET (never a flag: flags end up in shell history and ps)
Exit 0 only when every check passes; 2 for unusable inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

from rules.urls import resource_url
from verify.checks import Target, run_all


def _resource_url(gateway_url: str) -> str:
    """The MCP resource URL of a gateway URL; plain http only for a gateway on loopback (the sandbox)."""
    if gateway_url.startswith(("http://127.0.0.1", "http://localhost")):
        return "http" + resource_url("https" + gateway_url[4:])[5:]
    return resource_url(gateway_url)


def _outputs_from_flags(a: argparse.Namespace) -> dict[str, Any]:
    missing = [f"--{k.replace('_', '-')}" for k in ("issuer", "gateway_url", "client_id") if not getattr(a, k)]
    if missing:
        raise SystemExit(f"verify: give --stack, --outputs, or all of {', '.join(missing)}")
    secret = os.environ.get("MCPAUTH_CLIENT_SECRET")
    if not secret:
        raise SystemExit("verify: set MCPAUTH_CLIENT_SECRET (the machine client's secret) in the environment")
    url = _resource_url(a.gateway_url)
    issuer = a.issuer if a.issuer.endswith("/") else a.issuer + "/"
    return {
        "issuer": issuer,
        "tokenEndpoint": a.token_endpoint or issuer + "oauth/token",
        "gateways": {
            "gateway": {
                "gatewayUrl": a.gateway_url,
                "resourceUrl": url,
                "apiIdentifier": a.api_identifier or url,
                "requiredPermissions": a.required_permission or [],
            }
        },
        "machineClients": {"client": {"gateway": "gateway", "clientId": a.client_id}},
        "machineClientSecrets": {"client": secret},
    }


def _outputs_from_stack(stack: str) -> dict[str, Any]:
    try:
        done = subprocess.run(
            ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except FileNotFoundError:
        raise SystemExit("verify: the Pulumi CLI is not on PATH; pass --outputs FILE or the flags instead") from None
    if done.returncode != 0:
        raise SystemExit(f"verify: `pulumi stack output` failed for stack {stack!r}: {done.stderr.strip()[:300]}")
    return dict(json.loads(done.stdout))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make verify", description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--stack")
    ap.add_argument("--outputs", help="stack outputs JSON file")
    ap.add_argument("--issuer")
    ap.add_argument("--token-endpoint")
    ap.add_argument("--gateway-url")
    ap.add_argument("--api-identifier")
    ap.add_argument("--client-id")
    ap.add_argument("--required-permission", action="append")
    ap.add_argument("--json", action="store_true", help="one JSON document")
    ap.add_argument(
        "--register",
        action="store_true",
        help="also register a client by DCR (it stays in the tenant: delete it afterwards) and check that "
        "/authorize as an MCP client reaches the login page",
    )
    ap.add_argument(
        "--show-claims", action="store_true", help="print each token's header and claims (never its signature)"
    )
    ap.add_argument(
        "--login",
        action="store_true",
        help="also run the whole interactive flow in a headless Chromium as the test user in "
        "MCPAUTH_TEST_USERNAME / MCPAUTH_TEST_PASSWORD (registers a client by DCR: delete it afterwards)",
    )
    ap.add_argument(
        "--call-tools",
        action="store_true",
        help="also call tools through gateways with targets: one each caller is granted (it runs: a real "
        "tool with placeholder arguments) and one it is not (it must be refused by policy)",
    )
    a = ap.parse_args(argv)
    login = None
    if a.login:
        username, password = os.environ.get("MCPAUTH_TEST_USERNAME"), os.environ.get("MCPAUTH_TEST_PASSWORD")
        if not username or not password:
            print(
                "verify: --login needs MCPAUTH_TEST_USERNAME and MCPAUTH_TEST_PASSWORD in the environment "
                "(a test user of the tenant, never a flag: flags end up in shell history)",
                file=sys.stderr,
            )
            return 2
        login = (username, password)
    try:
        if a.outputs:
            with open(a.outputs) as f:
                outputs = json.load(f)
        elif a.stack:
            outputs = _outputs_from_stack(a.stack)
        else:
            outputs = _outputs_from_flags(a)
        target = Target.from_outputs(outputs)
    except (OSError, ValueError) as e:
        print(f"verify: {e}", file=sys.stderr)
        return 2

    shown: list[dict[str, Any]] = []

    def show(name: str, doc: dict[str, Any]) -> None:
        shown.append({"client": name, **doc})
        if not a.json:
            print(f"-- token of {name} (header and claims; signature never shown)")
            print(json.dumps(doc, indent=2, sort_keys=True))

    checks = run_all(
        target, show_claims=show if a.show_claims else None, register=a.register, login=login, call_tools=a.call_tools
    )
    ok = all(c.ok for c in checks)
    if a.json:
        doc: dict[str, Any] = {"ok": ok, "checks": [c.__dict__ for c in checks]}
        if a.show_claims:
            doc["tokens"] = shown
        print(json.dumps(doc, indent=2))
    else:
        for c in checks:
            print(c.line())
        passed = sum(c.ok for c in checks)
        print(f"verify: {passed} passed, {len(checks) - passed} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
