"""The retry decision (``_retry``), tested as a pure function: no server, no clock."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from cakework import _retry
from cakework._retry import (
    BACKOFF_CAP,
    CREATING_OPERATIONS,
    SAFE_OPERATIONS,
    backoff_delay,
    never_left,
    parse_retry_after,
    retry_delay,
)

from ._fakes import response

REQ = httpx.Request("POST", "http://x/v1")
ROOT = Path(__file__).resolve().parents[2]

RETRYABLE_FOR_SAFE: list[httpx.HTTPError | int] = [
    httpx.ConnectError("refused", request=REQ),
    httpx.ConnectTimeout("connect", request=REQ),
    httpx.PoolTimeout("pool", request=REQ),
    httpx.ReadTimeout("read", request=REQ),
    httpx.WriteTimeout("write", request=REQ),
    httpx.ReadError("reset", request=REQ),
    httpx.RemoteProtocolError("dropped", request=REQ),
    408,
    429,
    500,
    502,
    503,
    504,
]
NEVER_RETRYABLE = [400, 401, 403, 404, 409, 422, 501, 505, 520, 599]
NOT_SENT: list[httpx.HTTPError | int] = [
    httpx.ConnectError("refused", request=REQ),
    httpx.ConnectTimeout("connect", request=REQ),
    httpx.PoolTimeout("pool", request=REQ),
    429,
]
MAYBE_SENT: list[httpx.HTTPError | int] = [
    httpx.ReadTimeout("read", request=REQ),
    httpx.WriteTimeout("write", request=REQ),
    httpx.ReadError("reset", request=REQ),
    httpx.RemoteProtocolError("dropped", request=REQ),
    408,
    500,
    502,
    503,
    504,
]


def outcome_of(spec: httpx.HTTPError | int) -> httpx.Response | httpx.HTTPError:
    return response(spec) if isinstance(spec, int) else spec


def test_every_operation_has_exactly_one_retry_class() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    operation_ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert operation_ids == SAFE_OPERATIONS | CREATING_OPERATIONS
    assert not SAFE_OPERATIONS & CREATING_OPERATIONS


@pytest.mark.parametrize("operation", sorted(SAFE_OPERATIONS))
@pytest.mark.parametrize("spec", RETRYABLE_FOR_SAFE, ids=repr)
def test_safe_operations_retry_transient_failures(
    operation: str, spec: httpx.HTTPError | int
) -> None:
    assert retry_delay(operation, 1, outcome_of(spec), max_retries=2, rng=lambda: 1.0) == 0.5


@pytest.mark.parametrize("operation", sorted(SAFE_OPERATIONS | CREATING_OPERATIONS))
@pytest.mark.parametrize("status", NEVER_RETRYABLE)
def test_other_statuses_are_never_retried(operation: str, status: int) -> None:
    assert retry_delay(operation, 1, response(status), max_retries=2) is None


@pytest.mark.parametrize("operation", sorted(CREATING_OPERATIONS))
@pytest.mark.parametrize("spec", NOT_SENT, ids=repr)
def test_creating_posts_retry_only_what_never_reached_the_server(
    operation: str, spec: httpx.HTTPError | int
) -> None:
    assert retry_delay(operation, 1, outcome_of(spec), max_retries=2, rng=lambda: 1.0) == 0.5


@pytest.mark.parametrize("operation", sorted(CREATING_OPERATIONS))
@pytest.mark.parametrize("spec", MAYBE_SENT, ids=repr)
def test_creating_posts_never_retry_what_may_have_reached_the_server(
    operation: str, spec: httpx.HTTPError | int
) -> None:
    assert retry_delay(operation, 1, outcome_of(spec), max_retries=5) is None


def test_unsupported_protocol_is_not_transient() -> None:
    error = httpx.UnsupportedProtocol("ftp", request=REQ)
    assert retry_delay("getVM", 1, error, max_retries=2) is None


NEVER_LEFT: list[httpx.HTTPError] = [
    httpx.ConnectError("refused", request=REQ),
    httpx.ConnectTimeout("connect", request=REQ),
    httpx.PoolTimeout("pool", request=REQ),
    httpx.UnsupportedProtocol("ftp", request=REQ),
]
MAY_HAVE_LEFT: list[httpx.HTTPError | int] = [*MAYBE_SENT, 200, 429]
MAYBE_SENT_ERRORS: list[httpx.HTTPError] = [s for s in MAYBE_SENT if not isinstance(s, int)]


@pytest.mark.parametrize("spec", NEVER_LEFT, ids=repr)
def test_never_left_is_true_for_errors_raised_before_sending(spec: httpx.HTTPError) -> None:
    assert never_left(spec) is True


@pytest.mark.parametrize("spec", MAY_HAVE_LEFT, ids=repr)
def test_never_left_is_false_once_the_request_may_have_gone_out(
    spec: httpx.HTTPError | int,
) -> None:
    # A response of any status means the server saw the request.
    assert never_left(outcome_of(spec)) is False


@pytest.mark.parametrize("operation", sorted(CREATING_OPERATIONS))
@pytest.mark.parametrize("spec", NEVER_LEFT + MAYBE_SENT_ERRORS, ids=repr)
def test_a_creating_error_is_resent_only_if_it_never_left_and_may_pass_next_time(
    operation: str, spec: httpx.HTTPError
) -> None:
    # The retry decision and the maybe_created mark (tests/client/test_request_flow.py)
    # read the same definition; of the errors, only those that never left are resent,
    # and of those only the transient ones (a scheme httpx cannot speak fails again).
    resent = retry_delay(operation, 1, spec, max_retries=2, rng=lambda: 1.0) is not None
    assert resent == (never_left(spec) and not isinstance(spec, httpx.UnsupportedProtocol))


@pytest.mark.parametrize(
    ("max_retries", "attempt", "retried"),
    [(0, 1, False), (1, 1, True), (1, 2, False), (2, 2, True), (2, 3, False)],
)
def test_max_retries_counts_retries(max_retries: int, attempt: int, retried: bool) -> None:
    delay = retry_delay("getVM", attempt, response(503), max_retries=max_retries)
    assert (delay is not None) is retried


def test_backoff_is_exponential_with_cap_and_full_jitter() -> None:
    assert [backoff_delay(a, lambda: 1.0) for a in range(1, 8)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
        8.0,
    ]
    assert backoff_delay(3, lambda: 0.0) == 0.0
    assert backoff_delay(3, lambda: 0.25) == 0.5
    assert (_retry.BACKOFF_BASE, _retry.BACKOFF_CAP, _retry.RETRY_AFTER_CAP) == (0.5, 8.0, 120.0)


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        ("3", None, 3.0),
        (" 1.5 ", None, 1.5),
        ("-4", None, 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 1445412480.0, 30.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 1445412600.0, 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", None, None),
        ("soon", 0.0, None),
        (None, 0.0, None),
    ],
)
def test_parse_retry_after(value: str | None, now: float | None, expected: float | None) -> None:
    assert parse_retry_after(value, now) == expected


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    def after(value: str) -> float | None:
        resp = response(429, headers={"Retry-After": value})
        return retry_delay("startVM", 1, resp, max_retries=2, rng=lambda: 1.0)

    assert after("7") == 7.0
    assert after("120") == 120.0
    assert after("121") is None
    assert after("not a number") == 0.5  # unreadable: fall back to backoff


def test_retry_after_http_date_uses_now() -> None:
    resp = response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"})
    delay = retry_delay("getVM", 1, resp, max_retries=2, now=1445412470.0)
    assert delay == 40.0


def test_backoff_of_a_very_late_attempt_is_the_cap_not_an_overflow() -> None:
    # max_retries=sys.maxsize ("retry forever") reached attempt 1025 after a couple of
    # hours of outage and then raised OverflowError from 2.0 ** 1024.
    assert backoff_delay(1025, lambda: 1.0) == BACKOFF_CAP
    assert backoff_delay(10**9, lambda: 0.5) == BACKOFF_CAP / 2
