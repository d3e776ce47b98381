"""A simulated clock, a flow driver and a fake Api for pure flow tests (no server, no clock).

The fake Api's methods return tiny flows that yield nothing and return a value (or raise);
the waiting flows ``yield from`` them exactly as they would the real ``Api``'s flows. Time
exists only as :class:`SimClock`, advanced by the ``Sleep`` effects the flows yield.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

from cakework._flow import Flow, Now, Sleep
from cakework._models import VM, Build, LogLine, LogPage, VMPage
from cakework._pages import LogRequest, VMListRequest
from cakework._params import VMSpec
from cakework.errors import APIConnectionError, ConflictError, InternalServerError

T = TypeVar("T")

EPOCH_MS = 1_700_000_000_000
"""Wall-clock ms of simulated time 0 (log timestamps)."""
T0 = datetime(2023, 11, 14, tzinfo=UTC)


def value_flow(value: T) -> Flow[T]:
    """A flow with no effects that returns ``value``."""
    yield from ()
    return value


def raising_flow(exc: BaseException) -> Flow[Any]:
    """A flow with no effects that raises ``exc``."""
    yield from ()
    raise exc


def connection_error(operation: str = "getBuild") -> APIConnectionError:
    return APIConnectionError("connection refused", operation=operation)


def server_error(operation: str = "getBuild") -> InternalServerError:
    return InternalServerError("Service Unavailable", operation=operation, status_code=503, body="")


def conflict(operation: str = "stopVM") -> ConflictError:
    return ConflictError("already stopped", operation=operation, status_code=409, body="")


@attrs.define
class SimClock:
    """Simulated monotonic time; records every sleep."""

    t: float = 0.0
    sleeps: list[float] = attrs.field(factory=list)
    on_sleep: Callable[[float], None] | None = None

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, seconds
        self.sleeps.append(seconds)
        self.t += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)


def drive(flow: Flow[T], clock: SimClock) -> T:
    """Run a flow that only yields Now/Sleep against the simulated clock."""
    try:
        effect = next(flow)
        while True:
            if isinstance(effect, Sleep):
                clock.sleep(effect.seconds)
                effect = flow.send(None)
            elif isinstance(effect, Now):
                effect = flow.send(clock.t)
            else:  # pragma: no cover - the fake Api never sends
                raise AssertionError(f"unexpected effect {effect!r}")
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def adrive(flow: Flow[T], clock: SimClock) -> T:
    """Async twin of :func:`drive` for driver tests: each Sleep is an await point."""
    try:
        effect = next(flow)
        while True:
            if isinstance(effect, Sleep):
                clock.sleep(effect.seconds)
                await asyncio.sleep(0)
                effect = flow.send(None)
            elif isinstance(effect, Now):
                effect = flow.send(clock.t)
            else:  # pragma: no cover
                raise AssertionError(f"unexpected effect {effect!r}")
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        flow.close()


def make_build(status: str, build_id: str = "b-1") -> Build:
    return Build(
        build_id=build_id,
        status=status,
        created_at=T0,
        updated_at=T0,
        image_id="img-1" if status == "succeeded" else None,
    )


def make_vm(state: str, vm_id: str = "vm-1") -> VM:
    return VM(
        id=vm_id,
        hostname=f"{vm_id}.example",
        cpu=1,
        memory=256,
        image_id="img-1",
        state=state,
        created_at=T0,
        updated_at=T0,
    )


@attrs.define
class TimedLine:
    """A log line that becomes visible at simulated time ``visible_at``."""

    visible_at: float
    line: LogLine


class FakeLogs:
    """Logtail-style log paging over a list of lines, with the continuation rule enforced.

    Cursors are opaque offsets bound to (query, batch, order); ``from``/``to`` come back in
    the ``2023-03-07 06:12:56 UTC`` shape and must return verbatim. ``from`` is inclusive at
    whole seconds (the coarsest a client may assume); ``to`` defaults to now and is frozen
    into the cursor, like the service. ``quirk`` returns a cursor on the last, empty page.
    """

    def __init__(
        self, clock: SimClock, lines: Sequence[TimedLine] = (), *, quirk: bool = False
    ) -> None:
        self.clock = clock
        self.timed = list(lines)
        self.quirk = quirk
        self.requests: list[dict[str, Any]] = []

    def add(self, visible_at: float, ts_ms: int, message: str, level: str = "info") -> None:
        self.timed.append(TimedLine(visible_at, LogLine(ts_ms, level, message)))

    @staticmethod
    def _fmt(ms: int) -> str:
        return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    @staticmethod
    def _parse(value: str) -> int:
        if value.endswith(" UTC"):
            dt = datetime.strptime(value, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
        else:
            dt = datetime.fromisoformat(value)
        return int(dt.timestamp() * 1000)

    def page(
        self,
        *,
        query: str | None = None,
        batch: int | None = None,
        order: str | None = None,
        pagination: str | None = None,
        from_: str | None = None,
        to: str | None = None,
    ) -> LogPage:
        self.requests.append(
            {
                "query": query,
                "batch": batch,
                "order": order,
                "pagination": pagination,
                "from_": from_,
                "to": to,
            }
        )
        batch = batch or 100
        order = order or "oldest_first"
        now_ms = EPOCH_MS + int(self.clock.t * 1000)
        if pagination is not None:
            offset_s, q, b, o, f, t = pagination.split("|")
            assert (q, b, o) == (query or "", str(batch), order), "cursor reused with new params"
            assert (f, t) == (from_, to), "from/to not sent back verbatim"
            offset = int(offset_s)
            lo, hi = self._parse(f), self._parse(t) + 999
        else:
            offset = 0
            lo = self._parse(from_) if from_ is not None else 0
            hi = self._parse(to) if to is not None else now_ms
            # the window is echoed in the service's shape, seconds resolution; `to` is
            # rounded up so the window still covers `hi`.
            hi = hi - hi % 1000 + 999
            f, t = self._fmt(lo), self._fmt(hi)
            lo = self._parse(f)
        visible = [
            tl.line
            for tl in self.timed
            if tl.visible_at <= self.clock.t
            and lo <= tl.line.timestamp_ms <= hi
            and (query is None or query.lower() in tl.line.message.lower())
        ]
        # stable sort: lines of one millisecond keep their write order
        visible.sort(key=lambda line: line.timestamp_ms, reverse=(order == "newest_first"))
        chunk = visible[offset : offset + batch]
        nxt = offset + len(chunk)
        more = nxt < len(visible)
        if more or (self.quirk and pagination is not None) or (self.quirk and chunk):
            token = "|".join([str(nxt), query or "", str(batch), order, f, t])
            return LogPage(tuple(chunk), pagination=token, from_=f, to=t)
        return LogPage(tuple(chunk))


class FakeApi:
    """The methods of ``Api`` the waiters use, answering from simulated state.

    ``build_status(t)`` / ``vm_state(t)`` give the status at simulated time ``t``;
    ``failures`` maps an operation to a list of exceptions raised by its next calls.
    """

    def __init__(
        self,
        clock: SimClock,
        *,
        build_status: Callable[[float], str] = lambda t: "created",
        vm_state: Callable[[float], str] = lambda t: "created",
        logs: FakeLogs | None = None,
    ) -> None:
        self.clock = clock
        self.build_status = build_status
        self.vm_state = vm_state
        self.logs = logs if logs is not None else FakeLogs(clock)
        self.calls: Counter[str] = Counter()
        self.failures: dict[str, list[BaseException]] = {}
        self.log_kwargs: list[dict[str, Any]] = []
        self.stopped: list[str] = []

    def _maybe_fail(self, operation: str) -> BaseException | None:
        self.calls[operation] += 1
        pending = self.failures.get(operation)
        if pending:
            return pending.pop(0)
        return None

    def get_build(self, build_id: str) -> Flow[Build]:
        exc = self._maybe_fail("getBuild")
        if exc is not None:
            return raising_flow(exc)
        return value_flow(make_build(self.build_status(self.clock.t), build_id))

    def get_build_logs(self, build_id: str, request: LogRequest) -> Flow[LogPage]:
        exc = self._maybe_fail("getBuildLogs")
        self.log_kwargs.append({k: v for k, v in request.kwargs().items() if v is not None})
        if exc is not None:
            return raising_flow(exc)
        return value_flow(self.logs.page(**request.kwargs()))

    def get_vm_logs(self, vm_id: str, request: LogRequest) -> Flow[LogPage]:
        exc = self._maybe_fail("getVMLogs")
        if exc is not None:
            return raising_flow(exc)
        return value_flow(self.logs.page(**request.kwargs()))

    def get_vm(self, vm_id: str) -> Flow[VM]:
        exc = self._maybe_fail("getVM")
        if exc is not None:
            return raising_flow(exc)
        return value_flow(make_vm(self.vm_state(self.clock.t), vm_id))

    def start_vm(self, spec: VMSpec) -> Flow[VM]:
        exc = self._maybe_fail("startVM")
        if exc is not None:
            return raising_flow(exc)
        return value_flow(make_vm("created"))

    def stop_vm(self, vm_id: str) -> Flow[None]:
        exc = self._maybe_fail("stopVM")
        if exc is not None:
            return raising_flow(exc)
        self.stopped.append(vm_id)
        return value_flow(None)

    def list_vms(self, request: VMListRequest) -> Flow[VMPage]:
        raise NotImplementedError
