"""CIMD as Auth0 has it: the tenant flag alone lets no client in, so it is advertised only where
clients are registered (manual CIMD) or dynamic CIMD (Early Access) is said to be on."""

from __future__ import annotations

from typing import Any

import pytest

from offline.engine import Evaluation
from offline.view import evaluation_view
from rules.types import CLIENT_CIMD, TENANT
from stackconfig.settings import load_settings
from tests.conftest import make_config
from tests.helpers.stack import problems

KEY = "mcpauth:tenant.clientIdMetadataDocuments"
CLIENT_URL = "https://client.example.com/oauth/metadata.json"


def _flag(ev: Evaluation) -> Any:
    (tenant,) = ev.of_type(TENANT)
    return tenant.inputs.get("clientIdMetadataDocumentSupported")


def test_by_default_the_tenant_does_not_advertise_cimd(evaluate) -> None:
    ev = evaluate(make_config())
    assert _flag(ev) is False
    assert ev.of_type(CLIENT_CIMD) == []
    assert ev.outputs["clientRegistration"]["metadataDocuments"] is False


def test_declared_clients_are_registered_after_the_flag_is_on(evaluate) -> None:
    other = "https://agent.example.org/.well-known/client.json"
    ev = evaluate(make_config(tenant={"clientIdMetadataDocuments": {"clients": [CLIENT_URL, other]}}))
    assert _flag(ev) is True
    clients = ev.of_type(CLIENT_CIMD)
    assert sorted(c.inputs["externalClientId"] for c in clients) == sorted([CLIENT_URL, other])
    (tenant,) = ev.of_type(TENANT)
    # The provider's ClientCimd needs the tenant flag on first.
    assert all(tenant.urn in c.depends_on for c in clients)
    view = evaluation_view(ev)
    assert view.tenant.metadata_document_clients == (CLIENT_URL, other)
    assert view.tenant.dynamic_metadata_documents is False


def test_dynamic_cimd_advertises_without_registering_anyone(evaluate) -> None:
    ev = evaluate(make_config(tenant={"clientIdMetadataDocuments": {"dynamic": True}}))
    assert _flag(ev) is True and ev.of_type(CLIENT_CIMD) == []
    assert evaluation_view(ev).tenant.dynamic_metadata_documents is True


def test_the_bare_flag_on_the_owner_is_refused_naming_both_modes() -> None:
    (msg,) = problems(make_config(tenant={"clientIdMetadataDocuments": True}))
    assert msg.startswith(f"{KEY}: got true: the tenant flag alone only advertises CIMD")
    assert "{clients: [" in msg and "{dynamic: true}" in msg and "Early Access" in msg


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://client.example.com/c.json", "must start with https://"),
        ("https://client.example.com", "must have a path beyond /"),
        ("https://client.example.com/", "must have a path beyond /"),
        ("https://client.example.com/c.json?v=1", "must not hold a query"),
        ("https://client.example.com/c.json#x", "must not hold a fragment"),
        ("https://user:pw@client.example.com/c.json", "user name or password"),
        ("https://client.example.com/a/../c.json", ". or .. path segments"),
        ("https://localhost/c.json", "which Auth0 refuses"),
        ("https://127.0.0.1:8443/c.json", "which Auth0 refuses"),
        ("https://client.example.com/" + "x" * 100, "at most 120"),
        (" https://client.example.com/c.json", "whitespace"),
    ],
)
def test_a_metadata_document_url_auth0_would_refuse_is_refused(url: str, says: str) -> None:
    (msg,) = problems(make_config(tenant={"clientIdMetadataDocuments": {"clients": [CLIENT_URL, url]}}))
    # A value past 120 characters is shown cut, with its length (stackconfig: cut).
    shown = f"[1] {url!r}" if len(url) <= 120 else f"[1] {url[:60]!r}"[:-1]
    assert msg.startswith(f"{KEY}.clients:") and shown in msg and says in msg, msg


def test_clients_belong_to_the_owner_a_team_repeats_the_flag() -> None:
    team = {"manage": False, "clientIdMetadataDocuments": {"clients": [CLIENT_URL]}}
    (msg,) = problems(make_config(tenant=team))
    assert msg.startswith(f"{KEY}: is an object while mcpauth:tenant.manage is false")
    s = load_settings(make_config(tenant={"manage": False, "clientIdMetadataDocuments": True}), "t")
    assert s.project.tenant.third_party_clients is True


def test_urls_that_would_name_one_resource_are_refused() -> None:
    twin = CLIENT_URL.replace("metadata.json", "metadata-json")
    (msg,) = problems(make_config(tenant={"clientIdMetadataDocuments": {"clients": [CLIENT_URL, twin]}}))
    assert msg.startswith(f"{KEY}.clients[1]:") and "only in punctuation" in msg


def test_the_plan_marks_dynamic_cimd_as_early_access(tmp_path) -> None:
    from offline.plan import make_plan
    from offline.render import render_text, to_document

    (tmp_path / "Pulumi.ea.yaml").write_text(
        "config:\n"
        "  aws:region: us-east-1\n"
        "  auth0:domain: ea-test.us.auth0.com\n"
        "  mcpauth:tenant:\n"
        "    clientIdMetadataDocuments: {dynamic: true}\n"
        "  mcpauth:gateways:\n"
        "    - name: tools\n"
    )
    plan = make_plan("ea", stack_dir=tmp_path, policies=lambda *_: [])
    text = render_text(plan)
    assert "Early Access (Auth0 enables these per tenant" in text
    assert "dynamic CIMD registration is Early Access" in text
    assert to_document(plan)["earlyAccess"] == plan.early_access != []


@pytest.mark.parametrize(
    "value, expected",
    [
        ("yes", f"{KEY}: got 'yes': false, or {{clients: [https://<client>/<path>.json, ...], dynamic: false}}"),
        ({"clientz": []}, f"{KEY}.clientz: unknown key; accepted keys here: clients, dynamic"),
    ],
)
def test_a_value_of_neither_form_names_both(value: Any, expected: str) -> None:
    assert problems(make_config(tenant={"clientIdMetadataDocuments": value})) == [expected]


def test_dropping_a_registered_client_says_what_it_loses(evaluate) -> None:
    """`make plan --against`: a client taken out of `clients` is deleted, and the plan says the
    metadata URL can no longer log in."""
    from offline import changes as ch
    from offline.plan import Plan
    from offline.render import to_document

    def document(clients: list[str]) -> dict[str, Any]:
        ev = evaluate(make_config(tenant={"clientIdMetadataDocuments": {"clients": clients}}))
        return to_document(Plan("test", "mcpauth", ev, [], [], []))

    other = "https://agent.example.org/client.json"
    found = ch.compare(document([CLIENT_URL, other]), document([other]), "main", "a" * 40).changes
    (gone,) = [c for c in found if c.type == CLIENT_CIMD]
    assert gone.action == "delete" and "cannot log in until registered again" in str(gone.stateful)
