"""`make bench`: what the offline plan costs, measured against what cannot be avoided.

- floor: the same venv's Python importing pulumi, pulumi_auth0 and pulumi_aws and touching each
  SDK class the dev plan instantiates, pulumi.dynamic.Resource (the gateway) included (pulumi_aws
  loads modules lazily: touching loads them);
- the dev plan's wall time as a ratio to that floor (target <= 1.3);
- the plan of a 25-gateway stack as a ratio to a 1-gateway stack (target <= 2.0);
- peak memory (max RSS) of the dev plan.
Each figure is the median of several runs, interleaved so drift hits all alike. `make bench` then
runs sandbox/bench.py: verify and the interactive path against a running sandbox.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from offline.engine import ROOT

FLOOR_TARGET, SCALE_TARGET = 1.3, 2.0


def sdk_classes() -> list[str]:
    """`module:Class` for every SDK class the dev plan instantiates, from its resource types."""
    from offline.plan import make_plan

    names = set()
    resources = make_plan("dev", policies=lambda *_: []).evaluation.resources
    for r in resources:
        pkg, _, rest = r.type.partition(":")
        if pkg not in ("aws", "auth0"):
            continue
        module, _, cls = rest.partition(":")
        mod = module.split("/")[0]
        base = "pulumi_aws" if pkg == "aws" else "pulumi_auth0"
        names.add(f"{base}{'' if mod == 'index' else '.' + mod}:{cls}")
    names |= {"pulumi_aws:get_caller_identity_output", "pulumi_auth0:get_role_output"}
    if any(r.type.startswith("pulumi-python:dynamic") for r in resources):
        names.add("pulumi.dynamic:Resource")  # the gateway's dynamic resource: an SDK class the plan instantiates
    return sorted(names)


def floor_script(classes: list[str]) -> str:
    lines = ["import importlib, pulumi, pulumi_auth0, pulumi_aws"]
    for item in classes:
        mod, cls = item.split(":")
        lines.append(f"getattr(importlib.import_module({mod!r}), {cls!r})")
    return "\n".join(lines)


def stack_file(n: int) -> str:
    return yaml.safe_dump(
        {
            "config": {
                "aws:region": "us-east-1",
                "auth0:domain": "bench.us.auth0.com",
                "mcpauth:gateways": [{"name": f"g{i}", "requiredPermissions": ["read:tools"]} for i in range(n)],
                "mcpauth:machineClients": [
                    {"name": f"c{i}", "gateway": f"g{i}", "scopes": ["read:tools"]} for i in range(n)
                ],
            }
        }
    )


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and max RSS (KiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd)} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return elapsed, usage.ru_maxrss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make bench")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    py = sys.executable
    script = floor_script(sdk_classes())
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1, 25):
            Path(tmp, f"Pulumi.bench{n}.yaml").write_text(stack_file(n))
        cmds = {
            "floor": [py, "-c", script],
            # The same with the cyclic GC off, as the plan runs: the fair floor for what our
            # code adds, reported beside the defined one.
            "floor_nogc": [py, "-c", "import gc; gc.disable()\n" + script],
            "dev": [py, "-m", "offline.plan", "--stack", "dev", "--format", "json"],
            "g1": [py, "-m", "offline.plan", "--stack", "bench1", "--stack-dir", tmp, "--format", "json"],
            "g25": [py, "-m", "offline.plan", "--stack", "bench25", "--stack-dir", tmp, "--format", "json"],
        }
        for cmd in cmds.values():  # warm the file cache once
            timed(cmd)
        times: dict[str, list[float]] = {k: [] for k in cmds}
        rss: list[int] = []
        for _ in range(args.runs):
            for key, cmd in cmds.items():
                t, m = timed(cmd)
                times[key].append(t)
                if key == "dev":
                    rss.append(m)
    med = {k: statistics.median(v) for k, v in times.items()}
    floor_ratio = med["dev"] / med["floor"]
    scale_ratio = med["g25"] / med["g1"]
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; {args.runs} runs, medians")
    print(f"floor (import SDKs + touch {script.count('getattr')} classes): {med['floor']:.3f} s")
    print(f"floor with the GC off as the plan runs it: {med['floor_nogc']:.3f} s")
    print(
        f"dev plan: {med['dev']:.3f} s  ratio to floor {floor_ratio:.2f} (target <= {FLOOR_TARGET}) "
        f"{'meets' if floor_ratio <= FLOOR_TARGET else 'MISSES'}; "
        f"ratio to the GC-off floor {med['dev'] / med['floor_nogc']:.2f}"
    )
    print(
        f"1 gateway: {med['g1']:.3f} s  25 gateways: {med['g25']:.3f} s  ratio {scale_ratio:.2f} "
        f"(target <= {SCALE_TARGET}) {'meets' if scale_ratio <= SCALE_TARGET else 'MISSES'}"
    )
    print(f"dev plan peak memory (max RSS): {statistics.median(rss) / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
