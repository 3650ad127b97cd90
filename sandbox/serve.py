"""`make sandbox STACK=<name>`: the stack's sandbox on 127.0.0.1, in the foreground until interrupted.

Prints one JSON line first: the issuer, each gateway's URL, the test users' names, roles and
passwords (made up at each start; the sandbox is loopback-only and holds no real secret), each
machine client's id and gateway, each MCP server target's URL and where it is served, and
`outputs`: the path of a file holding the stack outputs as
`pulumi stack output --json --show-secrets` gives them, the machine clients' secrets included, so
that `make verify ARGS="--outputs <path>"` checks the sandbox. Those secrets go to that file only
(owner-only, removed when the sandbox stops), never to stdout or stderr: they are made up at start
and good only against this loopback process, but a JSON line ends up in terminals, CI logs and
scrollback, and a path does not. Any MCP client can be pointed at a gateway URL: it registers
itself, and the login page is a plain form with `username` and `password`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from offline.plan import make_plan
from offline.stackfile import StackFileError
from sandbox.sandbox import Sandbox, SandboxError, owner_plan, spec_from_plan
from stackconfig.model import ConfigError


def announcement(sandbox: Sandbox, outputs_file: Path) -> dict[str, Any]:
    out = sandbox.spec.outputs
    return {
        "issuer": sandbox.spec.issuer,
        "gateways": {name: gw["gatewayUrl"] for name, gw in out["gateways"].items()},
        "users": [
            {"username": u.username, "password": u.password, "roles": u.roles} for u in sandbox.issuer.users.values()
        ],
        "machineClients": {
            name: {"clientId": c["clientId"], "gateway": c["gateway"]}
            for name, c in (out.get("machineClients") or {}).items()
        },
        # Each MCP server target: its configured URL (its tokens' `aud`) and where the sandbox serves it.
        "targets": {
            gw.name: {t.name: {"url": t.url, "servedAt": t.local_url} for t in gw.targets if t.kind == "mcpServer"}
            for gw in sandbox.spec.gateways.values()
            if any(t.kind == "mcpServer" for t in gw.targets)
        },
        "outputs": str(outputs_file),
    }


def write_outputs(outputs: dict[str, Any]) -> Path:
    """The stack outputs, secrets included, in a new file only its owner can read (mkstemp: 0600)."""
    fd, name = tempfile.mkstemp(prefix="mcpauth-sandbox-outputs-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(outputs, f, indent=2)
    return Path(name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make sandbox")
    ap.add_argument("--stack", required=True)
    ap.add_argument("--stack-dir", default=".")
    a = ap.parse_args(argv)
    try:
        plan = make_plan(a.stack, stack_dir=Path(a.stack_dir), policies=lambda *_: [])
        # A team stack's sandbox stands in for the whole tenant: its owner's connection, roles, Action.
        spec = spec_from_plan(plan, owner_plan(plan, Path(a.stack_dir)))
    except (StackFileError, ConfigError, SandboxError) as e:
        print(f"sandbox: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    outputs_file = write_outputs(spec.outputs)
    try:
        with Sandbox(spec) as sandbox:
            print(json.dumps(announcement(sandbox, outputs_file)), flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
    finally:
        outputs_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
