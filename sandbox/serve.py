"""`make sandbox STACK=<name>`: the stack's sandbox on 127.0.0.1, in the foreground until interrupted.

Prints one JSON line first: the issuer, each gateway's URL, and the test users' names, roles and
passwords (made up at each start; the sandbox is loopback-only and holds no real secret). Any MCP
client can then be pointed at a gateway URL: it registers itself, and the login page is a plain
form with `username` and `password`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from offline.plan import make_plan
from offline.stackfile import StackFileError
from sandbox.sandbox import Sandbox, SandboxError, spec_from_plan
from stackconfig.model import ConfigError


def announcement(sandbox: Sandbox) -> dict[str, Any]:
    out = sandbox.spec.outputs
    return {
        "issuer": sandbox.spec.issuer,
        "gateways": {name: gw["gatewayUrl"] for name, gw in out["gateways"].items()},
        "users": [
            {"username": u.username, "password": u.password, "roles": u.roles} for u in sandbox.issuer.users.values()
        ],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make sandbox")
    ap.add_argument("--stack", required=True)
    ap.add_argument("--stack-dir", default=".")
    a = ap.parse_args(argv)
    try:
        spec = spec_from_plan(make_plan(a.stack, stack_dir=Path(a.stack_dir), policies=lambda *_: []))
    except (StackFileError, ConfigError, SandboxError) as e:
        print(f"sandbox: {e}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Sandbox(spec) as sandbox:
        print(json.dumps(announcement(sandbox)), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
