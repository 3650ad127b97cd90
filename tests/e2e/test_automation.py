"""The Pulumi CLI path through the Automation API: preview of the dev stack, the same with the policy
pack, and a throwaway stack's preview, up, verify and destroy.

Skipped here: this machine has no Pulumi CLI (it cannot be installed from the registries it
reaches) and no credentials. Not counted as coverage; the mock tests, `make plan` and the
sandbox are what ran.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.helpers.stack import ROOT, plan_cli

_missing = [
    what
    for what, ok in (
        ("the Pulumi CLI on PATH (not installable here)", shutil.which("pulumi")),
        ("AUTH0_CLIENT_SECRET (the deployer's Management API secret)", os.environ.get("AUTH0_CLIENT_SECRET")),
        (
            "AUTH0_DOMAIN and AUTH0_CLIENT_ID (a test tenant)",
            os.environ.get("AUTH0_DOMAIN") and os.environ.get("AUTH0_CLIENT_ID"),
        ),
        (
            "AWS credentials (AWS_ACCESS_KEY_ID or AWS_PROFILE)",
            os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"),
        ),
    )
    if not ok
]
needs_cli_and_credentials = pytest.mark.skipif(bool(_missing), reason="needs " + "; ".join(_missing))


def copy_project(tmp_path, *ignore: str):
    """A copy of the project, so nothing a test sets (secret config) touches the repo's files."""
    work = tmp_path / "project"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns("venv", "node_modules", ".git", "*.pyc", *ignore))
    if (ROOT / "venv").exists():
        (work / "venv").symlink_to(ROOT / "venv")
    return work


@needs_cli_and_credentials
def test_preview_of_the_dev_stack_with_a_local_backend(tmp_path) -> None:
    from pulumi import automation as auto

    work = copy_project(tmp_path)
    backend = tmp_path / "state"
    backend.mkdir()
    env = {
        "PULUMI_BACKEND_URL": f"file://{backend}",
        "PULUMI_CONFIG_PASSPHRASE": "mcpauth-test-only",
    }
    ws = auto.LocalWorkspaceOptions(env_vars=env, work_dir=str(work))
    stack = auto.create_or_select_stack("dev", work_dir=str(work), opts=ws)
    stack.set_config("auth0:clientSecret", auto.ConfigValue(os.environ["AUTH0_CLIENT_SECRET"], secret=True))
    result = stack.preview()
    assert result.change_summary.get("create", 0) > 0


@needs_cli_and_credentials
def test_preview_with_the_policy_pack(tmp_path) -> None:
    """`pulumi preview --policy-pack policies` on the dev stack, through the Automation API, with
    the pack config `make preview` writes."""
    from pulumi import automation as auto

    work = copy_project(tmp_path)
    env = {"PULUMI_BACKEND_URL": f"file://{tmp_path}", "PULUMI_CONFIG_PASSPHRASE": "mcpauth-test-only"}
    config = work / ".policy-config.dev.json"
    done = plan_cli("--stack", "dev", "--policy-config", cwd=work)
    assert done.returncode == 0, done.stderr
    config.write_text(done.stdout)
    stack = auto.create_or_select_stack("dev", work_dir=str(work), opts=auto.LocalWorkspaceOptions(env_vars=env))
    stack.set_config("auth0:clientSecret", auto.ConfigValue(os.environ["AUTH0_CLIENT_SECRET"], secret=True))
    result = stack.preview(policy_packs=[str(work / "policies")], policy_pack_configs=[str(config)])
    assert result.change_summary.get("create", 0) > 0


@needs_cli_and_credentials
def test_throwaway_stack_preview_up_verify_destroy(tmp_path) -> None:
    """The whole life of a stack against a real tenant and account: preview, up, verify, destroy.
    Uses a local file backend and a fixed passphrase; the stack name is unique per run, and the
    destroy runs even when a step before it fails."""
    import json
    import time

    from pulumi import automation as auto

    from verify.checks import Target, run_all

    work = copy_project(tmp_path, "Pulumi.*.yaml")
    backend = tmp_path / "state"
    backend.mkdir()
    env = {"PULUMI_BACKEND_URL": f"file://{backend}", "PULUMI_CONFIG_PASSPHRASE": "mcpauth-test-only"}
    name = f"it{int(time.time())}"
    stack = auto.create_stack(name, work_dir=str(work), opts=auto.LocalWorkspaceOptions(env_vars=env))
    stack.set_all_config(
        {
            "aws:region": auto.ConfigValue(os.environ.get("AWS_REGION", "us-east-1")),
            "auth0:domain": auto.ConfigValue(os.environ["AUTH0_DOMAIN"]),
            "auth0:clientId": auto.ConfigValue(os.environ["AUTH0_CLIENT_ID"]),
            "auth0:clientSecret": auto.ConfigValue(os.environ["AUTH0_CLIENT_SECRET"], secret=True),
            # A throwaway test must not take over the tenant's settings.
            "mcpauth:tenant": auto.ConfigValue(json.dumps({"manage": False})),
            "mcpauth:gateways": auto.ConfigValue(json.dumps([{"name": "it", "requiredPermissions": ["read:tools"]}])),
            "mcpauth:machineClients": auto.ConfigValue(
                json.dumps([{"name": "it-smoke", "gateway": "it", "scopes": ["read:tools"]}])
            ),
        }
    )
    try:
        assert stack.preview().change_summary.get("create", 0) > 0
        up = stack.up()
        outputs = {k: v.value for k, v in up.outputs.items()}
        checks = run_all(Target.from_outputs(outputs))
        assert all(c.ok for c in checks), [c.line() for c in checks if not c.ok]
    finally:
        stack.destroy()
        stack.workspace.remove_stack(name)
