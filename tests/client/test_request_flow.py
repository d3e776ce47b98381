"""The request flow (``_request`` via ``Api``), driven by hand: no server, no clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cakework import (
    VM,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
)
from cakework._config import ClientConfig, Secret
from cakework._flow import Send, Sleep
from cakework._params import VMSpec
from cakework._request import Api

from ._fakes import API_KEY, VM_BODY, drive, make_api, response, sends, sleeps

REQ = httpx.Request("POST", "http://flow.test/v1")


def test_first_effect_is_the_generated_request_completed() -> None:
    flow = make_api().start_vm(VMSpec(image_id="img-1", fields={"cpu": 2, "env_vars": {"A": "b"}}))
    effect = next(flow)
    assert isinstance(effect, Send)
    assert effect.operation == "startVM"
    req = effect.request
    assert (req["method"], req["url"]) == ("post", "http://flow.test/v1/vm/start")
    assert req["json"] == {"imageId": "img-1", "cpu": 2, "envVars": {"A": "b"}}
    assert req["headers"]["X-Api-Key"] == API_KEY
    assert req["headers"]["User-Agent"].startswith("cakework-python/")
    assert req["extensions"] == {"timeout": httpx.Timeout(60.0, connect=5.0).as_dict()}
    flow.close()


def test_success_parses_into_our_model() -> None:
    vm, effects = drive(make_api().get_vm("e784996f346483"), [response(200, VM_BODY)])
    assert isinstance(vm, VM)
    assert vm.created_at == datetime(2023, 2, 24, 20, 29, 40, 331000, tzinfo=UTC)
    assert vm.updated_at.utcoffset() is not None
    assert sends(effects) == 1


def test_503_twice_then_success_sends_three_times_and_sleeps_between() -> None:
    outcomes = [response(503), response(503), response(200, VM_BODY)]
    vm, effects = drive(make_api(rng_value=1.0).get_vm("v"), outcomes)
    assert vm.id == VM_BODY["id"]
    assert [type(e) for e in effects] == [Send, Sleep, Send, Sleep, Send]
    assert sleeps(effects) == [0.5, 1.0]


def test_retries_run_out() -> None:
    with pytest.raises(InternalServerError) as info:
        drive(make_api(max_retries=2).get_vm("v"), [response(503)] * 3)
    assert sends(info.value.effects) == 3  # type: ignore[attr-defined]


def test_max_retries_zero_disables_retries() -> None:
    with pytest.raises(InternalServerError) as info:
        drive(make_api(max_retries=0).get_vm("v"), [response(503)])
    assert sends(info.value.effects) == 1  # type: ignore[attr-defined]


def test_creating_post_is_not_resent_after_a_5xx() -> None:
    with pytest.raises(InternalServerError) as info:
        drive(make_api().start_vm(VMSpec(image_id="i")), [response(502)])
    assert sends(info.value.effects) == 1  # type: ignore[attr-defined]


def test_creating_post_is_resent_after_connect_error() -> None:
    refused = httpx.ConnectError("refused", request=REQ)
    vm, effects = drive(
        make_api().start_vm(VMSpec(image_id="i")), [refused, response(200, VM_BODY)]
    )
    assert vm.id == VM_BODY["id"]
    assert sends(effects) == 2


def test_creating_post_read_timeout_raises_at_once_with_cause() -> None:
    timeout = httpx.ReadTimeout("timed out", request=REQ)
    with pytest.raises(APITimeoutError) as info:
        drive(make_api().start_vm(VMSpec(image_id="i")), [timeout])
    assert info.value.__cause__ is timeout
    assert info.value.operation == "startVM"
    assert sends(info.value.effects) == 1  # type: ignore[attr-defined]


def test_creating_post_dropped_connection_is_a_connection_error() -> None:
    dropped = httpx.RemoteProtocolError("Server disconnected", request=REQ)
    with pytest.raises(APIConnectionError) as info:
        drive(make_api().cache_vm(VMSpec(image_id="i")), [dropped])
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.__cause__ is dropped


@pytest.mark.parametrize(
    ("error", "maybe_created"),
    [
        (httpx.ConnectError("refused", request=REQ), False),
        (httpx.ConnectTimeout("connect", request=REQ), False),
        (httpx.PoolTimeout("pool", request=REQ), False),
        (httpx.UnsupportedProtocol("ftp", request=REQ), False),
        (httpx.ReadTimeout("read", request=REQ), True),
        (httpx.WriteError("write", request=REQ), True),
        (httpx.RemoteProtocolError("dropped", request=REQ), True),
    ],
    ids=lambda value: type(value).__name__,
)
def test_a_lost_create_is_maybe_created_exactly_when_the_request_may_have_left(
    error: httpx.HTTPError, maybe_created: bool
) -> None:
    # One definition of "the request never left" (``_retry.never_left``): an error that
    # never left is not maybe_created, whatever the retry budget did with it.
    with pytest.raises(APIConnectionError) as info:
        drive(make_api(max_retries=0).start_vm(VMSpec(image_id="i")), [error])
    assert info.value.__cause__ is error
    assert info.value.maybe_created is maybe_created


def test_connection_error_message_says_where_the_request_went() -> None:
    # "ConnectError: [Errno 111] Connection refused" alone does not reveal a wrong
    # base_url; the method and URL do (never credentials or the query string).
    config = ClientConfig(
        api_key=Secret(API_KEY), base_url="http://user:pw-secret@flow.test:8080/v1", max_retries=0
    )
    api = Api(config)
    with pytest.raises(APIConnectionError) as info:
        drive(api.get_vm("v-1"), [httpx.ConnectError("Connection refused", request=REQ)])
    assert str(info.value) == (
        "getVM: ConnectError: Connection refused (GET http://flow.test:8080/v1/vm/v-1)"
    )


def test_429_retry_after_is_slept() -> None:
    limited = response(429, {"error": "slow down"}, headers={"Retry-After": "4"})
    _vm, effects = drive(
        make_api().start_vm(VMSpec(image_id="i")), [limited, response(200, VM_BODY)]
    )
    assert sleeps(effects) == [4.0]


def test_429_retry_after_too_long_raises_rate_limit_error() -> None:
    limited = response(429, {"error": "slow down"}, headers={"Retry-After": "600"})
    with pytest.raises(RateLimitError) as info:
        drive(make_api().get_vm("v"), [limited])
    assert info.value.retry_after == 600.0
    assert info.value.message == "slow down"


def test_retry_after_http_date_is_measured_from_the_date_header() -> None:
    headers = {
        "Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT",
        "Date": "Wed, 21 Oct 2015 07:28:20 GMT",
    }
    _, effects = drive(
        make_api().get_vm("v"), [response(503, headers=headers), response(200, VM_BODY)]
    )
    assert sleeps(effects) == [10.0]


def test_retried_stop_answering_409_is_success() -> None:
    dropped = httpx.ReadError("reset", request=REQ)
    result, effects = drive(make_api().stop_vm("v"), [dropped, response(409, {"error": "stopped"})])
    assert result is None
    assert sends(effects) == 2


def test_first_stop_answering_409_is_a_conflict() -> None:
    with pytest.raises(ConflictError):
        drive(make_api().stop_vm("v"), [response(409, {"error": "already stopped"})])


def test_stop_204_is_none() -> None:
    assert drive(make_api().stop_cached_vm("c"), [response(204)])[0] is None


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, APIStatusError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, APIStatusError),
        (429, RateLimitError),
        (500, InternalServerError),
        (501, InternalServerError),
        (520, InternalServerError),
        (599, InternalServerError),
    ],
)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"error": "the error", "message": "the message"}', "the error"),
        (b'{"message": "the message"}', "the message"),
        (b'"a bare string"', "a bare string"),
        (b"", None),
        (b"<html><body>Bad gateway</body></html>", None),
        (b'{"error": 5}', None),
        (b"[" * 100_000, None),  # too deep for json: used to escape as RecursionError
    ],
)
def test_error_statuses_map_to_classes_and_messages(
    status: int, cls: type[APIStatusError], content: bytes, message: str | None
) -> None:
    with pytest.raises(APIStatusError) as info:
        drive(
            make_api(max_retries=0).cache_vm(VMSpec(image_id="i")),
            [response(status, content=content)],
        )
    error = info.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.body == content.decode()
    assert error.operation == "cacheVM"
    phrases = {520: "HTTP 520", 599: "HTTP 599"}
    expected = message or phrases.get(status) or httpx.codes.get_reason_phrase(status)
    assert error.message == expected
    assert str(status) in str(error)
    assert expected in str(error)


@pytest.mark.parametrize(
    "content",
    [
        b'{"id": "x"}',  # missing fields
        b'{"id": "x", "hostname": "h", "cpu": "one", "memory": 256, "imageId": "i",'
        b' "state": "started", "createdAt": "2023-02-24 20:29:40", "updatedAt": "2023-02-24"}',
        b'{"id": "x", "hostname": "h", "cpu": 1, "memory": 256, "imageId": "i",'
        b' "state": "started", "createdAt": "yesterday", "updatedAt": "2023-02-24"}',
        # dateutil's free-form parser used to turn these into made-up dates
        b'{"id": "x", "hostname": "h", "cpu": 1, "memory": 256, "imageId": "i",'
        b' "state": "started", "createdAt": "5", "updatedAt": "March"}',
        b"not json at all",
        b'{"id": "x", "hostname": "h", "cpu": 1, "mem',  # truncated
        b"[1, 2, 3]",
        b"",
        b"[" * 100_000,
    ],
)
def test_bad_2xx_bodies_raise_response_validation_error(content: bytes) -> None:
    with pytest.raises(ResponseValidationError) as info:
        drive(make_api().get_vm("v"), [response(200, content=content)])
    assert info.value.operation == "getVM"
    assert info.value.body == content.decode()
    assert sends(info.value.effects) == 1  # type: ignore[attr-defined]


def test_undocumented_2xx_for_a_model_operation_is_a_validation_error() -> None:
    with pytest.raises(ResponseValidationError):
        drive(make_api().get_vm("v"), [response(204)])


def test_secrets_echoed_by_the_server_are_scrubbed() -> None:
    echo: dict[str, Any] = {"error": "bad password hunter2-secret for key " + API_KEY}
    flow = make_api().import_image(
        image_uri="1.dkr.ecr.r.amazonaws.com/x", password="hunter2-secret"
    )
    with pytest.raises(BadRequestError) as info:
        drive(flow, [response(400, echo)])
    for text in (str(info.value), info.value.body, info.value.message, repr(info.value)):
        assert "hunter2-secret" not in text
        assert API_KEY not in text


def test_a_short_secret_is_scrubbed_where_it_stands_alone_not_inside_words() -> None:
    # A test key such as "k" used to turn "not known" into "not ***nown".
    config = ClientConfig(api_key=Secret("k"), base_url="http://flow.test/v1", max_retries=0)
    api = Api(config)
    with pytest.raises(APIConnectionError) as info:
        drive(api.get_vm("v"), [httpx.ConnectError("Name or service not known", request=REQ)])
    assert "Name or service not known" in str(info.value)
    echo = {"error": "password pw rejected for key k"}
    flow = api.import_image(image_uri="1.dkr.ecr.r.amazonaws.com/x", password="pw")
    with pytest.raises(BadRequestError) as caught:
        drive(flow, [response(400, echo)])
    assert caught.value.message == "password *** rejected for key ***"


def test_request_effect_repr_hides_secrets() -> None:
    flow = make_api().build_from_github(
        dockerfile="FROM python", repository="o/r", branch="main", token="ghp_tokenvalue"
    )
    effect = next(flow)
    assert isinstance(effect, Send)
    assert "ghp_tokenvalue" not in repr(effect)
    assert API_KEY not in repr(effect)
    assert effect.request["json"]["token"] == "ghp_tokenvalue"  # the real value is sent
    flow.close()


def test_all_three_timestamp_shapes_become_the_same_kind_of_utc_datetime() -> None:
    from datetime import UTC, datetime

    from cakework._models import parse_timestamp

    assert parse_timestamp("2023-02-24 20:29:40.331") == datetime(
        2023, 2, 24, 20, 29, 40, 331000, tzinfo=UTC
    )
    assert parse_timestamp("2023-03-09T02:43:30.243-08:00") == datetime(
        2023, 3, 9, 10, 43, 30, 243000, tzinfo=UTC
    )
    assert parse_timestamp("2023-03-03T20:22:39.096Z").tzinfo is UTC
    assert parse_timestamp("2023-03-09T02:43:30.243-08:00").tzinfo is UTC
