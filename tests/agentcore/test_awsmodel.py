"""agentcore.awsmodel: requests checked against the bedrock-agentcore-control model botocore ships."""

from __future__ import annotations

import copy
import datetime
import gzip
import importlib.util
import io
import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from agentcore.awsmodel import (
    ModelViolation,
    Violation,
    check,
    enforce_on,
    input_members,
    output_members,
    partition_for,
    validate,
)
from tests.helpers.stack import ROOT

ROLE = "arn:aws:iam::123456789012:role/gw"
DISCOVERY = "https://acme.us.auth0.com/.well-known/openid-configuration"
CLAIM_PATH = "authorizerConfiguration.customJWTAuthorizer.customClaims[0].authorizingClaimMatchValue.claimMatchValue"


@cache
def raw_model() -> dict[str, Any]:
    """The model file read independently of the module under test, to cross-check it."""
    spec = importlib.util.find_spec("botocore")
    assert spec is not None and spec.submodule_search_locations
    base = Path(next(iter(spec.submodule_search_locations))) / "data" / "bedrock-agentcore-control"
    (path,) = sorted(base.glob("*/service-2.json.gz"))[-1:]
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        model: dict[str, Any] = json.load(fh)
    return model


def pattern_of(shape: str) -> str:
    return str(raw_model()["shapes"][shape]["pattern"])


def claim(value: dict[str, Any], name: str = "permissions") -> dict[str, Any]:
    return {
        "inboundTokenClaimName": name,
        "inboundTokenClaimValueType": "STRING_ARRAY",
        "authorizingClaimMatchValue": {"claimMatchValue": value, "claimMatchOperator": "CONTAINS"},
    }


def gateway(**overrides: Any) -> dict[str, Any]:
    """A CreateGateway request the model accepts; overrides replace top-level members."""
    request: dict[str, Any] = {
        "name": "tools",
        "roleArn": ROLE,
        "protocolType": "MCP",
        "authorizerType": "CUSTOM_JWT",
        "authorizerConfiguration": {
            "customJWTAuthorizer": {
                "discoveryUrl": DISCOVERY,
                "allowedAudience": ["https://example.com/mcp"],
                "customClaims": [claim({"matchValueString": "read.tools"})],
            }
        },
    }
    request.update(overrides)
    return request


def jwt(request: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = request["authorizerConfiguration"]["customJWTAuthorizer"]
    return result


def paths(violations: list[Violation]) -> list[str]:
    return [v.path for v in violations]


# --- the claim rule that started it ------------------------------------------------------------


def test_the_baseline_request_is_valid() -> None:
    assert validate("CreateGateway", gateway()) == []
    check("CreateGateway", gateway())  # does not raise


def test_a_colon_in_a_match_value_string_is_exactly_one_pattern_violation() -> None:
    request = gateway()
    jwt(request)["customClaims"] = [claim({"matchValueString": "read:tools"})]
    (violation,) = validate("CreateGateway", request)
    assert violation.path == f"{CLAIM_PATH}.matchValueString"
    assert violation.value == "'read:tools'"
    assert str(violation) == (
        f"{CLAIM_PATH}.matchValueString: 'read:tools' does not match pattern [A-Za-z0-9_.-]+ (MatchValueString)"
    )
    assert pattern_of("MatchValueString") == "[A-Za-z0-9_.-]+"


def test_match_value_string_list_items_are_checked_with_their_index() -> None:
    request = gateway()
    jwt(request)["customClaims"] = [claim({"matchValueStringList": ["read.tools", "write:tools"]})]
    (violation,) = validate("CreateGateway", request)
    assert violation.path == f"{CLAIM_PATH}.matchValueStringList[1]"
    assert "does not match pattern" in violation.constraint


# --- gateway names: the model's pattern, matched whole ------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["a" * 48, "a" * 49, "a--b", "a-b", "tools-", "-tools", "tools_1", "Tools9", "", "a-" * 48, "a-" * 48 + "a"],
)
def test_gateway_name_follows_the_model_pattern_matched_whole(name: str) -> None:
    allowed = re.fullmatch(pattern_of("GatewayName"), name) is not None
    found = validate("CreateGateway", gateway(name=name))
    assert (found == []) == allowed, found
    if not allowed:
        assert paths(found) == ["name"]
        assert "([0-9a-zA-Z][-]?){1,48}" in str(found[0])


def test_gateway_name_edges_as_the_model_says() -> None:
    assert pattern_of("GatewayName") == "([0-9a-zA-Z][-]?){1,48}"
    assert validate("CreateGateway", gateway(name="a" * 48)) == []
    assert paths(validate("CreateGateway", gateway(name="a" * 49))) == ["name"]
    assert paths(validate("CreateGateway", gateway(name="a--b"))) == ["name"]
    # The pattern allows one dash after any character, the last one included.
    assert validate("CreateGateway", gateway(name="tools-")) == []
    assert paths(validate("CreateGateway", gateway(name="-tools"))) == ["name"]
    # A partial match is not enough: AWS anchors the pattern.
    assert paths(validate("CreateGateway", gateway(name="tools!"))) == ["name"]


