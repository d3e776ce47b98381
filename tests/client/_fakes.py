"""Helpers for pure flow tests: fake responses and a driver that records effects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from cakework._config import ClientConfig, Secret
from cakework._flow import Flow, Now, Send, Sleep
from cakework._request import Api

API_KEY = "sk-flow-secret-123"
BASE_URL = "http://flow.test/v1"

VM_BODY: dict[str, Any] = {
    "id": "e784996f346483",
    "hostname": "vm.example",
    "cpu": 1,
    "memory": 256,
    "imageId": "img-1",
    "state": "created",
    "createdAt": "2023-02-24 20:29:40.331",
    "updatedAt": "2023-03-09T02:43:30.243-08:00",
}


def make_api(max_retries: int = 2, rng_value: float = 0.5) -> Api:
    config = ClientConfig(api_key=Secret(API_KEY), base_url=BASE_URL, max_retries=max_retries)
    return Api(config, rng=lambda: rng_value, wall_clock=lambda: 0.0)


def response(
    status: int,
    body: Any = None,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if content is None:
        content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(
        status, content=content, headers=headers, request=httpx.Request("GET", BASE_URL)
    )


Outcome = httpx.Response | httpx.HTTPError


def drive(flow: Flow[Any], outcomes: Sequence[Outcome]) -> tuple[Any, list[Send | Sleep]]:
    """Run ``flow``, answering each Send with the next outcome; return (result, effects).

    Raises whatever the flow raises; the effects seen so far are attached as
    ``exc.effects`` so tests can count attempts.
    """
    effects: list[Send | Sleep] = []
    pending = list(outcomes)
    try:
        effect = next(flow)
        while True:
            if isinstance(effect, Send):
                effects.append(effect)
                outcome = pending.pop(0)
                if isinstance(outcome, httpx.HTTPError):
                    effect = flow.throw(outcome)
                else:
                    effect = flow.send(outcome)
            elif isinstance(effect, Sleep):
                effects.append(effect)
                effect = flow.send(None)
            else:
                assert isinstance(effect, Now)
                raise AssertionError("request flows never ask for the clock")
    except StopIteration as stop:
        assert not pending, "flow ended before using every outcome"
        return stop.value, effects
    except Exception as exc:
        exc.effects = effects  # type: ignore[attr-defined]
        raise


def sends(effects: Sequence[Send | Sleep]) -> int:
    return sum(isinstance(e, Send) for e in effects)


def sleeps(effects: Sequence[Send | Sleep]) -> list[float]:
    return [e.seconds for e in effects if isinstance(e, Sleep)]
