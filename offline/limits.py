"""Auth0's free-plan entity limits, counted from what the stacks on one tenant declare.

Auth0's Entity Limit Policy (auth0.com/docs/policies/entity-limit-policy, "Free subscription
limits": Applications 10, API Resource Servers 10; seen in the version effective 19 May 2020 —
the current page's free section, as far as it could be read here, names only social connections,
so docs/pending/cimd.md says the numbers are not confirmed for today). A plan cannot know the
tenant's plan, nor what the tenant already holds (the deployer's own client, clients that DCR or
dynamic CIMD registered), so this only warns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rules.types import API, CLIENT, CLIENT_CIMD

if TYPE_CHECKING:
    from offline.engine import Evaluation
    from stackconfig.settings import Settings

FREE_APIS = 10
FREE_APPLICATIONS = 10


@dataclass(frozen=True)
class Counts:
    apis: int
    applications: int


def declared(ev: Evaluation) -> Counts:
    """What the evaluated program declares: its Auth0 APIs, and its applications (machine clients,
    the role assigner, CIMD clients: each one is a client in the tenant)."""
    return Counts(len(ev.of_type(API)), len(ev.of_type(CLIENT)) + len(ev.of_type(CLIENT_CIMD)))


def from_settings(s: Settings) -> Counts:
    """The same count from a stack's config, for the other stacks on the tenant (which the plan
    does not evaluate): one API per gateway; a client per machine client, the role assigner when
    the owner sets a default role, one per CIMD client (components/program.py, tenant.py), and an
    API and a client per OAuth target."""
    p = s.project
    t = p.tenant
    assigner = 1 if t.manage and p.default_role_spec is not None else 0
    cimd = len(t.cimd_clients) if t.manage else 0
    # An OAuth target: an API for the upstream and the gateway's machine client (components/targets.py).
    upstreams = sum(1 for gw in p.gateways for target in gw.targets if target.credential == "oauth")
    return Counts(len(p.gateways) + upstreams, len(p.machine_clients) + assigner + cimd + upstreams)


_FIX = {"APIs": "Use fewer gateways per tenant, or a paid plan", "applications": "Use fewer clients, or a paid plan"}


def free_plan_warnings(stack: str, ev: Evaluation, tenant: str, others: dict[str, Settings]) -> list[str]:
    """A line per limit the stack (with `others`, the other stacks on its tenant) goes past."""
    own = declared(ev)
    total = Counts(
        own.apis + sum(from_settings(s).apis for s in others.values()),
        own.applications + sum(from_settings(s).applications for s in others.values()),
    )
    if others:
        names = ", ".join(sorted([stack, *others]))
        who = f"the {len(others) + 1} stacks on tenant {tenant} ({names}) declare"
    else:
        who = "this stack declares"
    out = []
    for what, count, limit in (
        ("APIs", total.apis, FREE_APIS),
        ("applications", total.applications, FREE_APPLICATIONS),
    ):
        if count > limit:
            out.append(
                f"{what}: {who} {count}; Auth0's free plan allows {limit} per tenant (Entity Limit Policy), "
                f"so `up` fails on a free tenant once it holds {limit}. {_FIX[what]}"
            )
    return out
