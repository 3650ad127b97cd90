"""The strings Auth0 and the gateway compare byte for byte, tested directly."""

import json
import re
from typing import Any

import pytest

from agentcore import awsmodel
from agentcore.awsmodel import partition_for
from components.iam import gateway_trust_policy
from rules.claims import permission_rules
from rules.naming import (
    gateway_physical_name,
    legacy_gateway_name,
    placeholder_audience,
    role_grants,
    slug,
)
from rules.urls import discovery_url, resource_url

ROLE = "arn:aws:iam::123456789012:role/gw"
DISCOVERY = "https://acme.us.auth0.com/.well-known/openid-configuration"

HOST = "https://tools-dev-abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    "given",
    [
        HOST,  # moto and some SDKs: no path
        HOST + "/",
        HOST + "/mcp",  # the real service
        HOST + "/mcp/",
        HOST + "/mcp//",
        HOST + "/mcp/mcp",
        HOST + "/mcp//mcp",
        HOST.replace("tools-dev", "TOOLS-dev") + "/mcp",  # hosts are case-insensitive
    ],
)
def test_resource_url_ends_in_exactly_one_mcp_and_no_slash(given: str) -> None:
    assert resource_url(given) == HOST + "/mcp"


@pytest.mark.parametrize("bad", ["http://x.example.com/mcp", "not a url", HOST + "/mcp?x=1", HOST + "/mcp#f"])
def test_resource_url_rejects_what_no_gateway_returns(bad: str) -> None:
    with pytest.raises(ValueError, match="gateway URL"):
        resource_url(bad)


def test_discovery_url_follows_the_issuer_with_or_without_slash() -> None:
    want = "https://login.example.com/.well-known/openid-configuration"
    assert discovery_url("https://login.example.com/") == want
    assert discovery_url("https://login.example.com") == want


GATEWAY_NAME = re.compile(r"([0-9a-zA-Z][-]?){1,48}")  # model: GatewayName


@pytest.mark.parametrize(
    ("stack", "gateway"),
    [
        ("dev", "tools"),
        ("org/prod_eu.1", "tools"),
        ("s" * 90, "g" * 40),
        ("-_-", "x"),
        ("a" * 200, "b"),
        ("s" * 10, "g" * 38),  # the cut falls on the `-` between gateway and stack
    ],
)
def test_gateway_names_fit_the_service_model(stack: str, gateway: str) -> None:
    name = gateway_physical_name("mcpauth", stack, gateway)
    assert GATEWAY_NAME.fullmatch(name), name
    assert len(name) <= 48
    assert awsmodel.validate("CreateGateway", {"name": name, "roleArn": ROLE, "authorizerType": "NONE"}) == []


def test_gateway_names_are_readable_and_unique_per_project_stack_and_gateway() -> None:
    assert gateway_physical_name("mcpauth", "dev", "tools").startswith("tools-dev-")
    # The pair that read the same under the first release's `<gateway>-<stack>`:
    assert legacy_gateway_name("eu-prod", "tools") == legacy_gateway_name("prod", "tools-eu") == "tools-eu-prod"
    assert gateway_physical_name("mcpauth", "eu-prod", "tools") != gateway_physical_name("mcpauth", "prod", "tools-eu")
    names = {
        gateway_physical_name(p, s, g)
        for p in ("mcpauth", "fork")
        for s in ("dev", "prod", "eu-prod", "s" * 60, "s" * 61)
        for g in ("tools", "tools-eu", "docs", "g" * 40)
    }
    assert len(names) == 2 * 5 * 4
    assert gateway_physical_name("mcpauth", "dev", "tools") == gateway_physical_name("mcpauth", "dev", "tools")


