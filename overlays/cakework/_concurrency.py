"""What differs between the two clients beyond ``await``: threads versus tasks.

The hand-written async edge (``_async``) calls the ``*_async`` functions below; the
generated sync edge (``_sync``, made by ``scripts/unasync.py``) calls the ``*_sync``
function of the same name. Each pair does the same job with the tools of its world, so
they are not twins: Ctrl-C versus task cancellation, a worker thread versus
``asyncio.to_thread``, ``threading.Event`` versus ``asyncio.Event``.

asyncio is imported by the async functions themselves (and ``sleep_async`` on first
use): ``import cakework`` for the blocking client loads no asyncio.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ._pending import SHIELDED

if TYPE_CHECKING:
    import asyncio

    sleep_async: Callable[[float], Awaitable[None]]  # asyncio.sleep, from __getattr__

T = TypeVar("T")


sleep_sync = time.sleep
"""Blocking sleep, the default of the blocking pump."""


def __getattr__(name: str) -> Any:
    # ``sleep_async``: asyncio sleep, the default of the asyncio pump.
    if name == "sleep_async":
        import asyncio

        return asyncio.sleep
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def through_interrupt_sync(call: Callable[[], T], *, patient: bool = True) -> T:
    """``call()``; a Ctrl-C meanwhile waits for its answer and is raised after it.

    With ``patient=False`` (already on the way out after a Ctrl-C) the next Ctrl-C
    gives up at once, leaving ``call`` to finish, or not, on its own.
    """
    result, interrupt = finish_despite_interrupt(call, patient=patient)
    if interrupt is not None:
        raise interrupt
    return result


async def through_interrupt_async(call: Callable[[], Awaitable[T]], *, patient: bool = True) -> T:
    """Await ``call()``; a cancellation meanwhile waits for its answer, raised after it.

    With ``patient=False`` (already on the way out after a cancellation) the next
    cancellation gives up at once and cancels ``call``.
    """
    result, cancel = await finish_despite_cancel(call, patient=patient)
    if cancel is not None:
        raise cancel
    return result


def is_interrupt_sync(exc: BaseException) -> bool:
    """Whether ``exc`` is the user asking to stop: Ctrl-C."""
    return isinstance(exc, KeyboardInterrupt)


def is_interrupt_async(exc: BaseException) -> bool:
    """Whether ``exc`` is the user asking to stop: Ctrl-C or the task's cancellation."""
    import asyncio

    return isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)


def blocking_sync(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking work (reading a folder) here."""
    return fn(*args)


async def blocking_async(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking work (reading a folder) off the event loop."""
    import asyncio

    return await asyncio.to_thread(fn, *args)


def new_signal_sync() -> threading.Event:
    """A signal a thread can wait on."""
    return threading.Event()


def new_signal_async() -> asyncio.Event:
    """A signal a task can wait on."""
    import asyncio

    return asyncio.Event()


def wait_signal_sync(event: threading.Event, timeout: float | None) -> None:
    """Wait for ``event`` or ``timeout`` seconds (``None``: no limit)."""
    # timeout=math.inf is valid for callers; Event.wait overflows past TIMEOUT_MAX.
    event.wait(None if timeout is None or timeout > threading.TIMEOUT_MAX else timeout)


async def wait_signal_async(event: asyncio.Event, timeout: float | None) -> None:  # noqa: ASYNC109
    """Wait for ``event`` or ``timeout`` seconds (``None``: no limit)."""
    import asyncio

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)


