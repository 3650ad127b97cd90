"""A sandbox for a stack, from its offline plan: shared by the sandbox's tests and the e2e ones."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

import httpx2
import pytest
import yaml

from offline.plan import make_plan
from sandbox.sandbox import Sandbox, SandboxSpec, spec_from_plan
from tests.helpers.stack import ROOT
from verify.interactive import Person

REDIRECT = "http://127.0.0.1:9/callback"

FIXTURES = ROOT / "tests" / "fixtures" / "interactive"


def sandbox_spec(stack: str, stack_dir: Path | None = None) -> SandboxSpec:
    plan = make_plan(stack, stack_dir=stack_dir, policies=lambda *_: []) if stack_dir else make_plan(stack)
    return spec_from_plan(plan)


def stack_copy(directory: Path, stack: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """`directory` holding the project file and a copy of `stack`'s stack file with `edit` applied to
    its `config:` map: a stack as a user would change it."""
    shutil.copy(ROOT / "Pulumi.yaml", directory / "Pulumi.yaml")
    doc = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    edit(doc["config"])
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return directory


def register_client(sandbox: Sandbox) -> str:
    """A public client registered by DCR, as an MCP client registers itself."""
    answer = httpx2.post(
        sandbox.spec.issuer + "oidc/register",
        json={
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        },
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["client_id"])


def user_tokens(
    sandbox: Sandbox, username: str, gateway: str = "tools", scope: str = "openid offline_access", resource: bool = True
) -> dict[str, Any]:
    """A test user's token response for a gateway's API, as an MCP client gets it: registered by DCR,
    the login form and the consent page (verify.interactive.Person), the code exchanged with PKCE;
    `resource` (the API's identifier) asked for unless told not to."""
    client = register_client(sandbox)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    api = sandbox.spec.outputs["gateways"][gateway]["apiIdentifier"]
    params = {
        "response_type": "code",
        "client_id": client,
        "redirect_uri": REDIRECT,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": scope,
        **({"resource": api} if resource else {}),
    }
    user = sandbox.issuer.users[username]
    code = asyncio.run(
        Person(user.username, user.password).authorize(sandbox.spec.issuer + "authorize?" + urlencode(params))
    ).code
    answer = httpx2.post(
        sandbox.spec.issuer + "oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def user_token(sandbox: Sandbox, *args: Any, **kw: Any) -> str:
    """The access token of `user_tokens` (same arguments)."""
    return str(user_tokens(sandbox, *args, **kw)["access_token"])


STARTUP_SECONDS = 60


@dataclass
class Served:
    """A `make sandbox` process: the JSON line it printed once ready, and its stderr so far."""

    line: str
    proc: subprocess.Popen[str]
    errors: IO[str]

    @property
    def announced(self) -> dict[str, Any]:
        return dict(json.loads(self.line))

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read()

    def stop(self) -> int:
        """SIGTERM, as an interrupt would; SIGKILL to its process group if it has not exited. Its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        return self.proc.returncode


@contextmanager
def make_sandbox(*args: str) -> Iterator[Served]:
    """`make sandbox` (`python -m sandbox.serve ARGS`) as a process of its own, from its JSON line
    on; stopped when the block ends, whatever the test does."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox.serve", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
        served = Served("", proc, errors)
        try:
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], STARTUP_SECONDS)
            served.line = proc.stdout.readline() if ready else ""
            if not served.line:
                pytest.fail(f"make sandbox printed no line within {STARTUP_SECONDS} s: {served.stderr()[-2000:]}")
            yield served
        finally:
            served.stop()
