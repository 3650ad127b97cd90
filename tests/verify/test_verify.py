"""`make verify` against the sandbox: every check passing for the dev stack, then each failure of
the reference's troubleshooting table produced for real and diagnosed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from offline.plan import make_plan
from sandbox.sandbox import Sandbox, SandboxSpec, spec_from_plan
from tests.helpers.stack import sandbox_token
from verify import __main__ as cli
from verify.checks import Check, Target, check_jsonrpc, run_all

pytestmark = pytest.mark.slow  # sandboxes served on 127.0.0.1, make verify against them


@pytest.fixture(scope="module")
def dev_sandbox(dev_plan: Any) -> Iterator[SandboxSpec]:
    """The dev plan's sandbox as planned, for the tests that only read it (registering a client
    through DCR included, as anyone may): one start for them all."""
    with Sandbox(spec_from_plan(dev_plan)) as running:
        yield running.spec


def verify(spec: SandboxSpec) -> list[Check]:
    return run_all(Target.from_outputs(spec.outputs))


def failed(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok]


def test_every_check_passes_for_every_gateway_and_client(dev_sandbox: SandboxSpec) -> None:
    checks = verify(dev_sandbox)
    assert failed(checks) == []
    names = [c.name for c in checks]
    for gw in ("tools", "docs"):
        assert f"{gw}: protected resource metadata (root)" in names
        assert f"{gw}: protected resource metadata (path)" in names
        assert f"{gw}: MCP without a token" in names
        assert f"{gw}: wiring" in names
    for client, gw in (("smoke-tools", "tools"), ("indexer", "docs")):
        for check in (
            "token with audience",
            "token with resource",
            "token claims (audience)",
            "token claims (resource)",
            "MCP initialize + tools/list",
        ):
            assert f"{client} → {gw}: {check}" in names
    assert len(checks) == 25  # with the targets of tools: their tools listed, the upstream's tokens
    assert "issuer: metadata for MCP clients" in names
    mcp = next(c for c in checks if c.name == "smoke-tools → tools: MCP initialize + tools/list")
    # dev's tools gateway fronts its targets (sandbox/targets.py); what smoke-tools' grant allows.
    assert "search___find" in mcp.detail and "ops___delete_item" not in mcp.detail


def only(checks: list[Check], *, contains: str) -> list[Check]:
    bad = failed(checks)
    assert bad, "expected a failure"
    assert all(contains in (c.cause + c.detail) for c in bad), [c.line() for c in bad]
    return bad


def test_audience_with_a_trailing_slash_on_the_gateway(sandbox: Any) -> None:
    def slash(spec: SandboxSpec) -> None:
        gw = spec.gateways["tools"]
        gw.allowed_audiences = [a + "/" for a in gw.allowed_audiences]
        # As the stack outputs show it: the gateway resource reads its live authorizer back.
        spec.outputs["gateways"]["tools"]["allowedAudiences"] = list(gw.allowed_audiences)

    bad = {c.name: c for c in failed(verify(sandbox(slash)))}
    # The outputs already show it (the rule the pack and the plan apply), and the gateway refuses.
    assert "differs only by a trailing slash" in bad.pop("tools: wiring").detail
    assert set(bad) == {
        "smoke-tools → tools: MCP initialize + tools/list",
        "smoke-tools → tools: JSON-RPC tools/list",
    }
    assert all("audience-mismatch" in c.cause for c in bad.values())


def test_api_identifier_with_a_trailing_slash(sandbox: Any) -> None:
    def slash(spec: SandboxSpec) -> None:
        ident = spec.outputs["gateways"]["tools"]["apiIdentifier"]
        spec.apis[ident + "/"] = spec.apis.pop(ident)
        spec.outputs["gateways"]["tools"]["apiIdentifier"] = ident + "/"
        for c in spec.clients.values():
            if ident in c.grants:
                c.grants[ident + "/"] = c.grants.pop(ident)

    bad = failed(verify(sandbox(slash)))
    meta = [c for c in bad if "protected resource metadata" in c.name]
    assert len(meta) == 2 and all("trailing slash" in c.cause for c in meta)
    mcp = [c for c in bad if "MCP initialize" in c.name]
    assert mcp and "audience mismatch" in mcp[0].cause


def test_issuer_mismatch(sandbox: Any) -> None:
    spec = sandbox(lambda s: setattr(s, "discovery_issuer", "https://login.acme.com/"))
    bad = failed(verify(spec))
    disc = next(c for c in bad if c.name == "issuer: OIDC discovery")
    assert "another host" in disc.cause and "mcpauth:issuer" in disc.fix
    assert any("issuer-mismatch" in c.cause for c in bad if "MCP" in c.name)


def test_unknown_kid(sandbox: Any) -> None:
    bad = failed(verify(sandbox(lambda s: setattr(s, "sign_with_unpublished_key", True))))
    claims = [c for c in bad if ": token claims (" in c.name]
    assert len(claims) == 4 and all(c.detail == "unknown-kid" for c in claims)


def test_allowed_clients_gating(sandbox: Any) -> None:
    def gate(spec: SandboxSpec) -> None:
        spec.gateways["docs"].allowed_clients = [next(iter(spec.clients))]

    bad = failed(verify(sandbox(gate)))
    assert {c.name for c in bad} == {
        "indexer → docs: MCP initialize + tools/list",
        "indexer → docs: JSON-RPC tools/list",
    }
    # Diagnosed from the token (no client_id: Auth0 carries azp) and the stack, never from the
    # stand-in's reasons: its 401 says only error="invalid_token", as AgentCore's does.
    assert all("live authorizer differs from the stack" in c.cause for c in bad)
    assert all("allowedClients" in c.cause and "remove allowedClients" in c.fix for c in bad)


def test_client_not_authorized_for_the_api(sandbox: Any) -> None:
    def revoke(spec: SandboxSpec) -> None:
        for c in spec.clients.values():
            if c.name == "indexer":
                c.grants.clear()

    bad = failed(verify(sandbox(revoke)))
    assert {c.name for c in bad} == {"indexer → docs: token with audience", "indexer → docs: token with resource"}
    assert all("not authorized for the API" in c.cause and "ClientGrant" in c.fix for c in bad)


def test_grant_type_not_enabled(sandbox: Any) -> None:
    def disable(spec: SandboxSpec) -> None:
        for c in spec.clients.values():
            if c.name == "smoke-tools":
                c.grant_types = ["authorization_code"]

    bad = failed(verify(sandbox(disable)))
    assert {c.name for c in bad} == {
        "smoke-tools → tools: token with audience",
        "smoke-tools → tools: token with resource",
    }
    assert all("client_credentials grant type is not enabled" in c.cause for c in bad)


def test_resource_parameter_not_accepted_without_compatibility(sandbox: Any) -> None:
    bad = failed(verify(sandbox(lambda s: setattr(s, "resource_parameter_profile", "audience"))))
    assert {c.name.split(": ", 1)[1] for c in bad} == {"token with resource"}
    assert all("resource parameter profile" in c.cause for c in bad)


def test_a_token_asked_with_resource_for_another_api_fails_its_own_check(sandbox: Any) -> None:
    """A tenant default audience (the other gateway's) applied to a `resource` request: before,
    only the `audience` token was validated, so this passed."""

    def other_default(s: SandboxSpec) -> None:
        docs = s.outputs["gateways"]["docs"]["apiIdentifier"]
        s.default_audience = docs
        # smoke-tools may also get docs tokens, so Auth0 would issue the wrong one, not refuse.
        (smoke,) = [c for c in s.clients.values() if c.name == "smoke-tools"]
        smoke.grants[docs] = ["read:resources"]

    spec = sandbox(other_default)
    bad = failed(verify(spec))
    names = {c.name for c in bad}
    assert "smoke-tools → tools: token claims (resource)" in names
    assert "smoke-tools → tools: token claims (audience)" not in names
    (c,) = [c for c in bad if c.name == "smoke-tools → tools: token claims (resource)"]
    assert c.detail == "audience-mismatch"


@pytest.mark.parametrize(
    ("outputs", "says"),
    [
        ({"gateways": {"tools": {"resourceUrl": "https://x/mcp"}}}, "gateways.tools lacks apiIdentifier"),
        ({"gateways": {"tools": "x"}}, "gateways.tools lacks resourceUrl, apiIdentifier"),
        ({"gateways": [], "machineClients": {"c": {"gateway": "tools"}}}, "gateways is list"),
        ({"gateways": {}, "machineClients": {"c": {"gateway": "tools"}}}, "machineClients.c lacks clientId"),
    ],
)
def test_outputs_missing_a_key_are_a_clear_error(outputs: dict[str, Any], says: str) -> None:
    out = {"issuer": "https://a/", "tokenEndpoint": "https://a/oauth/token", **outputs}
    with pytest.raises(ValueError, match="stack outputs are not an mcpauth stack's") as info:
        Target.from_outputs(out)
    assert says in str(info.value)


def test_the_gateway_takes_any_case_of_bearer_and_refuses_two_authorization_headers(dev_sandbox: SandboxSpec) -> None:
    spec = dev_sandbox
    out = spec.outputs
    token = sandbox_token(out, "smoke-tools")
    url = out["gateways"]["tools"]["resourceUrl"]
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    accept = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    with httpx2.Client() as http:
        for scheme in ("bearer", "BEARER", "Bearer"):
            r = http.post(url, json=body, headers={**accept, "authorization": f"{scheme} {token}"})
            assert r.status_code != 401, (scheme, r.status_code)
        two = [*accept.items(), ("authorization", f"Bearer {token}"), ("authorization", "Bearer other")]
        r = http.post(url, json=body, headers=httpx2.Headers(two))
        assert r.status_code == 400 and 'error="invalid_request"' in r.headers["www-authenticate"]


def test_missing_required_permission(sandbox: Any) -> None:
    def require_admin(spec: SandboxSpec) -> None:
        from rules.claims import permission_rules

        spec.gateways["tools"].allowed_scopes, spec.gateways["tools"].custom_claims = permission_rules(["admin"])
        spec.outputs["gateways"]["tools"]["requiredPermissions"] = ["admin"]

    bad = failed(verify(sandbox(require_admin)))
    claims = next(c for c in bad if c.name == "smoke-tools → tools: token claims (audience)")
    assert claims.detail == "missing-permission" and "'admin'" in claims.cause
    assert any("missing-permission" in c.cause for c in bad if "MCP" in c.name)


def test_malformed_json_rpc(dev_sandbox: SandboxSpec) -> None:
    spec = dev_sandbox
    out = spec.outputs
    token = sandbox_token(out, "smoke-tools")
    with httpx2.Client() as http:
        url = out["gateways"]["tools"]["resourceUrl"]
        for body, code in (
            ({"method": "tools/list"}, "-32600"),
            ({"jsonrpc": "2.0", "id": 1}, "-32600"),
            ("{not json", "-32700"),
        ):
            c = check_jsonrpc(http, url, token, body)
            assert not c.ok and code in c.detail and "jsonrpc, id, method and params" in c.fix
        assert check_jsonrpc(http, url, token).ok


def test_a_json_rpc_error_reports_the_gateways_own_message() -> None:
    """-32600 is "Invalid Request" for any reason the server has (JSON-RPC 2.0 §5.1), not only a
    malformed body: the check says what the server said, whatever it was."""
    said = "Invalid Request: params.name 'nope' is not a tool of this gateway"

    def gateway(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(400, json={"jsonrpc": "2.0", "id": "1", "error": {"code": -32600, "message": said}})

    with httpx2.Client(transport=httpx2.MockTransport(gateway)) as http:
        c = check_jsonrpc(http, "https://gw.example.com/mcp", "token")
    assert not c.ok and "-32600" in c.detail
    assert said in c.cause


def test_an_unreachable_host_is_a_failed_check_not_a_traceback(sandbox: Any) -> None:
    spec = sandbox()
    gone = "http://127.0.0.1:9/mcp"
    spec.outputs["gateways"]["tools"].update(resourceUrl=gone, apiIdentifier=gone, allowedAudiences=[gone])
    checks = verify(spec)
    bad = [c for c in failed(checks) if c.name.startswith("tools:")]
    assert bad and all("unreachable" in c.detail for c in bad)


def test_plain_http_to_a_real_host_is_refused_before_any_request() -> None:
    target = Target(
        "http://acme.auth0.com/",
        "http://acme.auth0.com/oauth/token",
        {"g": {"resourceUrl": "https://x/mcp", "apiIdentifier": "https://x/mcp"}},
        {},
    )
    (c,) = run_all(target)
    assert not c.ok and "not https" in c.detail


# --- the command line


def test_cli_json_exit_codes_and_no_secret_in_output(dev_sandbox: SandboxSpec, tmp_path: Any, capsys: Any) -> None:
    spec = dev_sandbox
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(spec.outputs))
    assert cli.main(["--outputs", str(path), "--json", "--show-claims"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert doc["ok"] is True and len(doc["checks"]) == 25  # with tools' targets: listed, upstream tokens
    assert {t["client"] for t in doc["tokens"]} == {"smoke-tools", "indexer"}
    assert all(set(t) == {"client", "header", "claims"} for t in doc["tokens"])
    for secret in spec.outputs["machineClientSecrets"].values():
        assert secret not in out
    assert "eyJ" not in out  # no token (compact JWS) printed, only its decoded header and claims


def test_cli_fails_with_1_and_prints_cause_and_fix(sandbox: Any, tmp_path: Any, capsys: Any) -> None:
    spec = sandbox(lambda s: setattr(s, "sign_with_unpublished_key", True))
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(spec.outputs))
    assert cli.main(["--outputs", str(path)]) == 1
    out = capsys.readouterr().out
    assert "✗ smoke-tools → tools: token claims (audience): unknown-kid" in out
    assert "cause:" in out and "fix:" in out
    assert out.rstrip().splitlines()[-1].startswith("verify: ") and "failed" in out.rstrip().splitlines()[-1]


def test_cli_flags_take_the_secret_only_from_the_environment(
    dev_sandbox: SandboxSpec, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    spec = dev_sandbox
    out = spec.outputs
    args = [
        "--issuer",
        out["issuer"],
        "--token-endpoint",
        out["tokenEndpoint"],
        "--gateway-url",
        out["gateways"]["tools"]["gatewayUrl"],
        "--client-id",
        out["machineClients"]["smoke-tools"]["clientId"],
    ]
    monkeypatch.delenv("MCPAUTH_CLIENT_SECRET", raising=False)
    with pytest.raises(SystemExit, match="MCPAUTH_CLIENT_SECRET"):
        cli.main(args)
    monkeypatch.setenv("MCPAUTH_CLIENT_SECRET", out["machineClientSecrets"]["smoke-tools"])
    assert cli.main(args) == 0
    assert "verify: 13 passed, 0 failed" in capsys.readouterr().out


def test_cli_bad_inputs_exit_2(tmp_path: Any, capsys: Any) -> None:
    assert cli.main(["--outputs", str(tmp_path / "missing.json")]) == 2
    (tmp_path / "o.json").write_text(json.dumps({"issuer": "x"}))
    assert cli.main(["--outputs", str(tmp_path / "o.json")]) == 2
    assert "is this an mcpauth stack" in capsys.readouterr().err


def test_a_custom_domain_stack_gets_tokens_from_the_issuer_and_verifies() -> None:
    """prod issues on login.example.com: its token endpoint is there (a token asked of the
    canonical domain would carry the canonical `iss` and fail), and the whole chain passes."""
    plan = make_plan("prod")
    assert plan.evaluation.outputs["issuer"] == "https://login.example.com/"
    assert plan.evaluation.outputs["tokenEndpoint"] == "https://login.example.com/oauth/token"
    spec = spec_from_plan(plan)
    with Sandbox(spec):
        checks = verify(spec)
    assert checks and not failed(checks), [c.line() for c in failed(checks)]


def test_the_sandbox_refuses_an_output_on_a_host_it_does_not_stand_in_for() -> None:
    """Before the fix, prod's token endpoint stayed on mcpauth-prod.us.auth0.com and `make demo`
    posted a client secret there. Now any such output stops the sandbox before a request."""
    import dataclasses

    from sandbox.sandbox import SandboxError

    plan = make_plan("prod")
    outputs = {**plan.evaluation.outputs, "tokenEndpoint": "https://mcpauth-prod.us.auth0.com/oauth/token"}
    stale = dataclasses.replace(plan, evaluation=dataclasses.replace(plan.evaluation, outputs=outputs))
    with pytest.raises(
        SandboxError, match=re.escape("output tokenEndpoint is https://mcpauth-prod.us.auth0.com/oauth/token")
    ):
        spec_from_plan(stale)


def test_mcp_clients_metadata_pkce_and_registration(sandbox: Any, dev_sandbox: SandboxSpec) -> None:
    from verify.checks import check_client_metadata

    assert check_client_metadata({"code_challenge_methods_supported": ["S256"]}, False).ok
    bad = check_client_metadata({"code_challenge_methods_supported": ["plain"]}, None)
    assert not bad.ok and "MCP clients refuse" in bad.cause
    no_reg = check_client_metadata({"code_challenge_methods_supported": ["S256"]}, True)
    assert not no_reg.ok and no_reg.detail == "no registration_endpoint"
    ok = check_client_metadata(
        {"code_challenge_methods_supported": ["S256"], "registration_endpoint": "https://a/oidc/register"}, True
    )
    assert ok.ok and ok.detail == "PKCE S256; registration at https://a/oidc/register"
    # The dev stack turns DCR on; the sandbox issuer advertises it as Auth0 does.
    checks = verify(dev_sandbox)
    (c,) = [c for c in checks if c.name == "issuer: metadata for MCP clients"]
    assert c.ok and c.detail.endswith("/oidc/register")
    spec = sandbox(lambda s: setattr(s, "dynamic_registration", False))
    (c,) = [c for c in verify(spec) if c.name == "issuer: metadata for MCP clients"]
    assert not c.ok and "dynamic client registration is on in the stack" in c.cause


def test_register_creates_a_client_and_authorize_reaches_the_login_page(dev_sandbox: SandboxSpec) -> None:
    spec = dev_sandbox
    checks = run_all(Target.from_outputs(spec.outputs), register=True)
    assert failed(checks) == []
    names = [c.name for c in checks]
    assert "issuer: dynamic client registration (--register)" in names
    assert {"tools: /authorize as an MCP client (--register)", "docs: /authorize as an MCP client (--register)"} <= set(
        names
    )
    reg = next(c for c in checks if "registration" in c.name)
    assert "DELETE /api/v2/clients/" in reg.detail
    assert len(run_all(Target.from_outputs(spec.outputs))) == len(checks) - 3, "nothing registered without --register"


def test_authorize_without_a_domain_connection_fails_with_the_cause(sandbox: Any) -> None:
    spec = sandbox(lambda s: setattr(s, "domain_connection", False))
    bad = failed(run_all(Target.from_outputs(spec.outputs), register=True))
    assert {c.name for c in bad} == {
        "tools: /authorize as an MCP client (--register)",
        "docs: /authorize as an MCP client (--register)",
    }


def test_register_when_the_tenant_refuses_dcr(sandbox: Any) -> None:
    spec = sandbox(lambda s: setattr(s, "dynamic_registration", False))
    bad = failed(run_all(Target.from_outputs(spec.outputs), register=True))
    reg = [c for c in bad if "registration" in c.name]
    assert reg and "no registration_endpoint" in reg[0].detail and "dynamicClientRegistration" in reg[0].fix


def test_verify_login_without_the_test_user_in_the_environment_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    from verify.__main__ import main

    monkeypatch.delenv("MCPAUTH_TEST_USERNAME", raising=False)
    monkeypatch.delenv("MCPAUTH_TEST_PASSWORD", raising=False)
    assert main(["--outputs", "/nonexistent.json", "--login"]) == 2


def test_authorize_redirected_back_with_an_error_names_it(dev_sandbox: SandboxSpec) -> None:
    import httpx2

    from verify.checks import check_authorize, register_client

    spec = dev_sandbox
    with httpx2.Client() as http:
        client_id, _ = register_client(http, spec.issuer)
        assert client_id is not None
        c = check_authorize(http, spec.issuer, client_id, "tools", "https://elsewhere.example/mcp")
    assert not c.ok and c.detail == "redirected back with error=access_denied"
    assert c.cause == "Service not found: https://elsewhere.example/mcp" and "resource is honoured" in c.fix


def test_verify_names_a_wiring_mismatch_from_the_outputs_alone() -> None:
    from verify.checks import check_wiring

    ok = check_wiring("g", {"resourceUrl": "https://x/mcp", "apiIdentifier": "https://x/mcp"})
    assert ok.ok
    bad = check_wiring(
        "g",
        {"resourceUrl": "https://x/mcp", "apiIdentifier": "https://x/mcp", "allowedAudiences": ["https://y/mcp"]},
    )
    assert not bad.ok and "no Auth0 API has that identifier" in bad.detail
    slash = check_wiring("g", {"resourceUrl": "https://x/mcp", "apiIdentifier": "https://x/mcp/"})
    assert not slash.ok and "ends in '/'" in slash.detail and "differs only by a trailing slash" in slash.detail


@pytest.mark.slow  # a `make sandbox` process, logins through the post-login Action under Node
def test_make_verify_can_be_pointed_at_make_sandbox() -> None:
    """`make sandbox` names, in its JSON line, a file of the stack outputs with the machine clients'
    secrets (readable by its owner only, removed when it stops): `make verify ARGS="--outputs <it>"`
    then passes, and no client secret is printed on the way."""
    import os
    import stat
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import ROOT
    from tests.helpers.sandbox import make_sandbox

    with make_sandbox("--stack", "dev") as served:
        line, announced = served.line, served.announced
        path = Path(announced["outputs"])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        secrets = json.loads(path.read_text())["machineClientSecrets"]
        assert {"indexer", "smoke-tools"} <= set(secrets)
        assert sorted(announced["machineClients"]) == ["indexer", "smoke-tools"]
        search = announced["targets"]["tools"]["search"]
        assert search["url"] == "https://search.dev.example.com/mcp"
        assert search["servedAt"].startswith("http://127.0.0.1:")
        done = subprocess.run(
            [sys.executable, "-m", "verify", "--outputs", str(path), "--call-tools"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ},
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert "✓ smoke-tools → tools: upstream search never sees the caller's token" in done.stdout
        assert "✓ smoke-tools → tools: tools/call ops___delete_item (not granted): refused" in done.stdout
        for secret in secrets.values():
            assert secret not in line and secret not in done.stdout and secret not in done.stderr
        assert served.stop() == 0
        err = served.stderr()
    assert not path.exists(), "the outputs file outlives the sandbox"
    assert all(s not in err for s in secrets.values())


@pytest.mark.parametrize(
    ("servers", "ok"),
    [
        (["https://acme.us.auth0.com/"], True),
        (["https://other.us.auth0.com/", "https://acme.us.auth0.com/"], True),
        (["https://other.us.auth0.com/"], False),
        ([], False),
        (None, False),  # no authorization_servers at all
        ("https://acme.us.auth0.com/", False),  # a string, not RFC 9728's JSON array
        (["https://acme.us.auth0.com.evil.example/"], False),  # the issuer as a prefix only
        (["https://acme.us.auth0.com/tenant/"], False),
        (["http://acme.us.auth0.com/"], False),
    ],
)
def test_protected_resource_metadata_must_list_the_stacks_issuer(servers: Any, ok: bool) -> None:
    """The metadata's authorization_servers is where an MCP client goes for a token (RFC 9728 §2):
    metadata that does not name the stack's issuer fails the check, whatever else it gets right."""
    from verify.checks import check_metadata

    issuer = "https://acme.us.auth0.com/"
    resource = "https://gw.example.com/mcp"

    def gateway(request: httpx2.Request) -> httpx2.Response:
        doc: dict[str, Any] = {"resource": resource, "bearer_methods_supported": ["header"]}
        if servers is not None:
            doc["authorization_servers"] = servers
        return httpx2.Response(200, json=doc)

    gw = {"resourceUrl": resource, "apiIdentifier": resource}
    with httpx2.Client(transport=httpx2.MockTransport(gateway)) as http:
        checks = check_metadata(http, "tools", gw, issuer)
    assert len(checks) == 2  # the root and the path forms
    assert all(c.ok is ok for c in checks), [c.line() for c in checks]
    if not ok:
        assert all("lack the issuer" in c.detail and issuer in c.detail for c in checks)
