"""Stacks that share one Auth0 tenant, seen together: who owns the tenant-wide settings.

One stack per tenant may set `mcpauth:tenant.manage: true` (it owns the tenant settings, the
domain-level connection, the roles and the post-login Action); the others declare only their
gateways and APIs and find the roles by name. Only the stack files can show two owners of one
tenant, so this check reads every `Pulumi.<stack>.yaml` in the folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from offline.engine import ROOT
from offline.stackfile import StackFileError, load_stack
from rules.wiring import audience_resolution_problems
from stackconfig.model import ConfigError
from stackconfig.settings import Settings, load_settings


@dataclass
class TenantView:
    domain: str
    stacks: list[str]
    owners: list[str]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _settings_of(stack_dir: Path) -> dict[str, Settings]:
    out: dict[str, Settings] = {}
    for path in sorted(stack_dir.glob("Pulumi.*.yaml")):
        stack = path.name.split(".", 1)[1].rsplit(".", 1)[0]
        try:
            sc = load_stack(ROOT, stack, stack_dir)
            out[stack] = load_settings(sc.values, stack, sc.secret_keys)
        except (StackFileError, ConfigError):
            continue  # an invalid stack is reported by its own plan
    return out


def stacks_on_tenant(stack: str, stack_dir: Path = ROOT) -> dict[str, Settings]:
    """The valid stacks in `stack_dir` on the same tenant as `stack` (itself included)."""
    all_settings = _settings_of(stack_dir)
    me = all_settings[stack]
    # DNS names are case-insensitive: Acme.us.auth0.com and acme.us.auth0.com are one tenant.
    return {n: s for n, s in all_settings.items() if s.auth0_domain.lower() == me.auth0_domain.lower()}


def tenant_view(stack: str, stack_dir: Path = ROOT, same: dict[str, Settings] | None = None) -> TenantView:
    """The stacks in `stack_dir` on the same tenant as `stack` (`same`, when already read), and
    what is wrong between them."""
    same = same if same is not None else stacks_on_tenant(stack, stack_dir)
    me = same[stack]
    owners = sorted(n for n, s in same.items() if s.project.tenant.manage)
    view = TenantView(me.auth0_domain, sorted(same), owners)
    if len(owners) > 1:
        view.problems.append(
            f"{len(owners)} stacks own tenant {me.auth0_domain} ({', '.join(owners)}): each would overwrite "
            "the others' tenant settings, connection, roles and Action. Keep mcpauth:tenant.manage: true "
            "in one and set it to false in the rest."
        )
    if not owners:
        view.notes.append(
            f"no stack here owns tenant {me.auth0_domain}; its settings must be managed elsewhere "
            "(resource parameter profile, DCR, domain connection, roles)."
        )
        return view
    owner = same[owners[0]].project
    for name, s in sorted(same.items()):
        if s.project.tenant.manage:
            continue
        missing = sorted({r.name for r in s.project.role_specs} - {r.name for r in owner.role_specs})
        if missing:
            view.problems.append(
                f"stack {name} adds permissions to roles {missing} that the owner {owners[0]} does not "
                "create; its lookup by name fails. Add them to the owner's mcpauth:roles."
            )
    total_gateways = sum(len(s.project.gateways) for s in same.values())
    t = owner.tenant
    for problem in audience_resolution_problems(
        t.resource_parameter_profile, t.default_audience is not None, total_gateways
    ):
        view.problems.append(
            f"the owner {owners[0]}, with the {total_gateways} gateways of every stack here: {problem}"
        )
    others = [n for n in same if n not in owners]
    for name in others:
        owner_ref = same[name].project.tenant.owner
        if owner_ref is not None and owner_ref.rsplit("/", 1)[-1] != owners[0]:
            view.problems.append(
                f"stack {name} names {owner_ref} as its mcpauth:tenant.owner, but the owner here is {owners[0]}"
            )
    referenced = {n.rsplit("/", 1)[-1] for n in t.team_stacks}
    unread = sorted(n for n in others if n not in referenced)
    if unread and not t.claims.extra_audiences:
        view.notes.append(
            f"the owner's post-login Action adds claims only for its own APIs and its teamStacks'; add "
            f"{', '.join(unread)} to mcpauth:tenant.teamStacks (<organization>/<project>/<stack>), or list their "
            "resource URLs in mcpauth:tenant.claims.extraAudiences after their first `up`."
        )
    return view
