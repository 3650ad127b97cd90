"""Several stacks' `make plan --format json` in one process, for `offline/changes.py`.

Not imported: changes.py runs this file's source with `python -c` in a revision's exported tree
(cwd, and so `sys.path[0]`), so it plans with *that* revision's `offline.plan`, as
`python -m offline.plan` run there would. Each stack is `offline.plan.main([...])` with stdout
and stderr captured; one JSON line per stack, in order, says what that process would have
returned: {"returncode", "stdout", "stderr"}. Loading the SDKs once instead of once per stack is
most of a plan's cost (~0.9 of ~1.5 CPU-seconds).

Only the standard library, and nothing of this checkout: the revision's modules must be the ones
imported. Exit 3 when the revision's `offline.plan.main` takes no argv (changes.py then plans
each stack in its own process).

    python -c "$(cat offline/plan_batch.py)" STACK STACK_DIR [STACK STACK_DIR ...]
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import sys
import traceback
import warnings


def _exit_code(e: SystemExit) -> tuple[int, str]:
    """The status and stderr text of a process that raises `e`, as the interpreter makes them."""
    if e.code is None:
        return 0, ""
    if isinstance(e.code, int):
        return e.code, ""
    return 1, f"{e.code}\n"


def _plan(main: object, stack: str, stack_dir: str) -> dict[str, object]:
    out, err = io.StringIO(), io.StringIO()
    # A fresh warnings state per stack: each would show its warnings in a process of its own.
    with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--stack", stack, "--stack-dir", stack_dir, "--format", "json"])  # type: ignore[operator]
            code, extra = (code if isinstance(code, int) else 0), ""
        except SystemExit as e:
            code, extra = _exit_code(e)
        except BaseException:  # noqa: BLE001 - what any uncaught one does to `python -m offline.plan`
            code, extra = 1, traceback.format_exc()
    return {"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue() + extra}


def run(argv: list[str]) -> int:
    # As `python -m offline.plan` does in its own process (offline/plan.py's `__main__` block).
    gc.disable()
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # Results on a copy of fd 1; fd 1 itself goes to stderr, so nothing a plan writes there
    # (outside sys.stdout) can be taken for a result.
    results = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    import inspect

    try:
        from offline.plan import main
    except Exception:  # noqa: BLE001 - planned alone instead, which reports it as that process would
        return 3
    if not inspect.signature(main).parameters:
        return 3  # a `main()` that reads sys.argv: one process per stack
    pairs = list(zip(argv[::2], argv[1::2], strict=True))
    for stack, stack_dir in pairs:
        results.write(json.dumps(_plan(main, stack, stack_dir)) + "\n")
        results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
