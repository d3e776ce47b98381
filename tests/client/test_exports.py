"""The public surface of ``cakework`` is exactly what we intend."""

from __future__ import annotations

import cakework
from cakework import errors

CLIENTS = {"Cakework", "AsyncCakework"}
# The types of client.images, client.vms and client.cached_vms, for annotations.
RESOURCES = {"Images", "VMs", "CachedVMs", "AsyncImages", "AsyncVMs", "AsyncCachedVMs"}
MODELS = {"Image", "BuildFile", "Build", "VM", "CachedVM", "LogLine", "LogPage", "VMPage"}
PARAMS = {"BuildFileParam"}  # TypedDicts of the API's JSON shapes, accepted as arguments
HELPERS = {
    "LogIterator",
    "AsyncLogIterator",
    "VMIterator",
    "AsyncVMIterator",
    "LogPosition",
    "CachedVMPool",
    "AsyncCachedVMPool",
    "PoolStats",
    "PendingResource",  # what an interrupt or a lost answer may have left
    "pending",
}


def test_exported_names_are_the_intended_set() -> None:
    assert set(cakework.__all__) == (
        CLIENTS | RESOURCES | MODELS | PARAMS | HELPERS | set(errors.__all__) | {"__version__"}
    )
    assert len(cakework.__all__) == len(set(cakework.__all__))


def test_every_export_exists() -> None:
    for name in cakework.__all__:
        assert getattr(cakework, name) is not None


def test_error_tree() -> None:
    assert set(errors.__all__) == {
        "CakeworkError",
        "InvalidParameterError",
        "APIError",
        "APIStatusError",
        "BadRequestError",
        "AuthenticationError",
        "NotFoundError",
        "ConflictError",
        "RateLimitError",
        "InternalServerError",
        "APIConnectionError",
        "APITimeoutError",
        "ResponseValidationError",
        "BuildContextError",
        "BuildFailedError",
        "WaitTimeoutError",
        "PoolTimeoutError",
        "UnreachableStateError",
        "PoolClosedError",
        "PaginationError",
    }
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.CakeworkError)
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)
    assert issubclass(errors.ResponseValidationError, errors.APIError)
    for status_error in (
        "BadRequestError",
        "NotFoundError",
        "RateLimitError",
        "InternalServerError",
    ):
        assert issubclass(getattr(errors, status_error), errors.APIStatusError)
    assert issubclass(errors.InvalidParameterError, ValueError)
    assert issubclass(errors.BuildContextError, ValueError)
    assert issubclass(errors.PoolTimeoutError, errors.WaitTimeoutError)


def test_version_is_the_user_agent_version() -> None:
    from cakework._operations import USER_AGENT

    assert f"cakework-python/{cakework.__version__}" == USER_AGENT


def test_each_resource_is_the_type_of_the_clients_attribute() -> None:
    client = cakework.Cakework(api_key="k" * 16, base_url="http://127.0.0.1:9/v1")
    aclient = cakework.AsyncCakework(api_key="k" * 16, base_url="http://127.0.0.1:9/v1")
    try:
        for attribute, sync, async_ in (
            ("images", cakework.Images, cakework.AsyncImages),
            ("vms", cakework.VMs, cakework.AsyncVMs),
            ("cached_vms", cakework.CachedVMs, cakework.AsyncCachedVMs),
        ):
            assert type(getattr(client, attribute)) is sync
            assert type(getattr(aclient, attribute)) is async_
    finally:
        client.close()
