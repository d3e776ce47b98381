"""Prism's dynamic mock: the client accepts every response the spec allows.

``prism mock -d`` answers each request with a random body generated from openapi.yaml
(strings from their patterns and formats, integers within their bounds, optional fields
present or not). If the client rejects one of them (``ResponseValidationError``), the
spec allows something the client refuses: the spec is too loose, or the client too
strict. A seeded Prism answers every request with the same body whatever the request,
so one seed is one sample per operation: the test runs a Prism for each of ``SEEDS``
(reproducible samples), calls each operation once per seed, and checks that they were
samples: every optional property of a returned model was seen both present and absent,
as the client must take either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import yaml

from cakework import BuildFile, Cakework, ResponseValidationError
from cakework_spec.operations import OPERATIONS

from ._prism import SPEC, run_prism

SEEDS = (1, 2, 4, 6)
"""Seeds whose samples see every optional property the faker leaves out both ways (the
test checks that: a spec change that loses it fails here and asks for another seed)."""
ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-app:latest"
ID = "e784996f346483"


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


def _sampling_spec(folder: Path) -> Path:
    """openapi.yaml plus the faker settings that make optional properties come and go.

    Prism's faker fills in every optional property by default; a sample must also
    leave them out, as a server may (json-schema-faker's own settings, which Prism reads
    from the document's ``x-json-schema-faker``).
    """
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    document["x-json-schema-faker"] = {"alwaysFakeOptionals": False, "optionalsProbability": 0.5}
    path = folder / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_the_client_accepts_every_random_valid_response(tmp_path: Path) -> None:
    spec = _sampling_spec(tmp_path)
    rejected: list[str] = []
    violations: list[str] = []
    seen: defaultdict[tuple[str, str], set[bool]] = defaultdict(set)
    for seed in SEEDS:
        with (
            run_prism(["mock", "-d", "--seed", str(seed), str(spec)]) as mock,
            Cakework(base_url=mock.base_url, api_key="mock-key", max_retries=0) as client,
        ):
            calls = operations(client, seed)
            assert set(calls) == set(OPERATIONS), "one call per operation"
            for name, call in calls.items():
                try:
                    result = call()
                except ResponseValidationError as exc:
                    rejected.append(f"seed {seed}: {name}: {exc.reason} in {exc.body}")
                    continue
                for model in _models(result):
                    for field in msgspec.structs.fields(model):
                        if field.default is None:  # an optional property
                            present = getattr(model, field.name) is not None
                            seen[(type(model).__name__, field.name)].add(present)
            # Prism checked every request against the spec as well.
            violations += mock.violations()
    assert rejected == [], f"{len(rejected)} rejections:\n" + "\n".join(rejected)
    assert violations == []
    assert seen, "the answers held models with optional properties"
    # The faker always fills in the only optional property of a schema (Build.imageId,
    # VMList.pagination); those are sampled absent by the emulator tests instead.
    one_sided = sorted(
        (model, field)
        for (model, field), values in seen.items()
        if values != {True, False} and sum(m == model for m, _ in seen) > 1
    )
    assert one_sided == [], f"optional properties never both present and absent: {one_sided}"
