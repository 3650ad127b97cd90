"""Advisory rules: least privilege, token lifetime, protection in production, Action binding."""

from __future__ import annotations

import fnmatch
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import GATEWAYS, UNKNOWN, get, items, label, of_type, option, stack_name, strings
from rules.types import ACTION, API, CLIENT, CLIENT_GRANT, CONNECTION, ROLE, TENANT, TRIGGER_ACTION, TRIGGER_ACTIONS


def _validate_machine_clients(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    forbidden = set(args.get_config().get("forbiddenScopes", ["admin"]))
    for c in of_type(resources, CLIENT):
        if get(c.props, "appType") != "non_interactive":
            continue
        grants = strings(get(c.props, "grantTypes"))
        if grants is not UNKNOWN and grants != ["client_credentials"]:
            report(
                f"{label(c)} is a machine client with grant types {grants!r}: give it client_credentials only.",
                c.urn,
            )
    for g in of_type(resources, CLIENT_GRANT):
        cid = get(g.props, "clientId")
        # A client created in the same run has an unknown id at preview: still a client's grant.
        if (cid is not UNKNOWN and not cid) or get(g.props, "defaultFor"):
            continue
        scopes = strings(get(g.props, "scopes"))
        bad = sorted(forbidden & set([] if scopes is UNKNOWN else scopes))
        if bad:
            report(
                f"{label(g)} gives a machine client {', '.join(bad)}: a leaked client secret would carry it. "
                "Grant the narrowest scopes the job needs.",
                g.urn,
            )


machine_client_least_privilege = StackValidationPolicy(
    name="machine-client-least-privilege",
    description="Machine clients use client credentials only and hold no admin scope.",
    remediation_steps="Set grantTypes [client_credentials]; drop admin (or the configured scopes) from the grant.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_machine_clients,
    config_schema=PolicyConfigSchema(
        properties={"forbiddenScopes": option("string-list", ["admin"], "Scopes no machine client should be granted.")}
    ),
)


def _validate_lifetime(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != API:
        return
    limit = int(args.get_config().get("maxSeconds", 86400))
    lifetime = get(args.props, "tokenLifetime")
    if isinstance(lifetime, (int, float)) and lifetime > limit:
        report(
            f"{label(args)} issues tokens valid for {int(lifetime)} s (over {limit} s): a stolen token stays "
            "usable that long. Lower tokenLifetime.",
            None,
        )


token_lifetime_max = ResourceValidationPolicy(
    name="token-lifetime-max",
    description="Access tokens for MCP APIs live no longer than a configured maximum (default 24 h).",
    remediation_steps="Lower the API's tokenLifetime to the configured maximum or less.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_lifetime,
    config_schema=PolicyConfigSchema(
        properties={"maxSeconds": option("integer", 86400, "Longest token lifetime, in seconds.")}
    ),
)


def _validate_protect(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    if not resources:
        return
    stack = stack_name(resources[0].urn)
    patterns = list(args.get_config().get("stackPatterns", ["prod*"]))
    if not any(fnmatch.fnmatchcase(stack, p) for p in patterns):
        return
    # Roles and the connection too: deleting one loses every user's assignment of it, or account.
    for r in of_type(resources, API, TENANT, ROLE, CONNECTION, *GATEWAYS):
        opts = getattr(r, "opts", None)
        if opts is not None and not getattr(opts, "protect", False):
            report(
                f"{label(r)} in stack {stack!r} is not protected: one mistaken `pulumi destroy` or rename "
                "deletes it, and every token and client bound to it. Set mcpauth:protect: true.",
                r.urn,
            )


protect_production = StackValidationPolicy(
    name="protect-production",
    description=(
        "Stacks named like production protect the Auth0 APIs, the tenant settings, the roles, the connection "
        "and the gateways."
    ),
    remediation_steps="Set `mcpauth:protect: true` in the stack config (or protect=True on those resources).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_protect,
    config_schema=PolicyConfigSchema(
        properties={
            "stackPatterns": option(
                "string-list", ["prod*"], "Glob patterns of stack names that must protect their resources."
            )
        }
    ),
)


def _is_post_login(action: Any) -> bool:
    # The provider takes one trigger object; older schemas took a list of them.
    triggers = get(action.props, "supportedTriggers")
    if get(triggers, "id") == "post-login":
        return True
    return any(get(t, "id") == "post-login" for t in items(triggers) if not isinstance(t, str))


def _validate_action_binding(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    for t in of_type(resources, TRIGGER_ACTIONS):
        if get(t.props, "trigger") == "post-login":
            report(
                f"{label(t)} owns the whole post-login trigger: applying it removes every other Action bound "
                "there (by other stacks or by hand). Bind with one TriggerAction instead.",
                t.urn,
            )
    bindings = of_type(resources, TRIGGER_ACTION)
    for a in of_type(resources, ACTION):
        if not _is_post_login(a):
            continue
        deploy = get(a.props, "deploy")
        if deploy is not UNKNOWN and deploy is not True:
            report(f"{label(a)} is not deployed: set deploy: true, or its binding has no version to run.", a.urn)
        bound = [
            b
            for b in bindings
            if get(b.props, "trigger") == "post-login"
            and (
                a.urn in {getattr(d, "urn", None) for d in getattr(b, "dependencies", []) or []}
                or get(b.props, "actionId") in (get(a.props, "id"), a.name)
            )
        ]
        if not bound:
            report(
                f"{label(a)} is bound to post-login by no TriggerAction declared after it: it never runs, or "
                "its binding races the deploy. Add a TriggerAction whose actionId is the Action's id.",
                a.urn,
            )


action_bound_safely = StackValidationPolicy(
    name="post-login-action-bound-safely",
    description="The post-login Action is deployed and bound by a single binding declared after it, "
    "leaving other Actions on the trigger in place.",
    remediation_steps="Deploy the Action and bind it with one TriggerAction whose actionId is the Action's "
    "id (which orders it after the Action); never TriggerActions for post-login.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_validate_action_binding,
)

POLICIES = [machine_client_least_privilege, token_lifetime_max, protect_production, action_bound_safely]
