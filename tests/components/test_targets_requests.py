"""Every AgentCore request the dev stack's targets and tool access would send, put through AWS's
service model (botocore's bedrock-agentcore-control model): what pulumi-aws is given, written as the
Create* request its provider sends (terraform-provider-aws maps these inputs member for member)."""

from __future__ import annotations

from typing import Any

import pytest

from agentcore import awsmodel
from offline.engine import Evaluation
from rules.types import API_KEY_PROVIDER, GATEWAY_TARGET, OAUTH2_PROVIDER, POLICY, POLICY_ENGINE
from stackconfig.targets import TargetConfig, target_request


def _requests(ev: Evaluation) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for r in ev.of_type(POLICY_ENGINE):
        out.append(("CreatePolicyEngine", {"name": r.inputs["name"], "description": r.inputs["description"]}))
    for r in ev.of_type(POLICY):
        out.append(
            (
                "CreatePolicy",
                {
                    "name": r.inputs["name"],
                    "description": r.inputs["description"],
                    "definition": {"cedar": {"statement": r.inputs["definition"]["cedar"]["statement"]}},
                    "policyEngineId": r.inputs["policyEngineId"],
                    "validationMode": r.inputs["validationMode"],
                },
            )
        )
    for r in ev.of_type(OAUTH2_PROVIDER):
        custom = dict(r.inputs["oauth2ProviderConfig"]["customOauth2ProviderConfig"])
        custom["clientSecret"] = "x" * 40  # the engine shows a secret as [secret]; its value is not the point
        request = {
            "name": r.inputs["name"],
            "credentialProviderVendor": r.inputs["credentialProviderVendor"],
            "oauth2ProviderConfigInput": {"customOauth2ProviderConfig": custom},
        }
        out.append(("CreateOauth2CredentialProvider", request))
    for r in ev.of_type(API_KEY_PROVIDER):
        out.append(("CreateApiKeyCredentialProvider", {"name": r.inputs["name"], "apiKey": "k" * 20}))
    return out


def test_every_policy_engine_policy_and_credential_provider_request_passes_the_model(dev_eval: Evaluation) -> None:
    requests = _requests(dev_eval)
    assert {op for op, _ in requests} == {"CreatePolicyEngine", "CreatePolicy", "CreateOauth2CredentialProvider"}
    for op, request in requests:
        assert awsmodel.validate(op, request) == [], (op, request["name"])


def test_every_declared_target_is_the_request_config_checked(dev_eval: Evaluation, dev_settings: Any) -> None:
    """What pulumi-aws is given for a target is what config checked against CreateGatewayTarget."""
    declared = {r.inputs["name"]: r for r in dev_eval.of_type(GATEWAY_TARGET)}
    targets: list[TargetConfig] = [t for gw in dev_settings.project.gateways for t in gw.targets]
    assert sorted(declared) == sorted(t.name for t in targets)
    for target in targets:
        request = target_request(target, "tools-dev-abcde12345", None)
        assert awsmodel.validate("CreateGatewayTarget", request) == []
        mcp = declared[target.name].inputs["targetConfiguration"]["mcp"]
        kind = {"mcpServer": "mcpServer", "lambda": "lambda", "openApiSchema": "openApiSchema"}[target.kind]
        assert set(mcp) == {kind}


@pytest.fixture(scope="module")
def dev_settings() -> Any:
    from offline.stackfile import load_stack
    from stackconfig.settings import load_settings
    from tests.conftest import ROOT

    return load_settings(dict(load_stack(ROOT, "dev").values), "dev")
