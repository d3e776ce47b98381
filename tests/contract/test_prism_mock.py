"""Prism's dynamic mock: the client accepts every response the spec allows.

``prism mock -d`` answers each request with a random body generated from openapi.yaml
(strings from their patterns and formats, integers within their bounds, optional fields
present or not). If the client rejects one of them (``ResponseValidationError``), the
spec allows something the client refuses: the spec is too loose, or the client too
strict. Each operation is called ``CALLS`` times, each time with other request values
(ids, filters): a seeded Prism answers a repeated request with the same body, so only a
varied request samples the spec. The seed keeps the samples reproducible, and the test
checks that they were samples: every optional property of a returned model was seen both
present and absent, as the client must take either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator

import msgspec
import pytest

from cakework import BuildFile, Cakework, ResponseValidationError
from cakework_spec.operations import OPERATIONS

from ._prism import SPEC, Prism, run_prism

CALLS = 10
ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-app:latest"
ID = "e784996f346483"


@pytest.fixture(scope="module")
def mock() -> Iterator[Prism]:
    with run_prism(["mock", "-d", "--seed", "7", str(SPEC)]) as prism:
        yield prism


def operations(c: Cakework, i: int) -> dict[str, Callable[[], object]]:
    """One call of each operation, with request values the spec allows, varied by ``i``."""
    files = [BuildFile(dir=".", name=f"app{i}.py", content="print('hi')")]
    vid = f"e784996f{i:06d}"
    return {
        "importImage": lambda: c.images.import_image(image_uri=ECR_URI, password=f"pw{i}"),
        "buildImageFromFiles": lambda: c.images.build_from_files(
            dockerfile=f"FROM python:3.{i}\n", files=files
        ),
        "buildImageFromGithub": lambda: c.images.build_from_github(
            dockerfile="FROM node:20\n", repository=f"my-org/repo{i}", branch="main", token="t"
        ),
        "getBuild": lambda: c.images.get_build(vid),
        "getBuildLogs": lambda: c.images.get_build_logs(vid, query="error", batch=50 + i),
        "startVM": lambda: c.vms.start(image_id=vid, cpu=1, memory=256 + i, env_vars={"A": "b"}),
        "stopVM": lambda: c.vms.stop(vid),
        "getVM": lambda: c.vms.get(vid),
        "listVMs": lambda: c.vms.list_page(image_id=vid, status="started"),
        "getVMLogs": lambda: c.vms.get_logs(vid, order="newest_first"),
        "cacheVM": lambda: c.cached_vms.create(image_id=vid, disk_size=3 + i),
        "startCachedVM": lambda: c.cached_vms.start(vid),
        "stopCachedVM": lambda: c.cached_vms.stop(vid),
        "destroyCachedVM": lambda: c.cached_vms.destroy(vid),
        "getCachedVMLogs": lambda: c.cached_vms.get_logs(vid),
    }


def _models(result: object) -> Iterator[msgspec.Struct]:
    """The generated models in a result (a VM page holds VMs)."""
    if isinstance(result, msgspec.Struct):
        yield result
        for field in msgspec.structs.fields(result):
            value = getattr(result, field.name)
            if isinstance(value, tuple):
                for item in value:
                    yield from _models(item)


def test_the_client_accepts_every_random_valid_response(mock: Prism) -> None:
    rejected: list[str] = []
    seen: defaultdict[tuple[str, str], set[bool]] = defaultdict(set)
    with Cakework(base_url=mock.base_url, api_key="mock-key", max_retries=0) as client:
        assert set(operations(client, 0)) == set(OPERATIONS), "one call per operation"
        for i in range(CALLS):
            for name, call in operations(client, i).items():
                try:
                    result = call()
                except ResponseValidationError as exc:
                    rejected.append(f"{name}: {exc.reason} in {exc.body}")
                    continue
                for model in _models(result):
                    for field in msgspec.structs.fields(model):
                        if field.default is None:  # an optional property
                            present = getattr(model, field.name) is not None
                            seen[(type(model).__name__, field.name)].add(present)
    assert rejected == [], f"{len(rejected)} rejections:\n" + "\n".join(rejected)
    # Prism checked every request against the spec as well and found nothing wrong.
    assert mock.violations() == []
    assert seen, "the answers held models with optional properties"
    one_sided = sorted(key for key, values in seen.items() if values != {True, False})
    assert one_sided == [], f"optional properties never both present and absent: {one_sided}"
