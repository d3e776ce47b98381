"""Configuration: env fallbacks, timeouts, the NOT_GIVEN sentinel and the Secret type."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from cakework import AsyncCakework, Cakework, CakeworkError, InvalidParameterError
from cakework._config import NOT_GIVEN, ClientConfig, NotGiven, Secret, mask, resolve_timeout


def test_api_key_and_base_url_fall_back_to_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAKEWORK_API_KEY", "env-key")
    monkeypatch.setenv("CAKEWORK_BASE_URL", "http://127.0.0.1:9/v1/")
    with Cakework() as client:
        assert client._config.api_key == "env-key"
        assert client.base_url == "http://127.0.0.1:9/v1"


def test_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAKEWORK_API_KEY", "env-key")
    monkeypatch.setenv("CAKEWORK_BASE_URL", "http://127.0.0.1:9/v1")
    with Cakework(api_key="arg-key", base_url="http://127.0.0.1:8/v1") as client:
        assert client._config.api_key == "arg-key"
        assert client.base_url == "http://127.0.0.1:8/v1"


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAKEWORK_BASE_URL", raising=False)
    with Cakework(api_key="k") as client:
        assert client.base_url == "https://api.cakework.com/v1"


@pytest.mark.parametrize("cls", [Cakework, AsyncCakework])
def test_missing_key_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, cls: type[Cakework] | type[AsyncCakework]
) -> None:
    monkeypatch.delenv("CAKEWORK_API_KEY", raising=False)
    with pytest.raises(CakeworkError, match="CAKEWORK_API_KEY"):
        cls()


@pytest.mark.parametrize("bad", ["kéy", "key\n", b"key"])
def test_api_key_must_fit_in_a_header(bad: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        Cakework(api_key=bad)  # type: ignore[arg-type]
    assert info.value.parameter == "api_key"
    assert "key" not in str(info.value.value)


def test_default_timeout_is_60_with_5_connect() -> None:
    with Cakework(api_key="k") as client:
        assert client.timeout == httpx.Timeout(60.0, connect=5.0)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (10, httpx.Timeout(10.0, connect=5.0)),
        (2.5, httpx.Timeout(2.5)),
        (httpx.Timeout(7.0), httpx.Timeout(7.0)),
    ],
)
def test_timeout_forms(given: float | httpx.Timeout, expected: httpx.Timeout) -> None:
    assert resolve_timeout(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        None,
        0,
        -1,
        True,
        "10",
        httpx.Timeout(None),
        httpx.Timeout(5, read=None),
        # accepted before, then every request failed with OverflowError / ValueError
        math.inf,
        math.nan,
        1e12,
        httpx.Timeout(5, read=math.inf),
    ],
)
def test_timeout_is_never_unlimited(bad: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        resolve_timeout(bad)  # type: ignore[arg-type]
    assert info.value.parameter == "timeout"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [-1, 1.5, True, None])
def test_max_retries_must_be_a_count(bad: object) -> None:
    with pytest.raises(InvalidParameterError, match="max_retries"):
        Cakework(api_key="k", max_retries=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["ftp://x/v1", "not a url", "http://"])
def test_base_url_must_be_http(bad: str) -> None:
    with pytest.raises(InvalidParameterError, match="base_url"):
        Cakework(api_key="k", base_url=bad)


def test_with_options_keeps_what_is_not_given() -> None:
    config = ClientConfig.resolve(api_key="k", base_url=None, timeout=30, max_retries=4)
    assert config.with_options() == config
    assert config.with_options(max_retries=0).timeout == config.timeout
    assert config.with_options(timeout=3).max_retries == 4
    assert config.with_options(timeout=3).timeout == httpx.Timeout(3.0)


def test_not_given_is_a_falsy_singleton() -> None:
    assert NotGiven() is NOT_GIVEN
    assert not NOT_GIVEN
    assert repr(NOT_GIVEN) == "NOT_GIVEN"


def test_secret_masks_repr_str_and_format_but_encodes_the_value() -> None:
    secret = Secret("s3cr3t")
    assert "s3cr3t" not in repr(secret) + str(secret) + f"{secret}" + "%s" % secret  # noqa: UP031
    assert secret.reveal() == "s3cr3t"
    assert type(secret.reveal()) is str
    assert secret == "s3cr3t"
    assert httpx.Headers({"X-Api-Key": secret})["x-api-key"] == "s3cr3t"
    assert "s3cr3t" not in repr(ClientConfig(api_key=secret, base_url="http://x"))
    assert json.dumps({"password": secret}) == '{"password": "s3cr3t"}'


def test_wrapping_twice_keeps_the_value() -> None:
    assert Secret(Secret("v")).reveal() == "v"
    assert mask(mask("v")).reveal() == "v"  # type: ignore[attr-defined]
    assert mask(None) is None


async def test_the_wrong_kind_of_http_client_is_refused_at_construction() -> None:
    # It used to be accepted and then fail every request with a baffling TypeError
    # ("exception cause must be None ...", "object Response can't be used in 'await'").
    async with httpx.AsyncClient() as async_http:
        with pytest.raises(InvalidParameterError) as info:
            Cakework(api_key="k", http_client=async_http)  # type: ignore[arg-type]
        assert info.value.parameter == "http_client"
        assert "httpx.Client" in str(info.value)
    with httpx.Client() as sync_http:
        with pytest.raises(InvalidParameterError) as caught:
            AsyncCakework(api_key="k", http_client=sync_http)  # type: ignore[arg-type]
        assert "httpx.AsyncClient" in str(caught.value)
