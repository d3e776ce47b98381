"""The follow window: which lines of the newest second were delivered already.

Follow mode (``tail -f``) asks again from the start of the second of the newest line
delivered, so lines of that second come back. They are recognised by counting
occurrences of ``(timestamp, level, message)`` within the window: the *n*-th occurrence
of a key is new exactly when fewer than *n* were yielded before. That is exact even for
identical lines in the same millisecond, and the state is bounded by the lines of one
second.
"""

from __future__ import annotations

from collections import Counter
from typing import TypeAlias

from ._models import LogLine
from ._pages import LogBatch

_KeyT: TypeAlias = tuple[int, str, str]


def second_start(ms: int) -> int:
    """The first millisecond of the second that holds ``ms``."""
    return ms - ms % 1000


class FollowWindow:
    """Follow-mode dedupe: occurrences of each line key yielded since ``start`` ms.

    Only lines from ``start`` on are counted: an older line is never asked for again (a
    poll reads from ``start``), and the sum of the counts is how many lines at the head
    of such a poll's answer were delivered already. Every counted key is therefore
    inside the second that begins at ``start``.

    A page's lines are counted when the counts are next needed (a resume position, a
    poll), not as the page ends: the next page usually moves the window to a newer
    second, and then nothing of this one is counted at all.
    """

    def __init__(self) -> None:
        self.start: int | None = None
        self._counts: Counter[_KeyT] = Counter()
        self.poll_counts: Counter[_KeyT] = Counter()
        # Rows begin to end of a batch, delivered but not counted yet (inside the window).
        self._pending: tuple[LogBatch, int, int] | None = None

    @property
    def counts(self) -> Counter[_KeyT]:
        """Occurrences of each ``(timestamp_ms, level, message)`` delivered since ``start``."""
        self._count_pending()
        return self._counts

    def _count_pending(self) -> None:
        if self._pending is not None and self.start is not None:
            batch, begin, end = self._pending
            self._pending = None
            self._counts.update(batch.keys_since(self.start, begin, end))

    def new_poll(self) -> None:
        self.poll_counts = Counter()

    def _move(self, second: int) -> None:
        # A newer second: every key counted so far lies in an older one.
        self.start = second
        self._pending = None
        self._counts.clear()
        self.poll_counts.clear()

    def record(self, line: LogLine) -> None:
        """Count a yielded line, moving the window to its second if it is newer."""
        second = second_start(line.timestamp_ms)
        if self.start is None or second > self.start:
            self._move(second)
        elif line.timestamp_ms < self.start:
            return
        key = (line.timestamp_ms, line.level, line.message)
        self.counts[key] += 1
        self.poll_counts[key] += 1

    def record_many(self, batch: LogBatch, begin: int, end: int) -> None:
        """Count rows ``begin`` to ``end`` of ``batch``, yielded outside any follow poll.

        The same counts as :meth:`record` line by line: the window moves at most to the
        newest second among them, and only the lines from its start on are counted (in
        C, once the counts are asked for). ``poll_counts`` is left alone: it only means
        something inside a poll, whose lines go out one by one through :meth:`record`,
        and the next poll starts it afresh.
        """
        if end <= begin:
            return
        second = second_start(batch.newest(begin, end))
        if self.start is None or second > self.start:
            self._move(second)
        else:
            self._count_pending()
        self._pending = (batch, begin, end)

    def is_new(self, line: LogLine) -> bool:
        """Whether ``line`` (seen in a follow poll) was not yielded before.

        Counts the sighting: the n-th occurrence of a key in this poll is new exactly
        when fewer than n were yielded before.
        """
        if self.start is not None and line.timestamp_ms < self.start:
            return False
        key = (line.timestamp_ms, line.level, line.message)
        if self.poll_counts[key] < self.counts[key]:
            self.poll_counts[key] += 1
            return False
        return True
