"""The repository root, stack config maps as Pulumi hands them to the program, and the plan's CLI:
shared by test modules (conftest.py sets the fixtures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stackconfig.model import ConfigError  # noqa: E402
from stackconfig.settings import load_settings  # noqa: E402


def make_config(gateways: list[dict[str, Any]] | None = None, **project: Any) -> dict[str, Any]:
    """A stack config map as Pulumi hands it to the program (structured values as JSON)."""
    cfg: dict[str, Any] = {
        "aws:region": "eu-west-1",
        "auth0:domain": "acme-test.eu.auth0.com",
        "mcpauth:gateways": json.dumps(gateways if gateways is not None else [{"name": "tools"}]),
    }
    for key, value in project.items():
        cfg[f"mcpauth:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return cfg


def sandbox_token(outputs: dict[str, Any], client: str) -> str:
    """A client-credentials token from a running sandbox's issuer, asked over HTTP as verify does."""
    import httpx2

    from verify.checks import request_token

    c = outputs["machineClients"][client]
    with httpx2.Client() as http:
        token, check = request_token(
            http,
            outputs["tokenEndpoint"],
            c["clientId"],
            outputs["machineClientSecrets"][client],
            audience=c["audience"],
        )
    assert token, check.line()
    return token


def problems(cfg: dict[str, Any], *secret_keys: str) -> list[str]:
    """The problems loading `cfg` reports, with `secret_keys` set as secrets (`pulumi config set --secret`)."""
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, "test", frozenset(secret_keys))
    return info.value.problems


def one_problem(cfg: dict[str, Any]) -> str:
    found = problems(cfg)
    assert len(found) == 1, found
    return found[0]


def plan_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`python -m offline.plan ARGS` (what `make plan` runs), in its own process, from `cwd` (the root,
    or a copy of the project)."""
    return subprocess.run([sys.executable, "-m", "offline.plan", *args], cwd=cwd, capture_output=True, text=True)