def test_gateway_names_keep_what_the_user_wrote_and_use_every_character_aws_allows() -> None:
    """The name is part of every deployed gateway: a different derivation renames (replaces) them."""
    name = gateway_physical_name("mcpauth", "EU-X", "tools")
    assert re.fullmatch(r"tools-EU-X-[a-z2-7]{8}", name), name  # the stack as typed; a lower-case hash
    assert re.fullmatch(r"g{38}-[a-z2-7]{8}", gateway_physical_name("mcpauth", "s" * 10, "g" * 38))
    assert len(gateway_physical_name("mcpauth", "s" * 90, "g" * 40)) == 48


@pytest.mark.parametrize(
    ("stack", "gateway", "legacy"),
    [
        ("org/prod_eu.1", "tools", "tools-org-prod-eu-1"),
        ("Prod-X", "tools", "tools-Prod-X"),
        ("s" * 200, "tools", "tools-" + "s" * 94),
        ("s" * 200, "g" * 99, "g" * 99),  # cut on the `-`: none left at the end
    ],
)
def test_legacy_gateway_name_is_the_first_releases_derivation(stack: str, gateway: str, legacy: str) -> None:
    """`<gateway>-<stack>`, punctuation runs as one `-`, at most 100 characters: what an un-migrated
    stack's gateway is called, looked for so that it is not created a second time."""
    assert legacy_gateway_name(stack, gateway) == legacy


def test_the_placeholder_audience_is_per_gateway_and_no_resource_url() -> None:
    audience = placeholder_audience("tools")
    assert audience == "urn:mcpauth:pending-authorizer:tools" != placeholder_audience("docs")
    with pytest.raises(ValueError, match="not an https URL"):
        resource_url(audience)


@pytest.mark.parametrize(("text", "want"), [("MCP Admin", "mcp-admin"), (" read:tools! ", "read-tools"), ("::", "x")])
def test_slug_is_a_lower_case_pulumi_name_part(text: str, want: str) -> None:
    assert slug(text) == want


def test_partition_matches_botocores_partition_data() -> None:
    import boto3

    session = boto3.session.Session()
    regions = {r for p in session.get_available_partitions() for r in session.get_available_regions("ec2", p)}
    regions |= {"us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1", "cn-north-1", "us-gov-west-1"}
    for region in sorted(regions):
        assert partition_for(region) == session.get_partition_for_region(region), region