# --- required, unknown, types -------------------------------------------------------------------


def test_missing_required_members_are_reported_at_every_depth() -> None:
    request = gateway()
    del request["roleArn"]
    del jwt(request)["discoveryUrl"]
    found = validate("CreateGateway", request)
    assert paths(found) == ["authorizerConfiguration.customJWTAuthorizer.discoveryUrl", "roleArn"]
    assert all("required" in v.constraint for v in found)
    assert "CustomJWTAuthorizerConfiguration" in found[0].constraint
    assert "CreateGatewayRequest" in found[1].constraint


def test_required_member_inside_a_list_item() -> None:
    request = gateway()
    del jwt(request)["customClaims"][0]["authorizingClaimMatchValue"]["claimMatchOperator"]
    assert paths(validate("CreateGateway", request)) == [
        "authorizerConfiguration.customJWTAuthorizer.customClaims[0].authorizingClaimMatchValue.claimMatchOperator"
    ]


def test_unknown_members_are_reported_at_every_depth() -> None:
    request = gateway(gatewayName="tools")
    jwt(request)["audience"] = ["x"]
    found = validate("CreateGateway", request)
    assert paths(found) == ["authorizerConfiguration.customJWTAuthorizer.audience", "gatewayName"]
    assert all("unknown member" in v.constraint for v in found)


@pytest.mark.parametrize(
    ("operation", "params", "path"),
    [
        ("CreateGateway", gateway(name=5), "name"),
        ("CreateGateway", gateway(tags=[("k", "v")]), "tags"),
        ("CreateGateway", gateway(authorizerConfiguration="CUSTOM_JWT"), "authorizerConfiguration"),
        ("CreateGateway", gateway(name=None), "name"),
        ("ListGateways", {"maxResults": "10"}, "maxResults"),
        ("ListGateways", {"maxResults": True}, "maxResults"),
        ("ListGateways", {"maxResults": 10.0}, "maxResults"),
    ],
)
def test_type_mismatches(operation: str, params: dict[str, Any], path: str) -> None:
    (violation,) = validate(operation, params)
    assert violation.path == path
    assert "expected" in violation.constraint


def test_a_list_given_as_a_string_is_a_type_mismatch_not_a_list_of_characters() -> None:
    request = gateway()
    jwt(request)["allowedAudience"] = "https://example.com/mcp"
    (violation,) = validate("CreateGateway", request)
    assert violation.path == "authorizerConfiguration.customJWTAuthorizer.allowedAudience"
    assert "expected list" in violation.constraint


def test_params_that_are_not_a_mapping() -> None:
    (violation,) = validate("GetGateway", ["x"])  # type: ignore[arg-type]
    assert violation == Violation("<params>", "has type list, expected structure (GetGatewayRequest)", "['x']")


# --- enum, lists, unions, maps, ranges -----------------------------------------------------------


def test_enum_violation() -> None:
    (violation,) = validate("CreateGateway", gateway(protocolType="HTTP"))
    assert violation.path == "protocolType"
    assert "MCP" in violation.constraint
    assert validate("CreateGateway", gateway(protocolType="MCP")) == []


def test_list_min_items() -> None:
    request = gateway()
    jwt(request)["allowedAudience"] = []
    (violation,) = validate("CreateGateway", request)
    assert violation.path == "authorizerConfiguration.customJWTAuthorizer.allowedAudience"
    assert "min 1" in violation.constraint


def test_union_with_two_members_set() -> None:
    request = gateway()
    jwt(request)["customClaims"] = [claim({"matchValueString": "a", "matchValueStringList": ["b"]})]
    (violation,) = validate("CreateGateway", request)
    assert violation.path == CLAIM_PATH
    assert "exactly one" in violation.constraint
    assert "matchValueString, matchValueStringList" in violation.constraint


def test_union_with_no_member_set() -> None:
    request = gateway()
    jwt(request)["customClaims"] = [claim({})]
    (violation,) = validate("CreateGateway", request)
    assert violation.path == CLAIM_PATH
    assert violation.constraint == "union must have exactly one member set, has 0: none (ClaimMatchValueType)"


def test_map_entry_count_bounds() -> None:
    fifty = {f"k{i}": "v" for i in range(50)}
    assert validate("CreateGateway", gateway(tags=fifty)) == []
    assert validate("CreateGateway", gateway(tags={})) == []
    (violation,) = validate("CreateGateway", gateway(tags=fifty | {"k50": "v"}))
    assert violation.path == "tags"
    assert "51 entries, above max 50" in violation.constraint


