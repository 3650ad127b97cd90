"""The post-login Action as declared under mocks (its JavaScript is tested by node --test)."""

from __future__ import annotations

import json

import pytest

from offline.engine import Evaluation
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
    apis = sorted(r.inputs["identifier"] for r in dev_eval.of_type("auth0:index/resourceServer:ResourceServer"))
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
    assert "https://other.gateway.example.com/mcp" in cfg["audiences"] and len(cfg["audiences"]) == 2


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