def test_trust_policy_admits_only_agentcore_in_this_account_and_region() -> None:
    doc = json.loads(gateway_trust_policy("123456789012", "eu-west-1"))
    assert doc["Version"] == "2012-10-17"  # the current IAM policy language
    (stmt,) = doc["Statement"]
    assert (stmt["Effect"], stmt["Action"]) == ("Allow", "sts:AssumeRole")
    assert stmt["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert stmt["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert stmt["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:bedrock-agentcore:eu-west-1:123456789012:*"
    # One text for one policy: the role's input is this string, so a new key order would be a diff.
    text = gateway_trust_policy("123456789012", "eu-west-1")
    assert text == json.dumps(doc, sort_keys=True) and text.index('"Statement"') < text.index('"Version"')
    china = json.loads(gateway_trust_policy("123456789012", "cn-north-1", partition_for("cn-north-1")))
    assert china["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"].startswith("arn:aws-cn:")


def test_permissions_without_colon_become_one_claim_rule_each_and_with_colon_an_allowed_scope() -> None:
    scopes, rules = permission_rules(["read:tools", "tools.execute", "admin"])
    assert scopes == ["read:tools"]
    assert [r["authorizingClaimMatchValue"]["claimMatchValue"] for r in rules] == [
        {"matchValueStringList": ["tools.execute"]},
        {"matchValueStringList": ["admin"]},
    ]
    assert {r["inboundTokenClaimName"] for r in rules} == {"permissions"}
    assert {r["inboundTokenClaimValueType"] for r in rules} == {"STRING_ARRAY"}
    assert {r["authorizingClaimMatchValue"]["claimMatchOperator"] for r in rules} == {"CONTAINS_ANY"}
    assert permission_rules([]) == ([], [])
    # Every value lands where the service model accepts it.
    jwt = {"discoveryUrl": DISCOVERY, "allowedAudience": ["https://x.example.com/mcp"], "allowedScopes": scopes}
    jwt["customClaims"] = rules
    request = {"name": "g", "roleArn": ROLE, "authorizerType": "CUSTOM_JWT"}
    request["authorizerConfiguration"] = {"customJWTAuthorizer": jwt}
    assert awsmodel.validate("CreateGateway", request) == []


def test_role_grants_are_one_per_role_and_scope_without_duplicates() -> None:
    assert role_grants({"A": ["x", "y", "x"], "B": ["y"]}) == [("A", "x"), ("A", "y"), ("B", "y")]


def test_component_names_round_trip_and_nothing_else_is_a_gateway() -> None:
    from rules.naming import api_component, client_component, gateway_component, gateway_of

    assert gateway_of(gateway_component("tools")) == "tools" == gateway_of(api_component("tools"))
    assert gateway_component("tools") == "gw-tools"  # part of every deployed URN: never changes silently
    assert api_component("tools") == "api-tools" and client_component("ci") == "client-ci"
    assert gateway_of(client_component("ci")) is None and gateway_of("tenant") is None


def test_gateway_names_differ_per_organization_and_stay_as_they_were_on_a_diy_backend() -> None:
    from rules.naming import qualified_stack

    base = gateway_physical_name("mcpauth", "dev", "tools")
    assert gateway_physical_name("mcpauth", "dev", "tools", "acme") != gateway_physical_name(
        "mcpauth", "dev", "tools", "globex"
    )
    assert gateway_physical_name("mcpauth", "dev", "tools", "acme") != base
    # A DIY backend reports `organization` for every stack: it tells nothing apart, so no change.
    assert gateway_physical_name("mcpauth", "dev", "tools", "organization") == base
    assert gateway_physical_name("mcpauth", "dev", "tools", None) == base
    assert qualified_stack("acme", "mcpauth", "dev") == "acme/mcpauth/dev"
    assert qualified_stack(None, "mcpauth", "dev") == "organization/mcpauth/dev"


# --- the deployer's policy -------------------------------------------------------------------------


def _allows(policy: dict[str, Any], action: str, resource: str) -> bool:
    """IAM's matching, for Allow statements with `*` and `?` wildcards (no conditions evaluated)."""
    from fnmatch import fnmatchcase

    for stmt in policy["Statement"]:
        actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
        resources = stmt["Resource"] if isinstance(stmt["Resource"], list) else [stmt["Resource"]]
        if any(fnmatchcase(action, a) for a in actions) and any(fnmatchcase(resource, r) for r in resources):
            return True
    return False


def test_pass_role_matches_the_role_pulumi_auto_names_for_each_gateway(dev_eval: Any) -> None:
    """The role is declared `gw-<gateway>-role` and gets Pulumi's random suffix: the PassRole
    pattern must match whatever suffix it gets, for every gateway of the stack."""
    from components.iam import deployer_policy
    from rules.naming import is_gateway_role
    from rules.types import IAM_ROLE

    policy = deployer_policy("111122223333")
    arns = [r.outputs["arn"] for r in dev_eval.of_type(IAM_ROLE)]
    assert arns
    real = "arn:aws:iam::111122223333:role/gw-tools-role-0a1b2c3"  # 7 random hex characters
    for arn in [*arns, real]:
        assert _allows(policy, "iam:PassRole", arn), arn
    assert is_gateway_role(real, "tools") and not is_gateway_role(real, "docs")
    assert not _allows(policy, "iam:PassRole", "arn:aws:iam::111122223333:role/admin")
    (passrole,) = [s for s in policy["Statement"] if s["Action"] == ["iam:PassRole"]]
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock-agentcore.amazonaws.com"}}


def test_the_preview_set_reads_only_and_assumes_the_configured_role() -> None:
    """A preview assumes aws:assumeRoles (pulumi-aws and our client both do) and reads the gateway
    and its tags in every diff."""
    from components.iam import deployer_policy

    chain = ("arn:aws:iam::111122223333:role/deploy-preview", "arn:aws:iam::111122223333:role/next")
    preview = deployer_policy("111122223333", assume_role_arns=chain, preview=True)
    assert _allows(preview, "sts:AssumeRole", chain[0])
    gateway = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:gateway/tools-dev-abc-0123456789"
    for action in ("bedrock-agentcore:GetGateway", "bedrock-agentcore:ListTagsForResource", "sts:GetCallerIdentity"):
        assert _allows(preview, action, gateway if action.startswith("bedrock") else "*"), action
    for action in (
        "bedrock-agentcore:UpdateGateway",
        "bedrock-agentcore:TagResource",
        "iam:PassRole",
        "iam:CreateRole",
    ):
        assert not _allows(preview, action, "*") and not _allows(preview, action, gateway), action
    assert not _allows(deployer_policy("111122223333", preview=True), "sts:AssumeRole", chain[0])


def test_the_deployer_may_call_every_operation_the_programs_agentcore_resources_need() -> None:
    """Each pulumi-aws AgentCore resource the program declares (a gateway's targets, its credential
    providers, its policy engine and policies) is created, read, updated and deleted through the
    operations of its name in the service model; the role's inline policy through IAM's
    Put/Get/DeleteRolePolicy; a credential provider's secret is created in Secrets Manager."""
    import botocore.loaders

    from rules.types import API_KEY_PROVIDER, IAM_ROLE, IAM_ROLE_POLICY, OAUTH2_PROVIDER
    from tests.components.test_targets_program import OPS, SEARCH, WEATHER, evaluate

    operations = set(
        botocore.loaders.Loader().load_service_model("bedrock-agentcore-control", "service-2")["operations"]
    )
    ev = evaluate([SEARCH, OPS, WEATHER])
    policy = deployer_policy_for_test()
    preview = deployer_policy_for_test(preview=True)
    types = {r.type for r in ev.resources if r.custom and r.type.startswith("aws:bedrock/agentcore")}
    assert {t.rsplit(":", 1)[-1] for t in types} == {
        "AgentcoreGatewayTarget",
        "AgentcoreOauth2CredentialProvider",
        "AgentcoreApiKeyCredentialProvider",
        "AgentcorePolicyEngine",
        "AgentcorePolicy",
    }
    for typ in types:
        noun = typ.rsplit(":", 1)[-1].removeprefix("Agentcore")
        for verb in ("Create", "Get", "Update", "Delete"):
            op = verb + noun
            assert op in operations, op
            assert _allows(policy, f"bedrock-agentcore:{op}", "*"), op
        assert _allows(preview, f"bedrock-agentcore:Get{noun}", "*"), noun
        assert not _allows(preview, f"bedrock-agentcore:Delete{noun}", "*"), noun
    assert "SynchronizeGatewayTargets" in operations
    assert _allows(policy, "bedrock-agentcore:SynchronizeGatewayTargets", "*")
    (role,) = [r for r in ev.of_type(IAM_ROLE)]
    assert ev.of_type(IAM_ROLE_POLICY)
    for action in ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"):
        assert _allows(policy, action, role.outputs["arn"]), action
    assert _allows(preview, "iam:GetRolePolicy", role.outputs["arn"])
    assert not _allows(preview, "iam:PutRolePolicy", role.outputs["arn"])
    for provider in [*ev.of_type(OAUTH2_PROVIDER), *ev.of_type(API_KEY_PROVIDER)]:
        secrets = provider.outputs.get("clientSecretArns") or provider.outputs.get("apiKeySecretArns")
        secret = secrets[0]["secretArn"]
        for action in ("secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"):
            assert _allows(policy, action, secret), (action, secret)
    assert _allows(policy, "bedrock-agentcore:CreateTokenVault", "*")


def deployer_policy_for_test(preview: bool = False) -> dict[str, Any]:
    from components.iam import deployer_policy

    return deployer_policy("111122223333", preview=preview)