def test_map_keys_and_values_are_checked_against_their_shapes() -> None:
    assert re.fullmatch(pattern_of("TagKey"), "team!") is None
    found = validate("CreateGateway", gateway(tags={"team!": "ok", "env": "dev|prod", "": "x"}))
    assert [(v.path, v.value) for v in found] == [
        ('tags[""]', "key ''"),
        ('tags["env"]', "'dev|prod'"),
        ('tags["team!"]', "key 'team!'"),
    ]
    assert "below min 1 (TagKey)" in found[0].constraint
    assert "(TagValue)" in found[1].constraint
    assert "does not match pattern" in found[2].constraint and "(TagKey)" in found[2].constraint


def test_integer_range() -> None:
    assert validate("ListGateways", {"maxResults": 1}) == []
    assert validate("ListGateways", {"maxResults": 1000}) == []
    for bad, bound in ((0, "below min 1"), (1001, "above max 1000")):
        (violation,) = validate("ListGateways", {"maxResults": bad})
        assert violation.path == "maxResults" and bound in violation.constraint


def test_string_length_bounds() -> None:
    assert validate("CreateGateway", gateway(description="d" * 200)) == []
    (too_long,) = validate("CreateGateway", gateway(description="d" * 201))
    assert too_long.path == "description" and "201 characters, above max 200" in too_long.constraint
    (empty,) = validate("CreateGateway", gateway(description=""))
    assert "below min 1" in empty.constraint


def test_uri_members_are_checked_like_body_members() -> None:
    location = raw_model()["shapes"]["GetGatewayRequest"]["members"]["gatewayIdentifier"]["location"]
    assert location == "uri"
    assert validate("GetGateway", {"gatewayIdentifier": "tools-abcde12345"}) == []
    (violation,) = validate("GetGateway", {"gatewayIdentifier": "Tools"})
    assert violation.path == "gatewayIdentifier" and "pattern" in violation.constraint
    assert paths(validate("GetGateway", {})) == ["gatewayIdentifier"]


def test_unicode_property_patterns_python_re_cannot_compile() -> None:
    # PaymentsDescription is '[^\p{C}]*' (no control/format/unassigned characters): Java syntax.
    assert pattern_of("PaymentsDescription") == r"[^\p{C}]*"
    with pytest.raises(re.error):
        re.compile(pattern_of("PaymentsDescription"))

    def description(text: str) -> list[Violation]:
        return validate("UpdatePaymentManager", {"paymentManagerId": "x", "description": text})

    assert [v for v in description("Zahlungen für Agenten ✓ 支付") if v.path == "description"] == []
    for bad in ("tab\there", "nul\x00", "zero\u200bwidth"):
        assert [v.path for v in description(bad) if v.path == "description"] == ["description"], bad


# --- how violations are shown --------------------------------------------------------------------


def test_sensitive_values_are_never_shown() -> None:
    secret = "s3cr3t-" + "x" * 250
    assert raw_model()["shapes"]["GatewayDescription"].get("sensitive") is True
    (violation,) = validate("CreateGateway", gateway(description=secret))
    assert violation.path == "description"
    assert violation.value == "[sensitive]"
    for text in (str(violation), repr(violation)):
        assert "s3cr3t" not in text
    with pytest.raises(ModelViolation) as caught:
        check("CreateGateway", gateway(description=secret))
    assert "s3cr3t" not in str(caught.value)
    assert "[sensitive]" in str(caught.value)


def test_everything_inside_a_sensitive_map_is_hidden_keys_included() -> None:
    assert raw_model()["shapes"]["EnvironmentVariablesMap"].get("sensitive") is True
    request = {"agentRuntimeId": "x", "environmentVariables": {"API_TOKEN_hunter2": "hunter2" * 1000}}
    found = [v for v in validate("UpdateAgentRuntime", request) if v.path.startswith("environmentVariables")]
    assert [(v.path, v.value) for v in found] == [("environmentVariables[entry#1]", "[sensitive]")]
    assert "hunter2" not in "\n".join(map(str, found))


def test_long_values_are_truncated_to_80_characters() -> None:
    (violation,) = validate("CreateGateway", gateway(name="n" * 300))
    assert len(violation.value) == 80
    assert violation.value.startswith("'nnn") and violation.value.endswith("...")
    (short,) = validate("CreateGateway", gateway(name="a!"))
    assert short.value == "'a!'"


def test_violations_are_ordered_by_path_with_numeric_indexes() -> None:
    request = gateway(name="bad name", protocolType="HTTP")
    claims = [claim({"matchValueString": "ok"}) for _ in range(12)]
    claims[10] = claim({"matchValueString": "bad:ten"})
    claims[2] = claim({"matchValueString": "ok"}, name="bad name!")  # sorts after [10]'s member as text
    jwt(request)["customClaims"] = claims
    del request["roleArn"]
    found = paths(validate("CreateGateway", request))
    assert found == [
        "authorizerConfiguration.customJWTAuthorizer.customClaims[2].inboundTokenClaimName",
        f"authorizerConfiguration.customJWTAuthorizer.customClaims[10]{CLAIM_PATH.split('[0]')[1]}.matchValueString",
        "name",
        "protocolType",
        "roleArn",
    ]