def all_done_sync(
    jobs: Sequence[Callable[[], T]],
    *,
    patient: bool = True,
    on_hold: Callable[[BaseException], None] | None = None,
) -> list[T]:
    """Run ``jobs`` side by side on threads and return their results once all are done.

    Each job must catch its own errors. Interrupted while waiting, it still lets every
    job finish (a job may be creating a VM that must be known before cleanup), then the
    interrupt goes on; a second Ctrl-C ends it. With ``patient=False`` (the caller is
    already handling a Ctrl-C) the first one ends it: the daemon threads are abandoned.
    ``on_hold`` hears of an interrupt that is held back while the jobs finish.
    """
    results: list[Any] = [None] * len(jobs)

    def work(index: int) -> None:
        results[index] = jobs[index]()

    threads = [
        threading.Thread(target=work, args=(i,), name=f"cakework-pool-{i}", daemon=True)
        for i in range(len(jobs))
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException as interrupt:
        if patient:
            if on_hold is not None:
                on_hold(interrupt)
            for thread in threads:
                thread.join()
        raise
    return results


async def all_done_async(
    jobs: Sequence[Callable[[], Awaitable[T]]],
    *,
    patient: bool = True,
    on_hold: Callable[[BaseException], None] | None = None,
) -> list[T]:
    """Run ``jobs`` side by side as tasks; see :func:`all_done_sync`.

    Cancelled while waiting, the children are not cancelled: they finish first (with
    ``patient=False`` they are cancelled and the cancellation goes on at once).
    """
    import asyncio

    if not jobs:
        return []
    tasks = [asyncio.ensure_future(job()) for job in jobs]
    try:
        await asyncio.wait(tasks)
    except BaseException as interrupt:
        if not patient:
            for task in tasks:
                task.cancel()
            raise
        if on_hold is not None:
            on_hold(interrupt)
        await asyncio.wait(tasks)
        raise
    return [task.result() for task in tasks]


def finish_despite_interrupt(
    call: Callable[[], T],
    *,
    patient: bool = True,
    on_hold: Callable[[BaseException], None] | None = None,
) -> tuple[T, BaseException | None]:
    """Run ``call`` (a request that creates something) so Ctrl-C cannot lose its answer.

    Ctrl-C (``KeyboardInterrupt``) lands in the main thread. If that thread were reading
    the answer of startVM or cacheVM -- the only place the new VM's id appears -- the
    answer would be lost and the VM left running. So on the main thread ``call`` runs
    on a worker thread that the main thread waits for; interrupted, it keeps waiting for
    the answer (bounded by its timeout and retries; another Ctrl-C gives up) and hands back
    both. Off the main thread ``call`` just runs. The async client gets the same from
    ``asyncio.shield``.

    Args:
        call: The request.
        patient: ``False`` when the caller is already handling a Ctrl-C: this one is
            then the second, and gives up at once instead of waiting for the answer.
        on_hold: Hears of the interrupt held back while the answer is awaited; a
            different one raised later is the second, which gave up. ``call`` runs
            with ``_pending.SHIELDED`` set: whoever shields it names what it may leave.

    Returns:
        ``(result, None)``; or ``(result, interrupt)`` when an interrupt arrived while
        ``call`` ran and ``call`` still finished: record the result (so the VM can be
        cleaned up), then raise ``interrupt``.

    Raises:
        BaseException: Whatever ``call`` raised; or the interrupt, if ``call`` failed
            too or never started.
    """
    if threading.current_thread() is not threading.main_thread():
        return call(), None  # only the main thread receives KeyboardInterrupt
    results: list[T] = []
    errors: list[BaseException] = []
    began, done = threading.Event(), threading.Event()

    def work() -> None:
        SHIELDED.set(True)
        began.set()
        try:
            results.append(call())
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    context = contextvars.copy_context()  # the caller's context (tracing, log fields)
    worker = threading.Thread(target=context.run, args=(work,), name="cakework-request")
    worker.daemon = True
    try:
        worker.start()
        done.wait()
    except BaseException as interrupt:
        if not patient:
            raise  # the user pressed Ctrl-C twice: the daemon worker is abandoned
        # Also when the interrupt hit inside start(): a launched worker reports in at
        # once; one that never launched sent nothing, and 1 s is plenty to tell them apart.
        if not began.wait(1.0):
            raise
        if on_hold is not None:
            on_hold(interrupt)
        done.wait()
        if not results:
            raise
        return results[0], interrupt
    if errors:
        raise errors.pop()
    return results[0], None


async def finish_despite_cancel(
    call: Callable[[], Awaitable[T]],
    *,
    patient: bool = True,
    on_hold: Callable[[BaseException], None] | None = None,
) -> tuple[T, BaseException | None]:
    """Await ``call`` so that a task cancellation cannot lose its answer.

    The async twin of :func:`finish_despite_interrupt`: ``call`` runs shielded; if the
    awaiting task is cancelled meanwhile, the answer is still awaited (a second
    cancellation gives up and cancels ``call``) and handed back with the cancellation.

    Returns:
        ``(result, None)``; or ``(result, cancellation)``: record the result, then raise
        the cancellation.

    Raises:
        BaseException: Whatever ``call`` raised; or the cancellation, if ``call`` failed
            too.
    """
    import asyncio

    async def shielded() -> T:
        SHIELDED.set(True)  # in the task's own copy of the context
        return await call()

    task = asyncio.ensure_future(shielded())
    try:
        return await asyncio.shield(task), None
    except asyncio.CancelledError as cancel:
        if not patient:
            task.cancel()
            raise
        if on_hold is not None:
            on_hold(cancel)
        try:
            result = await task
        except BaseException:
            if task.done() and not task.cancelled():
                raise cancel from None  # it failed: nothing to record, the cancel goes on
            task.cancel()  # we were cancelled again: give up (this is the second one)
            raise
        return result, cancel
