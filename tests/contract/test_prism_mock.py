"""Prism's dynamic mock: the client accepts every response the spec allows.

``prism mock -d`` answers each request with a random body generated from openapi.yaml
(strings from their patterns and formats, integers within their bounds, optional fields
present or not). If the client rejects one of them (``ResponseValidationError``), the
spec allows something the client refuses: the spec is too loose, or the client too
strict. Each of the 15 operations is called ``CALLS`` times; the seed makes the sequence
of bodies reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from cakework import BuildFile, Cakework, ResponseValidationError

from ._prism import SPEC, Prism, run_prism

CALLS = 10
ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-app:latest"
ID = "e784996f346483"


@pytest.fixture(scope="module")
def mock() -> Iterator[Prism]:
    with run_prism(["mock", "-d", "--seed", "7", str(SPEC)]) as prism:
        yield prism


def operations(c: Cakework) -> dict[str, Callable[[], object]]:
    """One call of each operation, with request values the spec allows."""
    files = [BuildFile(dir=".", name="app.py", content="print('hi')")]
    return {
        "importImage": lambda: c.images.import_image(image_uri=ECR_URI, password="pw"),
        "buildImageFromFiles": lambda: c.images.build_from_files(
            dockerfile="FROM python:3.11\n", files=files
        ),
        "buildImageFromGithub": lambda: c.images.build_from_github(
            dockerfile="FROM node:20\n", repository="my-org/my-repo", branch="main", token="t"
        ),
        "getBuild": lambda: c.images.get_build(ID),
        "getBuildLogs": lambda: c.images.get_build_logs(ID, query="error", batch=50),
        "startVM": lambda: c.vms.start(image_id=ID, cpu=1, memory=256, env_vars={"A": "b"}),
        "stopVM": lambda: c.vms.stop(ID),
        "getVM": lambda: c.vms.get(ID),
        "listVMs": lambda: c.vms.list_page(image_id=ID, status="started"),
        "getVMLogs": lambda: c.vms.get_logs(ID, order="newest_first"),
        "cacheVM": lambda: c.cached_vms.create(image_id=ID, disk_size=3),
        "startCachedVM": lambda: c.cached_vms.start(ID),
        "stopCachedVM": lambda: c.cached_vms.stop(ID),
        "destroyCachedVM": lambda: c.cached_vms.destroy(ID),
        "getCachedVMLogs": lambda: c.cached_vms.get_logs(ID),
    }


def test_the_client_accepts_every_random_valid_response(mock: Prism) -> None:
    rejected: list[str] = []
    with Cakework(base_url=mock.base_url, api_key="mock-key", max_retries=0) as client:
        ops = operations(client)
        assert len(ops) == 15
        for _ in range(CALLS):
            for name, call in ops.items():
                try:
                    call()
                except ResponseValidationError as exc:
                    rejected.append(f"{name}: {exc.reason} in {exc.body}")
    assert rejected == [], f"{len(rejected)} rejections:\n" + "\n".join(rejected)
    # Prism checked every request against the spec as well and found nothing wrong.
    assert mock.violations() == []