def test_check_lists_every_violation_one_per_line_prefixed_by_the_operation() -> None:
    request = gateway(protocolType="HTTP")
    del request["roleArn"]
    with pytest.raises(ModelViolation) as caught:
        check("CreateGateway", request)
    lines = str(caught.value).splitlines()
    assert lines == [
        "CreateGateway: protocolType: 'HTTP' is not one of MCP (GatewayProtocolType)",
        "CreateGateway: roleArn: required member missing (CreateGatewayRequest)",
    ]
    assert caught.value.operation == "CreateGateway"
    assert paths(caught.value.violations) == ["protocolType", "roleArn"]


def test_validate_does_not_modify_the_request() -> None:
    request = gateway(tags={"bad key!": "v"})
    before = copy.deepcopy(request)
    validate("CreateGateway", request)
    assert request == before


def test_unknown_operation_is_an_error_not_a_silent_pass() -> None:
    with pytest.raises(ValueError, match="NoSuchOperation"):
        validate("NoSuchOperation", {})
    with pytest.raises(ValueError, match="no-such-service"):
        validate("GetGateway", {}, service="no-such-service")


# --- member lists from the model -----------------------------------------------------------------


def test_input_and_output_members() -> None:
    update = input_members("UpdateGateway")
    assert {"wafConfiguration", "domainOverride", "gatewayIdentifier", "authorizerConfiguration"} <= update
    assert update == frozenset(raw_model()["shapes"]["UpdateGatewayRequest"]["members"])
    response = output_members("GetGatewayResponse")
    assert "gatewayUrl" in response
    assert response == frozenset(raw_model()["shapes"]["GetGatewayResponse"]["members"])
    assert isinstance(update, frozenset) and isinstance(response, frozenset)
    with pytest.raises(ValueError, match=r"^bedrock-agentcore-control has no shape 'NoSuchShape'$"):
        output_members("NoSuchShape")
    with pytest.raises(
        ValueError, match=r"^bedrock-agentcore-control shape 'GatewayName' is a string, not a structure$"
    ):
        output_members("GatewayName")


# --- loading: no botocore import, the file found through find_spec -------------------------------


