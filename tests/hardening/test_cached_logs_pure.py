"""``cached_log_page``: a cached VM's whole log filtered and ordered like a VM log page."""

from __future__ import annotations

import pytest

from cakework import LogLine
from cakework._cached_logs import cached_log_page, time_bound_ms

LINES = (
    LogLine(1_000, "info", "Booting"),
    LogLine(3_000, "error", "boom"),
    LogLine(2_000, "info", "BOOT done"),
)


def test_query_is_a_case_insensitive_substring() -> None:
    page = cached_log_page(LINES, query="boot", order="oldest_first", from_=None, to=None)
    assert [line.timestamp_ms for line in page.lines] == [1_000, 2_000]
    assert page.pagination is None


def test_order_and_time_window() -> None:
    page = cached_log_page(
        LINES,
        query=None,
        order="newest_first",
        from_="1970-01-01T00:00:02+00:00",
        to="1970-01-01T00:00:03Z",
    )
    assert [line.timestamp_ms for line in page.lines] == [3_000, 2_000]


def test_bad_time_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="yest"):
        time_bound_ms("yesterday")
