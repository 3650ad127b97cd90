"""The critical path of a plan: the longest chain of resources that wait on each other."""

from __future__ import annotations

from offline.engine import Evaluation


def critical_path(ev: Evaluation) -> list[str]:
    """The longest chain of resources each waiting on the one before: a lower bound on the
    number of sequential provider calls a real `pulumi up` makes."""
    by_urn = ev.by_urn()
    children: dict[str, list[str]] = {}
    for r in ev.resources:
        children.setdefault(r.parent, []).append(r.urn)

    def expand(urn: str) -> list[str]:
        r = by_urn.get(urn)
        if r is None:
            return []
        if r.custom:
            return [urn]
        # A dependency on a component is a dependency on everything inside it.
        return [u for c in children.get(urn, []) for u in expand(c)]

    custom = sorted(r.urn for r in ev.resources if r.custom)
    deps = {u: sorted({d for dep in by_urn[u].depends_on for d in expand(dep)} - {u}) for u in custom}
    memo: dict[str, list[str]] = {}

    def longest(u: str, stack: frozenset[str] = frozenset()) -> list[str]:
        if u in memo:
            return memo[u]
        best: list[str] = []
        for d in deps[u]:
            if d in stack:
                continue
            chain = longest(d, stack | {u})
            if len(chain) > len(best):
                best = chain
        memo[u] = [*best, u]
        return memo[u]

    best: list[str] = []
    for u in custom:
        chain = longest(u)
        if len(chain) > len(best):
            best = chain
    return best