def test_importing_and_validating_does_not_import_botocore() -> None:
    code = (
        "import agentcore.awsmodel, sys; "
        "agentcore.awsmodel.validate('GetGateway', {'gatewayIdentifier': 'x'}); "
        "print('botocore' in sys.modules, 'boto3' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False", out.stderr


def test_plain_json_model_and_newest_api_version(tmp_path: Path) -> None:
    """A botocore without the .gz: the plain service-2.json of the newest version is read."""
    data = tmp_path / "site" / "botocore" / "data" / "toy"
    (tmp_path / "site" / "botocore").mkdir(parents=True)
    (tmp_path / "site" / "botocore" / "__init__.py").write_text("raise ImportError('must not be imported')\n")

    def write(version: str, pattern: str) -> None:
        model = {
            "operations": {"Put": {"name": "Put", "input": {"shape": "PutRequest"}}},
            "shapes": {
                "PutRequest": {"type": "structure", "required": ["id"], "members": {"id": {"shape": "Id"}}},
                "Id": {"type": "string", "pattern": pattern},
            },
        }
        (data / version).mkdir(parents=True)
        (data / version / "service-2.json").write_text(json.dumps(model))

    write("2019-01-01", "[a-z]+")
    write("2024-01-01", "[0-9]+")
    code = textwrap.dedent(
        """
        import sys
        from agentcore.awsmodel import validate, input_members
        print(input_members("Put", service="toy") == {"id"})
        print([v.path for v in validate("Put", {"id": "abc"}, service="toy")])
        print(validate("Put", {"id": "123"}, service="toy"))
        print("botocore" in sys.modules)
        """
    )
    env = {"PYTHONPATH": f"{tmp_path / 'site'}:{ROOT}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:4] == ["True", "['id']", "[]", "False"]


# --- a botocore of our own making, in this process ----------------------------------------------


class ToyBotocore:
    """A botocore package directory under tmp_path that `find_spec("botocore")` answers with."""

    def __init__(self, root: Path) -> None:
        self.package = root / "botocore"
        self.package.mkdir(parents=True)

    def model(self, version: str, patterns: dict[str, str], *, name: str = "service-2.json") -> None:
        members = {f: {"shape": f"P{i}"} for i, f in enumerate(patterns)}
        model = {
            "operations": {"Put": {"name": "Put", "input": {"shape": "PutRequest"}}},
            "shapes": {
                "PutRequest": {"type": "structure", "members": members},
                **{f"P{i}": {"type": "string", "pattern": p} for i, p in enumerate(patterns.values())},
            },
        }
        self.write(version, model, name=name)

    def write(self, version: str, model: dict[str, Any], *, name: str = "service-2.json") -> None:
        where = self.package / "data" / "toy" / version
        where.mkdir(parents=True, exist_ok=True)
        text = json.dumps(model)
        if name.endswith(".gz"):
            (where / name).write_bytes(gzip.compress(text.encode()))
        else:
            (where / name).write_text(text)


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ToyBotocore]:
    from importlib.machinery import ModuleSpec

    from agentcore import awsmodel

    made = ToyBotocore(tmp_path / "site")
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        if name != "botocore":
            return real(name, package)
        spec = ModuleSpec("botocore", None, origin=str(made.package / "__init__.py"), is_package=True)
        spec.submodule_search_locations = [str(made.package)]
        return spec

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    awsmodel._model.cache_clear()
    yield made
    awsmodel._model.cache_clear()


def toy_refuses(**values: str) -> list[str]:
    return [v.path for v in validate("Put", values, service="toy")]


def test_the_newest_api_version_is_read_whatever_order_the_directory_lists(toy: ToyBotocore) -> None:
    for version, pattern in (
        ("2021-06-01", "b+"),
        ("2024-01-01", "[0-9]+"),
        ("2019-01-01", "a+"),
        ("2023-12-31", "c+"),
    ):
        toy.model(version, {"id": pattern})
    assert toy_refuses(id="123") == []
    assert toy_refuses(id="bbb") == ["id"]


def test_a_gz_model_is_preferred_and_a_plain_json_one_is_read_without_it(toy: ToyBotocore) -> None:
    toy.model("2024-01-01", {"id": "[0-9]+"}, name="service-2.json.gz")
    toy.model("2024-01-01", {"id": "[a-z]+"})
    assert toy_refuses(id="123") == []
    (toy.package / "data" / "toy" / "2024-01-01" / "service-2.json.gz").unlink()
    from agentcore import awsmodel

    awsmodel._model.cache_clear()
    assert toy_refuses(id="abc") == []
    assert toy_refuses(id="123") == ["id"]


def test_where_botocore_s_data_is_looked_for(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from importlib.machinery import ModuleSpec

    from agentcore.awsmodel import _botocore_data

    spec = ModuleSpec("botocore", None, origin=str(tmp_path / "origin" / "__init__.py"), is_package=True)
    spec.submodule_search_locations = [str(tmp_path / "package")]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: spec)
    assert _botocore_data() == tmp_path / "package" / "data"  # the package directory wins over the origin
    spec.submodule_search_locations = None
    assert _botocore_data() == tmp_path / "origin" / "data"
    spec.origin = None
    with pytest.raises(ModuleNotFoundError, match=r"^cannot locate the botocore package directory$"):
        _botocore_data()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None)
    with pytest.raises(ModuleNotFoundError, match=r"^botocore is not installed: no service model to check against$"):
        _botocore_data()


@pytest.mark.parametrize(
    ("pattern", "accepted", "refused"),
    [
        # \P alone (no \p): the complement of a category
        (r"\P{C}+", ["Zahlung ✓"], ["tab\there", "zero\u200bwidth"]),
        # an escape that is not a property stays as it is; the one-letter form \pN
        (r"a\.\p{Lu}\pN", ["a.Ä5", "a.Q0"], ["a.ä5", "ab Q5", "a.QN"]),
        # a property inside a negated class
        (r"[^\p{N}]+", ["abc", "a-b"], ["a1", "٣"]),
        # a leading ] inside a class is a literal, and the class ends at the next ]
        (r"[]\p{Lu}]+x", ["]Qx", "QQx"], ["qx", "]Q", "1x"]),
        # after a negated class with a leading ], a property outside any class
        (r"[^]a]\p{L}", ["bQ", "1ä", "XQ"], ["]Q", "aQ", "b1"]),
        # a property after another member of a class, in a class that is not at the start
        (r"x[-\p{N}]+", ["x1-2", "x-"], ["xa", "x[", "x1]"]),
        (r"x[^]\p{L}]", ["x1", "x-"], ["x]", "xa", "x1]"]),
        # a class that ends, then a property outside it
        (r"[\p{L}\d]+-\p{N}", ["ab1-2"], ["ab1-x", "a b-2"]),
    ],
)
def test_java_unicode_properties_mean_what_they_mean_in_java(
    toy: ToyBotocore, pattern: str, accepted: list[str], refused: list[str]
) -> None:
    toy.model("2024-01-01", {"v": pattern})
    for value in accepted:
        assert toy_refuses(v=value) == [], (pattern, value)
    for value in refused:
        assert toy_refuses(v=value) == ["v"], (pattern, value)


