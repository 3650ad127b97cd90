"""What a team or owner stack reads from the other through a StackReference, and what it says when
that is missing (components/references.py), checked where mutation testing found gaps
(docs/mutation-policies.md). The functions run inside an `apply`; their messages stop the preview."""

from __future__ import annotations

from typing import Any

import pytest

from components.references import ReferenceError, owner_role_id, team_api_identifiers

OWNER = "acme/mcpauth/platform"
ROLES = {"mcp-user": "rol_user", "mcp-admin": "rol_admin"}


def exported(dcr: bool = True, cimd: bool = True, roles: Any = None) -> dict[str, Any]:
    return {
        "roles": dict(ROLES) if roles is None else roles,
        "dynamicClientRegistration": dcr,
        "clientIdMetadataDocuments": cimd,
    }


@pytest.mark.parametrize("dcr, cimd", [(True, False), (False, True), (True, True)])
def test_either_registration_flag_of_the_owner_lets_mcp_clients_register(dcr: bool, cimd: bool) -> None:
    assert owner_role_id(exported(dcr, cimd), "mcp-user", OWNER, True) == ROLES["mcp-user"]
    with pytest.raises(ReferenceError, match="say MCP clients cannot register"):
        owner_role_id(exported(dcr, cimd), "mcp-user", OWNER, False)


def test_an_owner_with_registration_off_serves_a_team_whose_flags_say_so() -> None:
    assert owner_role_id(exported(False, False), "mcp-admin", OWNER, False) == ROLES["mcp-admin"]


@pytest.mark.parametrize(
    "flags, third_party, says",
    [
        (
            (True, False),
            False,
            "has dynamicClientRegistration True and clientIdMetadataDocuments False, but this "
            "stack's flags say MCP clients cannot register",
        ),
        (
            (False, True),
            False,
            "has dynamicClientRegistration False and clientIdMetadataDocuments True, but this "
            "stack's flags say MCP clients cannot register",
        ),
        (
            (False, False),
            True,
            "has dynamicClientRegistration False and clientIdMetadataDocuments False, but this "
            "stack's flags say MCP clients can register",
        ),
    ],
)
def test_flags_that_disagree_with_the_owner_s_are_named_with_the_owner_s_values(
    flags: tuple[bool, bool], third_party: bool, says: str
) -> None:
    with pytest.raises(ReferenceError) as e:
        owner_role_id(exported(*flags), "mcp-user", OWNER, third_party)
    assert str(e.value) == f"mcpauth:tenant: the owner {OWNER} {says}: set them as the owner has them"


@pytest.mark.parametrize("value", [None, {}, {"dynamicClientRegistration": True}, {"roles": ["mcp-user"]}, "x"])
def test_an_owner_output_without_roles_is_no_tenant_output(value: Any) -> None:
    with pytest.raises(ReferenceError) as e:
        owner_role_id(value, "mcp-user", OWNER, True)
    assert str(e.value) == (
        f"mcpauth:tenant.owner: stack {OWNER} has no `tenant` output: run `make up` there first "
        "(with this version of mcpauth), or check the name (`pulumi stack ls --all`)"
    )


@pytest.mark.parametrize(
    "roles, known",
    [
        ({"mcp-user": "rol_user", "b-role": "rol_b"}, "b-role, mcp-user"),
        ({}, "(none)"),
        ({"mcp-admin": None}, "mcp-admin"),  # exported, but with no id
    ],
)
def test_a_role_the_owner_does_not_export_lists_the_ones_it_does(roles: dict[str, Any], known: str) -> None:
    with pytest.raises(ReferenceError) as e:
        owner_role_id(exported(roles=roles), "mcp-admin", OWNER, True)
    assert str(e.value) == (
        f"mcpauth:roles: role 'mcp-admin' is not among the roles the owner {OWNER} exports ({known}): "
        "add it to the owner's mcpauth:roles (same id), or use one of those"
    )


def test_a_team_without_gateways_yet_is_a_warning_that_says_when_its_claims_come(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said: list[str] = []
    monkeypatch.setattr("pulumi.log.warn", lambda msg, *a, **k: said.append(msg))
    assert team_api_identifiers(None, "acme/mcpauth/team-b") == []
    assert said == [
        "mcpauth:tenant.teamStacks: acme/mcpauth/team-b has no `gateways` output yet; its APIs get the claims "
        "after its first `up`, on this stack's next `up`"
    ]


@pytest.mark.parametrize("value", [["https://x/mcp"], "https://x/mcp", 3])
def test_a_gateways_output_that_is_not_an_mcpauth_stack_s_is_refused(value: Any) -> None:
    with pytest.raises(ReferenceError) as e:
        team_api_identifiers(value, "acme/mcpauth/team-a")
    assert (
        str(e.value) == "mcpauth:tenant.teamStacks: acme/mcpauth/team-a's `gateways` output is not an mcpauth stack's"
    )


def test_a_team_s_api_identifiers_are_read_sorted_from_its_gateways() -> None:
    gateways = {
        "search": {"apiIdentifier": "https://search.example.com/mcp"},
        "docs": {"apiIdentifier": "https://docs.example.com/mcp"},
        "odd": "not a gateway entry",
    }
    assert team_api_identifiers(gateways, "acme/mcpauth/team-a") == [
        "https://docs.example.com/mcp",
        "https://search.example.com/mcp",
    ]
