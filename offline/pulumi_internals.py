"""Every use of the Pulumi SDK's private parts, in one place: what the offline engine patches,
resets or awaits that the SDK does not export. Each is read from pulumi 3.x's sources
(pulumi/runtime/{mocks,resource,settings,stack,sync_await}.py); an SDK upgrade that moves one
breaks here, and only here.

    1. pulumi.runtime.resource._get_stack_trace   replaced for an evaluation (offline_sdk)
    2. pulumi.runtime.mocks._sync_await           replaced for an evaluation (offline_sdk)
    3. pulumi.runtime.sync_await._sync_await      run a coroutine on the SDK's loop (sync_await)
    4. pulumi.runtime.settings._get_rpc_manager   outstanding RPCs cleared after a failure
    5. pulumi.runtime.settings.SETTINGS           its lock and outputs, cleared after a failure
    6. pulumi.runtime.settings.ROOT               the root stack, reset per evaluation (fresh_root)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from pulumi.runtime import mocks as pmocks
from pulumi.runtime import resource as presource
from pulumi.runtime import settings as psettings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

__all__ = ["cancel_pending", "fresh_root", "offline_sdk", "root_resource", "run_pulumi_func", "sync_await"]


T = TypeVar("T")


def sync_await(awaitable: Awaitable[T]) -> T:
    """The SDK's own way to run a coroutine to its end from synchronous code."""
    return _sync_await(awaitable)


def fresh_root() -> None:
    """A new root stack resource for the next evaluation, so several plans run in one process."""
    psettings.ROOT.set(None)


def root_resource() -> Any:
    return psettings.get_root_resource()


def _settle(awaitable: Awaitable[Any]) -> Any:
    """`_sync_await` for the monitor's thread, without a loop turn when none is needed.

    Pulumi's MockMonitor serializes each resource's state with `_sync_await(serialize_properties(
    ...))` (pulumi/runtime/mocks.py), which runs an event loop on the calling thread every time.
    For plain state (strings, numbers, lists, maps: all this engine's mocks return) the coroutine
    never suspends, so it is run to its end here directly. If it does suspend (it awaits an
    Output or a resource reference), the rest runs on the loop exactly as `_sync_await` would."""
    if not asyncio.iscoroutine(awaitable):
        return _sync_await(awaitable)
    coro: Coroutine[Any, Any, Any] = awaitable
    try:
        waiting_on = coro.send(None)
    except StopIteration as done:
        return done.value

    async def rest(waiting_on: Any) -> Any:
        while True:
            if waiting_on is None:  # a bare yield (asyncio.sleep(0)): give the loop one turn
                await asyncio.sleep(0)
            else:  # a Future: once it is done the coroutine reads its result itself
                await asyncio.wait([waiting_on])
            try:
                waiting_on = coro.send(None)
            except StopIteration as done:
                return done.value

    return _sync_await(rest(waiting_on))


# One thread for the monitor's calls. The SDK hands each RPC to the loop's default executor
# (`run_in_executor(None, ...)`, pulumi/runtime/resource.py); the mock monitor is plain Python
# that holds the GIL throughout, so more threads only contend for it (measured on 2 cores: the
# 25-gateway plan ~6% slower with the default pool of min(32, cores + 4)).
_MONITOR_EXECUTOR: ThreadPoolExecutor | None = None


@contextmanager
def offline_sdk() -> Iterator[None]:
    """Drop what the SDK computes only for a real engine, for the length of one evaluation.

    - Source positions: for every resource the SDK walks the Python stack and stats each frame's
      file (`_get_stack_trace`, sent as RegisterResourceRequest.stackTrace/sourcePosition, which
      the engine uses to say where a resource was declared). The mock monitor never reads them,
      and they were ~10% of a 25-gateway plan.
    - `_sync_await` in the mock monitor: see `_settle`.
    The originals are restored afterwards, so the process can still run a real program."""
    global _MONITOR_EXECUTOR
    if _MONITOR_EXECUTOR is None:
        _MONITOR_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="offline-monitor")
    asyncio.get_event_loop().set_default_executor(_MONITOR_EXECUTOR)
    # The mocks module's own reference to `_sync_await` (imported by name), not re-exported.
    saved = presource._get_stack_trace, pmocks._sync_await  # type: ignore[attr-defined]
    presource._get_stack_trace = source_pb2.StackTrace  # an empty trace, as for a frame-less call
    pmocks._sync_await = _settle  # type: ignore[attr-defined]
    try:
        yield
    finally:
        presource._get_stack_trace, pmocks._sync_await = saved  # type: ignore[attr-defined]


def cancel_pending() -> None:
    loop = asyncio.get_event_loop()
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    # The SDK's records of outstanding RPCs and of the failure (pulumi/runtime/rpc_manager.py), and
    # of the outputs' tasks (pulumi/runtime/stack.py, wait_for_rpcs awaits SETTINGS.outputs), which
    # the next run would otherwise await and re-raise.
    rpcs = psettings._get_rpc_manager()
    with psettings.SETTINGS.lock:
        left = [*rpcs.rpcs, *psettings.SETTINGS.outputs]
        psettings.SETTINGS.outputs.clear()
    rpcs.clear()
    for future in left:
        if isinstance(future, asyncio.Future) and future.done() and not future.cancelled():
            future.exception()  # retrieved: the failure is the one already raised, not logged again
    # The SDK's inner futures carry the same failure to every resource that waited on it; asyncio
    # would log each as "never retrieved" when it is collected. The caller has the failure.
    loop.set_exception_handler(_quiet_never_retrieved)


def _quiet_never_retrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if "never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)
