"""Client-side validation (``_validate``, ``_params``): the error names parameter, value and range.

Every case goes through a client whose server does not exist: the check must fail before
anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cakework import BuildFile, Cakework, CakeworkError, InvalidParameterError
from cakework import _validate as check
from cakework_spec.operations import OPERATIONS, SCHEMAS, Param

NOWHERE = "http://127.0.0.1:9/v1"

ID_RULE = check.describe(SCHEMAS["Id"])  # the spec's Id, as the message words it

CASES: list[tuple[str, Callable[[Cakework], Any], str, object, str]] = [
    # Ranges are checked for every argument of the spec by the tests below; these cases
    # are about the message: parameter, value and what is allowed, named.
    ("cpu bool", lambda a: a.vms.start(image_id="i", cpu=True), "cpu", True, "an integer"),
    ("batch", lambda a: a.vms.get_logs("v", batch=10**6), "batch", 10**6, "an integer from"),
    ("order", lambda a: a.vms.get_logs("v", order="newest"), "order", "newest", "newest_first"),
    ("status", lambda a: a.vms.list_page(status="running"), "status", "running", "'started'"),
    ("vm id", lambda a: a.vms.get(""), "vm_id", "", ID_RULE),
    ("stop id", lambda a: a.vms.stop(""), "vm_id", "", ID_RULE),
    ("build id", lambda a: a.images.get_build(""), "build_id", "", ID_RULE),
    ("cached id", lambda a: a.cached_vms.destroy(""), "id", "", ID_RULE),
    ("image id", lambda a: a.vms.start(image_id=""), "image_id", "", ID_RULE),
    ("port", lambda a: a.vms.start(image_id="i", port="80"), "port", "80", "integer"),  # type: ignore[arg-type]
    (
        "uri",
        lambda a: a.images.import_image(image_uri="", password="p"),
        "image_uri",
        "",
        "AWS ECR",
    ),
    (
        "password",
        lambda a: a.images.import_image(
            image_uri="123456789012.dkr.ecr.us-west-2.amazonaws.com/app", password=""
        ),
        "password",
        "",
        "non-empty",
    ),
    (
        "files",
        lambda a: a.images.build_from_files(dockerfile="FROM x", files="abc"),  # type: ignore[arg-type]
        "files",
        "<str>",
        "BuildFile",
    ),
    (
        # bytes content used to escape as a TypeError from JSON encoding inside the pump
        "file bytes",
        lambda a: a.images.build_from_files(
            dockerfile="FROM x",
            files=[BuildFile(".", "app.py", b"print()")],  # type: ignore[arg-type]
        ),
        "files[0].content",
        "<bytes>",
        "text (str)",
    ),
    # Lone surrogates (non-UTF-8 os.environ values, file names) used to escape as
    # UnicodeEncodeError from JSON or URL encoding; the value itself is never shown.
    (
        "surrogate env",
        lambda a: a.vms.start(image_id="i", env_vars={"A": "ok\udcff"}),
        "env_vars['A']",
        "<text>",
        "UTF-8",
    ),
    # An id is refused by its character set, so the surrogate never reaches encoding.
    ("surrogate id", lambda a: a.vms.get("vm-\udcff"), "vm_id", "vm-\udcff", ID_RULE),
    ("surrogate query", lambda a: a.vms.get_logs("v", query="\udc80"), "query", "<text>", "UTF-8"),
    (
        "token",
        lambda a: a.images.build_from_github(
            dockerfile="FROM x", repository="o/r", branch="m", token=""
        ),
        "token",
        "",
        "non-empty",
    ),
    (
        "env",
        lambda a: a.vms.start(image_id="i", env_vars={"A": 1}),  # type: ignore[dict-item]
        "env_vars",
        "<mapping>",
        "str to str",
    ),
]


@pytest.mark.parametrize(
    ("name", "call", "parameter", "value", "allowed"), CASES, ids=[c[0] for c in CASES]
)
def test_invalid_arguments_raise_before_any_flow_exists(
    name: str, call: Callable[[Cakework], Any], parameter: str, value: object, allowed: str
) -> None:
    with (
        Cakework(api_key="k", base_url=NOWHERE, max_retries=0) as client,
        pytest.raises(InvalidParameterError) as info,
    ):
        call(client)
    error = info.value
    assert isinstance(error, CakeworkError)
    assert isinstance(error, ValueError)
    assert (error.parameter, error.value) == (parameter, value)
    assert allowed in error.allowed
    assert parameter in str(error)
    assert repr(value) in str(error)


def _arguments() -> list[tuple[str, Param]]:
    """Every query and body argument of every operation in the spec."""
    return [
        (f"{spec.operation_id}.{param.name}", param)
        for spec in OPERATIONS.values()
        for param in spec.query + (spec.body or ())
    ]


RANGED = [(name, p) for name, p in _arguments() if p.rule.minimum is not None]
ENUMS = [(name, p) for name, p in _arguments() if p.rule.enum is not None]


@pytest.mark.parametrize(("name", "param"), RANGED, ids=[n for n, _ in RANGED])
def test_the_spec_range_is_accepted_and_one_past_it_refused(name: str, param: Param) -> None:
    low, high = param.rule.minimum, param.rule.maximum
    assert low is not None
    assert check.param(param, low) == low
    with pytest.raises(InvalidParameterError):
        check.param(param, low - 1)
    if high is not None:
        assert check.param(param, high) == high
        with pytest.raises(InvalidParameterError) as info:
            check.param(param, high + 1)
        assert f"{low} to {high}" in info.value.allowed


@pytest.mark.parametrize(("name", "param"), ENUMS, ids=[n for n, _ in ENUMS])
def test_every_enum_value_is_accepted_and_another_refused(name: str, param: Param) -> None:
    assert param.rule.enum is not None
    for value in param.rule.enum:
        assert check.param(param, value) == value
    with pytest.raises(InvalidParameterError):
        check.param(param, "not-" + "-".join(map(str, param.rule.enum)))


def test_a_build_file_with_empty_content_is_accepted() -> None:
    assert check.build_files([BuildFile(".", "a", "")])


def test_the_spec_has_ranges_and_enums_to_check() -> None:
    # The two tests above are derived from the spec; they must not be vacuous.
    assert RANGED
    assert ENUMS
