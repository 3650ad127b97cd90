"""The post-login Action as declared under mocks (its JavaScript is tested by node --test)."""

from __future__ import annotations

import json

import pytest

from offline.engine import Evaluation
from rules.types import under_targets
from stackconfig.model import ConfigError
from stackconfig.settings import load_settings
from tests.helpers.stack import ROOT, make_config

ACTION = "auth0:index/action:Action"
BINDING = "auth0:index/triggerAction:TriggerAction"


def mcpauth_config(action) -> dict:
    (secret,) = [s for s in action.inputs["secrets"] if s["name"] == "MCPAUTH_CONFIG"]
    return json.loads(secret["value"])


def test_the_action_deploys_the_repo_file_on_node22(dev_eval: Evaluation) -> None:
    (action,) = dev_eval.of_type(ACTION)
    assert action.inputs["code"] == (ROOT / "actions" / "post-login.js").read_text()
    assert action.inputs["runtime"] == "node22"
    assert action.inputs["deploy"] is True
    assert action.inputs["supportedTriggers"] == {"id": "post-login", "version": "v3"}


def test_the_binding_is_one_post_login_binding_declared_after_the_action(dev_eval: Evaluation) -> None:
    (action,) = dev_eval.of_type(ACTION)
    (binding,) = dev_eval.of_type(BINDING)
    assert binding.inputs["trigger"] == "post-login"
    assert binding.inputs["actionId"] == action.id
    # Ordered after the Action by its input, which is the Action's output (no depends_on needed).
    assert binding.property_dependencies["actionId"] == [action.urn]
    assert dev_eval.of_type("auth0:index/triggerActions:TriggerActions") == []


def test_the_action_config_names_exactly_this_stacks_apis(dev_eval: Evaluation) -> None:
    (action,) = dev_eval.of_type(ACTION)
    cfg = mcpauth_config(action)
    # The gateways' APIs; an upstream's API (a target's) is the gateway's business, not users'.
    apis = sorted(
        r.inputs["identifier"]
        for r in dev_eval.of_type("auth0:index/resourceServer:ResourceServer")
        if not under_targets(r.urn)
    )
    assert cfg["audiences"] == apis
    assert cfg["namespace"] == "https://mcp.example.com/"
    assert cfg["claims"] == ["department", "org_id", "org_name", "roles"]
    assert cfg["adminEmailDomain"] is None and cfg["elevatedPermissions"] == []
    assert cfg["idToken"] is False


def test_claims_config_reaches_the_action(evaluate) -> None:
    ev = evaluate(
        make_config(
            tenant={
                "claimsNamespace": "https://claims.acme.com",
                "claims": {
                    "include": ["roles"],
                    "adminEmailDomain": "Admin.Acme.com",
                    "elevatedPermissions": ["admin", "write:resources"],
                    "idToken": True,
                    "extraAudiences": ["https://other.gateway.example.com/mcp"],
                },
            }
        )
    )
    cfg = mcpauth_config(ev.of_type(ACTION)[0])
    assert cfg["namespace"] == "https://claims.acme.com/"
    assert cfg["claims"] == ["roles"]
    assert cfg["adminEmailDomain"] == "admin.acme.com"
    assert cfg["elevatedPermissions"] == ["admin", "write:resources"]
    assert cfg["idToken"] is True
    # Claims only: an API no stack of this tenant manages never gets the default role.
    assert cfg["extraAudiences"] == ["https://other.gateway.example.com/mcp"]
    assert "https://other.gateway.example.com/mcp" not in cfg["audiences"] and len(cfg["audiences"]) == 1


def test_no_action_when_another_stack_owns_the_tenant(evaluate) -> None:
    ev = evaluate(make_config(tenant={"manage": False}))
    assert ev.of_type(ACTION) == [] and ev.of_type(BINDING) == []


@pytest.mark.parametrize(
    "claims, path, says",
    [
        ({"include": ["email"]}, "mcpauth:tenant.claims.include[0]", "'department'"),
        ({"adminEmailDomain": "@acme.com"}, "mcpauth:tenant.claims.adminEmailDomain", "bare email domain"),
        ({"adminEmailDomain": "https://acme.com"}, "mcpauth:tenant.claims.adminEmailDomain", "bare email domain"),
        (
            {"adminEmailDomain": "acme.com", "elevatedPermissions": ["root"]},
            "mcpauth:tenant.claims.elevatedPermissions[0]",
            "not a scope defined",
        ),
        ({"extraAudiences": ["https://x.example.com/mcp/"]}, "mcpauth:tenant.claims.extraAudiences", "trailing"),
        ({"idTokens": True}, "mcpauth:tenant.claims.idTokens", "accepted keys here: include"),
    ],
)
def test_bad_claims_config_names_its_key(claims: dict, path: str, says: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(make_config(tenant={"claims": claims}), "t")
    (msg,) = info.value.problems
    assert msg.startswith(path + ":") and says in msg, msg


def _gateways(n: int) -> list[dict[str, str]]:
    return [{"name": f"tools-{i:02d}"} for i in range(n)]


def test_an_action_config_over_auth0s_secret_limit_is_refused_before_anything_is_declared(evaluate) -> None:
    """Auth0 refuses an Action secret value over 4,096 characters (Actions limitations); the config
    lists every API identifier, so about 39 gateways fill it."""
    import pulumi

    with pytest.raises(pulumi.RunError) as info:
        evaluate(make_config(_gateways(40), tenant={"defaultRole": "MCP User"}))
    msg = str(info.value)
    assert "MCPAUTH_CONFIG" in msg and "4,096 characters" in msg and "40 here" in msg, msg
    assert "mcpauth:gateways" in msg and "extraAudiences" in msg


def test_the_check_before_declaring_counts_what_will_be_deployed(evaluate) -> None:
    """The estimate made before anything exists is the deployed value's length exactly (a new
    gateway's URL is as long as AWS will make it), so a stack just under the limit deploys."""
    from components.program import estimated_action_config
    from stackconfig.settings import load_settings

    config = make_config(_gateways(37), tenant={"defaultRole": "MCP User"})
    ev = evaluate(config)
    deployed = next(s["value"] for s in ev.of_type(ACTION)[0].inputs["secrets"] if s["name"] == "MCPAUTH_CONFIG")
    assert len(deployed) <= 4096
    assert len(estimated_action_config(load_settings(config, "test"), "mcpauth")) == len(deployed)


def test_team_stacks_apis_over_the_limit_fail_with_the_cause() -> None:
    from components.action import ActionConfigTooLong, _checked, action_config

    apis = [
        f"https://team-{i:02d}-gateway-abcdefghij.gateway.bedrock-agentcore.eu-west-1.amazonaws.com/mcp"
        for i in range(45)
    ]
    with pytest.raises(ActionConfigTooLong, match=r"over Auth0's limit of 4,096 characters"):
        _checked(action_config("https://mcp.example.com/", apis, [], None, [], False))
    assert len(_checked(action_config("https://mcp.example.com/", apis[:30], [], None, [], False))) <= 4096


def test_the_offline_plan_fails_on_a_config_auth0_would_refuse(tmp_path) -> None:
    import shutil

    import yaml

    from tests.conftest import plan_cli

    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    doc["config"]["mcpauth:gateways"] = _gateways(45)
    doc["config"].pop("mcpauth:machineClients", None)
    doc["config"]["mcpauth:tenant"].pop("defaultAudience", None)
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc))
    done = plan_cli("--stack", "dev", "--stack-dir", str(tmp_path))
    assert done.returncode != 0
    assert "over Auth0's limit of 4,096 characters" in done.stderr, done.stderr