def test_a_value_of_exactly_80_characters_is_shown_whole() -> None:
    (violation,) = validate("CreateGateway", gateway(name="n" * 78))
    assert violation.value == repr("n" * 78) and len(violation.value) == 80


# --- enforce_on: a moto server that refuses what AWS refuses --------------------------------------


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def make_client(url: str) -> Any:
    import boto3

    return boto3.client(
        "bedrock-agentcore-control",
        region_name="us-west-2",
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def gateway_names(client: Any) -> set[str]:
    return {g["name"] for g in client.list_gateways()["items"]}


def bad_claim_gateway(name: str) -> dict[str, Any]:
    request = gateway(name=name)
    jwt(request)["customClaims"] = [claim({"matchValueString": "read:tools"})]
    return request


def test_without_the_hook_moto_accepts_what_aws_refuses(moto_url: str) -> None:
    client = make_client(moto_url)
    client.create_gateway(**bad_claim_gateway("unhooked"))
    assert "unhooked" in gateway_names(client)


def test_with_the_hook_the_double_refuses_like_the_service(moto_url: str) -> None:
    from botocore.exceptions import ClientError

    client = make_client(moto_url)
    enforce_on(client)
    enforce_on(client)  # idempotent: one handler, one refusal
    with pytest.raises(ClientError) as caught:
        client.create_gateway(**bad_claim_gateway("hooked"))
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"{CLAIM_PATH}.matchValueString: 'read:tools' does not match pattern" in error["Error"]["Message"]
    assert caught.value.operation_name == "CreateGateway"
    assert isinstance(caught.value, client.exceptions.ValidationException)
    assert "hooked" not in gateway_names(client)

    created = client.create_gateway(**gateway(name="hooked-ok"))
    assert created["name"] == "hooked-ok"
    assert "hooked-ok" in gateway_names(client)


def test_the_hook_checks_what_botocore_does_not(moto_url: str) -> None:
    from botocore.exceptions import ClientError

    client = make_client(moto_url)
    enforce_on(client)
    with pytest.raises(ClientError) as caught:
        client.list_gateways(maxResults=5000)  # botocore checks min, never max
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "maxResults: 5000 is above max 1000" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as sensitive:
        client.create_gateway(**gateway(name="secretive", description="top-secret " * 30))
    assert "top-secret" not in str(sensitive.value)
    assert "secretive" not in gateway_names(client)


def shapes_model() -> dict[str, Any]:
    """A service with numbers, an enum and maps, plain and sensitive, and an operation with no input."""
    return {
        "operations": {"Put": {"name": "Put", "input": {"shape": "PutRequest"}}, "Ping": {"name": "Ping"}},
        "shapes": {
            "PutRequest": {
                "type": "structure",
                "members": {
                    "n": {"shape": "N"},
                    "secretN": {"shape": "SecretN"},
                    "e": {"shape": "SecretE"},
                    "m": {"shape": "SecretM"},
                    "plain": {"shape": "PlainM"},
                },
            },
            "N": {"type": "integer", "min": 1, "max": 10},
            "SecretN": {"type": "integer", "min": 1, "max": 10, "sensitive": True},
            "SecretE": {"type": "string", "enum": ["A", "B"], "sensitive": True},
            "SecretM": {"type": "map", "key": {"shape": "K"}, "value": {"shape": "V"}, "max": 1, "sensitive": True},
            "PlainM": {"type": "map", "key": {"shape": "K"}, "value": {"shape": "V"}, "max": 1},
            "K": {"type": "string", "pattern": "[a-z]+"},
            "V": {"type": "string"},
        },
    }


def test_numbers_enums_and_maps_show_the_value_unless_it_is_sensitive(toy: ToyBotocore) -> None:
    toy.write("2024-01-01", shapes_model())

    def found(**params: Any) -> list[tuple[str, str, str]]:
        return [(v.path, v.constraint, v.value) for v in validate("Put", params, service="toy")]

    assert found(n=0) == [("n", "is below min 1 (N)", "0")]
    assert found(n=11) == [("n", "is above max 10 (N)", "11")]
    assert found(secretN=0) == [("secretN", "is below min 1 (SecretN)", "[sensitive]")]
    assert found(secretN=11) == [("secretN", "is above max 10 (SecretN)", "[sensitive]")]
    assert found(e="C") == [("e", "is not one of A, B (SecretE)", "[sensitive]")]
    assert found(m={"a": "x", "b": "y"}) == [("m", "has 2 entries, above max 1 (SecretM)", "[sensitive]")]
    # A key that breaks its pattern, in a sensitive map: neither the key nor its position's text shows.
    assert found(m={"A1": "x"}) == [("m[entry#1]", "does not match pattern [a-z]+ (K)", "key [sensitive]")]
    assert found(plain={"a": "x", "b": "y"}) == [
        ("plain", "has 2 entries, above max 1 (PlainM)", "{'a': 'x', 'b': 'y'}")
    ]
    # A key that is not a string (a Python caller's mistake) is named as Python shows it.
    assert found(plain={5: "x"}) == [("plain[5]", "has type int, expected string (K)", "key 5")]
    assert found(plain={b"k": "x"}) == [("plain[b'k']", "has type bytes, expected string (K)", "key b'k'")]


def test_an_operation_with_no_input_has_no_members_and_check_reads_the_service_given(toy: ToyBotocore) -> None:
    toy.write("2024-01-01", shapes_model())
    assert input_members("Ping", service="toy") == frozenset()
    with pytest.raises(ModelViolation, match=r"Put: n: 0 is below min 1 \(N\)"):
        check("Put", {"n": 0}, service="toy")


def test_the_hook_answers_as_the_service_does_and_registers_once(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from agentcore import awsmodel

    client = make_client(moto_url)
    enforce_on(client)
    enforce_on(client)
    request = bad_claim_gateway("answered")
    with pytest.raises(ClientError) as caught:
        client.create_gateway(**request)
    (violation,) = validate("CreateGateway", request)
    expected = f"1 validation error(s) detected\nCreateGateway: {violation}"
    response = caught.value.response
    assert response["Error"] == {"Code": "ValidationException", "Message": expected}
    assert response["message"] == expected  # the restJson error body's own field
    # Nothing was sent, so nothing was retried.
    assert response["ResponseMetadata"] == {"HTTPStatusCode": 400, "HTTPHeaders": {}, "RetryAttempts": 0}

    calls: list[str] = []
    real = awsmodel.validate

    def counted(operation: str, params: Any, service: str = awsmodel.DEFAULT_SERVICE) -> list[Violation]:
        calls.append(operation)
        return real(operation, params, service)

    monkeypatch.setattr(awsmodel, "validate", counted)
    client.list_gateways(maxResults=5)
    assert calls == ["ListGateways"]  # enforce_on twice: one handler


def test_the_hook_checks_each_client_against_its_own_service(moto_url: str) -> None:
    import boto3
    from botocore.exceptions import ClientError

    sts = boto3.client(
        "sts",
        region_name="us-west-2",
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    enforce_on(sts)
    with pytest.raises(ClientError) as caught:
        sts.assume_role(RoleArn=ROLE, RoleSessionName="bad name!")  # botocore checks no pattern
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "AssumeRole: RoleSessionName: 'bad name!' does not match pattern" in str(caught.value)


def types_model() -> dict[str, Any]:
    """Every shape type botocore models have, plain and sensitive, for the walker's type checks."""
    members = {
        "i": "I",
        "l": "L",
        "f": "F",
        "d": "D",
        "b": "B",
        "t": "T",
        "blob": "Blob",
        "doc": "Doc",
        "odd": "Odd",
        "items": "Items",
        "secretItems": "SecretItems",
        "secretStruct": "SecretStruct",
        "secretL": "SecretL",
        "secretBlob": "SecretBlob",
    }
    return {
        "operations": {
            "Put": {"name": "Put", "input": {"shape": "PutRequest"}},
            "Ping": {"name": "Ping"},
            "Choose": {"name": "Choose", "input": {"shape": "Choice"}},
        },
        "shapes": {
            "PutRequest": {"type": "structure", "members": {m: {"shape": s} for m, s in members.items()}},
            "Choice": {"type": "structure", "union": True, "members": {"a": {"shape": "K"}, "b": {"shape": "K"}}},
            "I": {"type": "integer"},
            "L": {"type": "long", "max": 2**41},
            "F": {"type": "float", "min": 0.5},
            "D": {"type": "double", "max": 10},
            "B": {"type": "boolean"},
            "T": {"type": "timestamp"},
            "Blob": {"type": "blob", "min": 1, "max": 3},
            "Doc": {"type": "structure", "members": {}, "document": True},
            "Odd": {"type": "mystery"},
            "Items": {"type": "list", "member": {"shape": "K"}, "min": 1, "max": 2},
            "SecretItems": {"type": "list", "member": {"shape": "K"}, "min": 1, "max": 1, "sensitive": True},
            "SecretBlob": {"type": "blob", "max": 1, "sensitive": True},
            "SecretStruct": {"type": "structure", "members": {"k": {"shape": "K"}}, "sensitive": True},
            "SecretL": {"type": "long", "sensitive": True},
            "K": {"type": "string", "pattern": "[a-z]+"},
        },
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # numbers: a bool is not a number, an int is a float's too
        ({"i": 1, "l": 2**40, "f": 1, "d": 2.5}, []),
        ({"l": 2**42}, [("l", "is above max 2199023255552 (L)", "4398046511104")]),
        ({"f": 0.1}, [("f", "is below min 0.5 (F)", "0.1")]),
        ({"d": 11.5}, [("d", "is above max 10 (D)", "11.5")]),
        ({"l": "1"}, [("l", "has type str, expected long (L)", "'1'")]),
        ({"l": True}, [("l", "has type bool, expected long (L)", "True")]),
        ({"f": "1.5"}, [("f", "has type str, expected float (F)", "'1.5'")]),
        ({"d": None}, [("d", "has type NoneType, expected double (D)", "None")]),
        ({"b": True}, []),
        ({"b": 1}, [("b", "has type int, expected boolean (B)", "1")]),
        # timestamps as botocore takes them: datetime, epoch number, ISO 8601 or numeric text
        ({"t": datetime.datetime(2026, 1, 1)}, []),
        ({"t": 1767225600}, []),
        ({"t": "2026-01-01T00:00:00+00:00"}, []),
        ({"t": "1767225600"}, []),
        ({"t": "yesterday"}, [("t", "has type str, expected timestamp (T)", "'yesterday'")]),
        ({"t": [2026]}, [("t", "has type list, expected timestamp (T)", "[2026]")]),
        # blobs: bytes, or text counted in UTF-8 bytes; a file-like body is not measured
        ({"blob": b"abc"}, []),
        ({"blob": "éa"}, []),  # 2 characters, 3 bytes
        ({"blob": "éé"}, [("blob", "has 4 bytes, above max 3 (Blob)", "'éé'")]),
        ({"blob": "ééa"}, [("blob", "has 5 bytes, above max 3 (Blob)", "'ééa'")]),
        ({"blob": b""}, [("blob", "has 0 bytes, below min 1 (Blob)", "b''")]),
        ({"blob": io.BytesIO(b"far more than three bytes")}, []),
        ({"blob": 5}, [("blob", "has type int, expected blob (Blob)", "5")]),
        # a document is free-form; a type this module does not know is not checked
        ({"doc": {"anything": [1, {"goes": True}]}, "odd": object}, []),
        # lists: bounds in items, each item checked at its index
        ({"items": []}, [("items", "has 0 items, below min 1 (Items)", "[]")]),
        ({"items": ["a", "b", "c"]}, [("items", "has 3 items, above max 2 (Items)", "['a', 'b', 'c']")]),
        ({"items": ["a", "B1"]}, [("items[1]", "does not match pattern [a-z]+ (K)", "'B1'")]),
        # sensitive: the value is never shown, nor anything inside it
        ({"secretItems": ["a", "b"]}, [("secretItems", "has 2 items, above max 1 (SecretItems)", "[sensitive]")]),
        ({"secretItems": ["X"]}, [("secretItems[0]", "does not match pattern [a-z]+ (K)", "[sensitive]")]),
        ({"secretItems": []}, [("secretItems", "has 0 items, below min 1 (SecretItems)", "[sensitive]")]),
        ({"secretBlob": b"ab"}, [("secretBlob", "has 2 bytes, above max 1 (SecretBlob)", "[sensitive]")]),
        ({"secretStruct": {"k": "X"}}, [("secretStruct.k", "does not match pattern [a-z]+ (K)", "[sensitive]")]),
        ({"secretL": "x"}, [("secretL", "has type str, expected long (SecretL)", "[sensitive]")]),
    ],
)
def test_each_shape_type_is_checked_as_botocore_serializes_it(
    toy: ToyBotocore, params: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    toy.write("2024-01-01", types_model())
    assert [(v.path, v.constraint, v.value) for v in validate("Put", params, service="toy")] == expected


def test_a_union_input_names_the_request_itself(toy: ToyBotocore) -> None:
    toy.write("2024-01-01", types_model())
    assert [(v.path, v.constraint) for v in validate("Choose", {}, service="toy")] == [
        ("<params>", "union must have exactly one member set, has 0: none (Choice)")
    ]
    assert validate("Choose", {"a": "x"}, service="toy") == []


def test_an_operation_that_takes_no_input_refuses_any(toy: ToyBotocore) -> None:
    toy.write("2024-01-01", types_model())
    assert validate("Ping", {}, service="toy") == []
    assert [(v.path, v.constraint) for v in validate("Ping", {"b": 1, "a": 2}, service="toy")] == [
        ("a", "unknown member, Ping takes no input"),
        ("b", "unknown member, Ping takes no input"),
    ]
    ((path, constraint),) = [(v.path, v.constraint) for v in validate("Ping", ["x"], service="toy")]  # type: ignore[arg-type]
    assert (path, constraint) == ("<params>", "has type list, expected structure (no input)")


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        # a region no partition's regionRegex matches: the commercial partition
        ("zz-nowhere-9", "aws"),
    ],
)
def test_the_arn_partition_of_a_region(region: str, partition: str) -> None:
    assert partition_for(region) == partition
