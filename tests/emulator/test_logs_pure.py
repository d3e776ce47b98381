"""Pure tests of Logtail-style paging (no server, no clock)."""

from __future__ import annotations

from typing import Any

import pytest

from cakework.testing._errors import EmulatorError
from cakework.testing._logs import (
    Line,
    LogPage,
    LogRequest,
    Order,
    format_echo,
    page_logs,
    parse_bound,
)

START = 1_678_168_800.0  # 2023-03-07 06:00:00 UTC


def make_lines(count: int, per_ms: int = 1) -> list[Line]:
    """``count`` lines, ``per_ms`` of them sharing each millisecond."""
    base = int(START * 1000)
    return [Line(base + n // per_ms, "info", f"line {n}") for n in range(count)]


def read_all(
    lines: list[Line],
    *,
    order: Order = "oldest_first",
    batch: int = 50,
    quirk: bool = False,
    query: str | None = None,
    from_: str | None = None,
    to: str | None = None,
) -> tuple[list[str], int]:
    request = LogRequest(query=query, batch=batch, order=order, from_=from_, to=to)
    messages: list[str] = []
    seen: set[str] = set()
    pages = 0
    while True:
        page = page_logs(lines, request, scope="r", start=START, now=START + 3600, quirk=quirk)
        pages += 1
        messages += [line.message for line in page.lines]
        if page.pagination is None or not page.lines or page.pagination in seen:
            return messages, pages
        seen.add(page.pagination)
        request = LogRequest(
            query=query,
            batch=batch,
            order=order,
            pagination=page.pagination,
            from_=page.from_,
            to=page.to,
        )


@pytest.mark.parametrize("per_ms", [1, 7, 50, 1000])
@pytest.mark.parametrize("order", ["oldest_first", "newest_first"])
def test_no_skips_or_duplicates_even_within_one_millisecond(per_ms: int, order: Order) -> None:
    lines = make_lines(260, per_ms)
    messages, pages = read_all(lines, order=order)
    expected = [line.message for line in lines]
    assert messages == (expected if order == "oldest_first" else expected[::-1])
    assert pages == 6  # 50+50+50+50+50+10


def test_default_batch_is_100() -> None:
    page = page_logs(make_lines(150), LogRequest(), scope="r", start=START, now=START + 60)
    assert len(page.lines) == 100
    assert page.pagination is not None


def test_query_is_case_insensitive_substring() -> None:
    lines = [Line(1, "info", "Hello World"), Line(2, "info", "bye"), Line(3, "warn", "WORLD!")]
    page = page_logs(lines, LogRequest(query="world"), scope="r", start=0, now=10)
    assert [line.message for line in page.lines] == ["Hello World", "WORLD!"]


def test_echo_values_and_window() -> None:
    lines = [Line(int(START * 1000) + n * 1000, "info", f"s{n}") for n in range(120)]
    messages, _ = read_all(lines, from_="2023-03-07T06:00:10Z", to="2023-03-07T06:00:19+00:00")
    assert messages == [f"s{n}" for n in range(10, 20)]
    page = page_logs(
        lines,
        LogRequest(batch=50, from_="2023-03-07T06:00:00+0000"),
        scope="r",
        start=START,
        now=START + 200,
    )
    assert page.from_ == "2023-03-07 06:00:00 UTC"
    assert page.to == "2023-03-07 06:03:20 UTC"
    assert parse_bound("from", format_echo(1_678_168_810)) == 1_678_168_810


def test_cursor_with_changed_parameters_is_rejected() -> None:
    lines = make_lines(200)
    first = page_logs(lines, LogRequest(batch=50), scope="r", start=START, now=START + 60)
    assert first.pagination is not None
    assert first.from_ is not None
    assert first.to is not None

    def follow(**changes: Any) -> LogRequest:
        base: dict[str, Any] = {
            "batch": 50,
            "pagination": first.pagination,
            "from_": first.from_,
            "to": first.to,
        }
        return LogRequest(**{**base, **changes})

    page_logs(lines, follow(), scope="r", start=START, now=START + 60)
    changes: list[LogRequest] = [
        follow(batch=60),
        follow(query="x"),
        follow(order="newest_first"),
        follow(from_="2023-03-07T06:00:00Z"),
        follow(from_=None, to=None),
        follow(pagination="%%%"),
    ]
    for request in changes:
        with pytest.raises(EmulatorError) as caught:
            page_logs(lines, request, scope="r", start=START, now=START + 60)
        assert caught.value.status == 409
    with pytest.raises(EmulatorError):
        page_logs(lines, follow(), scope="other", start=START, now=START + 60)


def test_no_cursor_on_last_page_without_quirk() -> None:
    page = page_logs(make_lines(50), LogRequest(batch=50), scope="r", start=START, now=START + 1)
    assert page == LogPage(lines=page.lines)
    assert len(page.lines) == 50


def test_quirk_returns_a_cursor_on_the_last_and_empty_page() -> None:
    lines = make_lines(60)
    request = LogRequest(batch=50)
    first = page_logs(lines, request, scope="r", start=START, now=START + 1, quirk=True)
    assert first.pagination is not None
    follow = LogRequest(batch=50, pagination=first.pagination, from_=first.from_, to=first.to)
    second = page_logs(lines, follow, scope="r", start=START, now=START + 1, quirk=True)
    assert len(second.lines) == 10
    assert second.pagination is not None
    follow = LogRequest(batch=50, pagination=second.pagination, from_=second.from_, to=second.to)
    third = page_logs(lines, follow, scope="r", start=START, now=START + 1, quirk=True)
    assert third.lines == ()
    assert third.pagination == second.pagination  # the loop trap a reader must detect
    messages, pages = read_all(lines, quirk=True)
    assert len(messages) == 60
    assert pages == 3


def test_quirk_on_empty_log() -> None:
    page = page_logs([], LogRequest(), scope="r", start=START, now=START + 1, quirk=True)
    assert page.lines == ()
    assert page.pagination is not None


@pytest.mark.parametrize("value", ["yesterday-ish", "2023-13-45T00:00:00Z", ""])
def test_bad_bounds_are_400(value: str) -> None:
    with pytest.raises(EmulatorError) as caught:
        page_logs([], LogRequest(from_=value), scope="r", start=START, now=START)
    assert caught.value.status == 400


# Not ISO 8601: a fuzzy parser reads these against today's real date, so the same request
# would select other lines tomorrow; "Feb 30" must not roll over into March.
@pytest.mark.parametrize(
    "value", ["5", "10:00", "March 7 2023", "2023-02-30 00:00:00 UTC", "2023-02-30T00:00:00Z"]
)
def test_bounds_are_iso_8601_or_echo_values_only(value: str) -> None:
    with pytest.raises(EmulatorError) as caught:
        parse_bound("from", value)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2023-03-07T06:00:10+0000", 1_678_168_810),  # the shape the vendor docs show
        ("2023-03-07T06:00:10.999Z", 1_678_168_810),
        ("2023-03-06T22:00:10-08:00", 1_678_168_810),
        ("2023-03-07 06:00:10", 1_678_168_810),
        ("2023-03-07", 1_678_147_200),
        ("2023-03-07 06:00:10 UTC", 1_678_168_810),
    ],
)
def test_bounds_accepted(value: str, seconds: int) -> None:
    assert parse_bound("from", value) == seconds
