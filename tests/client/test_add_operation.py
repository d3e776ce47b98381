"""The "how to add an operation" checklist (``overlays/cakework/README.md``), followed for real.

A copy of the repository gains a made-up operation, ``getVMHealth``
(``GET /vm/{vmId}/health``, answering a new ``VMHealth`` schema), in its ``openapi.yaml``
alone. Then, in the copy and as the checklist says:

1. ``scripts/generate.py`` and ``scripts/unasync.py`` (what ``make generate`` runs);
2. the spec-coverage test fails, naming the emulator handler to add;
3. one handler function is added to the emulator;
4. the spec-coverage test passes, and the new method -- generated, never written -- is
   called on both clients against the copy's emulator, its answer decoded into the
   generated model and its argument checked by the spec's rule.

No client code is written at any step: the method, its parameters, docs, checks and
model all come out of the generation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COVERAGE_TEST = "tests/foundation/test_spec_coverage.py"

OPERATION = {
    "operationId": "getVMHealth",
    "tags": ["VMs"],
    "summary": "Get a VM's health",
    "description": "Whether the VM's application answers: `ok` once it is started.",
    "parameters": [{"$ref": "#/components/parameters/VMId"}],
    "responses": {
        "200": {
            "description": "The VM's health.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VMHealth"}}},
        },
        "404": {"$ref": "#/components/responses/NotFound"},
    },
}
SCHEMA = {
    "type": "object",
    "description": "The health of a VM.",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "minLength": 1, "description": "`ok` or `down`."},
        "checkedAt": {"$ref": "#/components/schemas/Timestamp"},
    },
}
HANDLER = '''

def get_vm_health(backend: Backend, call: Call) -> JSON:
    """GET /vm/{vmId}/health (added by tests/client/test_add_operation.py)."""
    vm = backend.get_vm(call.api_key, call.path["vmId"])
    return {"status": "ok" if vm["state"] == "started" else "down"}
'''
CALLER = """
import asyncio

from cakework import AsyncCakework, Cakework, InvalidParameterError
from cakework.testing import Emulator
from cakework_spec.models import VMHealth

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"

with Emulator(manual_clock=True) as emu:
    with Cakework(api_key=emu.api_key, base_url=emu.base_url, sleep=emu.advance) as client:
        image = client.images.import_image(image_uri=URI, password="pw")
        vm = client.vms.start(image_id=image.image_id)
        health = client.vms.get_vm_health(vm.id)
        assert isinstance(health, VMHealth), health
        assert (health.status, health.checked_at) == ("down", None), health
        client.vms.wait_for_state(vm.id, "started")
        assert client.vms.get_vm_health(vm.id).status == "ok"
        try:
            client.vms.get_vm_health("../x")
        except InvalidParameterError as exc:
            assert exc.parameter == "vm_id", exc
        else:
            raise AssertionError("a bad id was sent")

    async def main() -> None:
        async with AsyncCakework(api_key=emu.api_key, base_url=emu.base_url) as client:
            assert (await client.vms.get_vm_health(vm.id)).status == "ok"

    asyncio.run(main())
    assert emu.request_count("getVMHealth") == 3
print("called getVMHealth")
"""


def _copy_repository(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache")
    for name in ("overlays", "generated", "scripts"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    for name in ("openapi.yaml", "overlay-config.yml", "generator-config.yml", "pyproject.toml"):
        shutil.copy2(ROOT / name, target / name)
    (target / "tests" / "foundation").mkdir(parents=True)
    (target / "tests" / "__init__.py").write_text("")
    (target / "tests" / "foundation" / "__init__.py").write_text("")
    shutil.copy2(
        ROOT / "tests" / "foundation" / "test_spec_coverage.py",
        target / "tests" / "foundation" / "test_spec_coverage.py",
    )


def _run(args: list[str], repo: Path, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # The copy's packages come first: the editable install points at this worktree.
    env["PYTHONPATH"] = os.pathsep.join([str(repo / "overlays"), str(repo / "generated")])
    result = subprocess.run(
        args, cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if check:
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def _coverage(repo: Path) -> subprocess.CompletedProcess[str]:
    return _run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", COVERAGE_TEST],
        repo,
        check=False,
    )


@pytest.mark.slow
def test_a_new_operation_reaches_both_clients_by_generation(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _copy_repository(repo)
    spec_path = repo / "openapi.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["paths"]["/vm/{vmId}/health"] = {"get": OPERATION}
    spec["components"]["schemas"]["VMHealth"] = SCHEMA
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")

    # Step 1: make generate.
    _run([sys.executable, "scripts/generate.py"], repo)
    _run([sys.executable, "scripts/unasync.py"], repo)
    generated = (repo / "generated" / "cakework_spec" / "resources.py").read_text()
    assert "def get_vm_health(self, vm_id: str) -> VMHealth:" in generated

    # Step 2: make test fails, naming the handler to add.
    failed = _coverage(repo)
    assert failed.returncode != 0, failed.stdout[-3000:]
    assert "def get_vm_health(backend: Backend, call: Call)" in failed.stdout, failed.stdout[-3000:]

    # Step 3: one emulator handler.
    routes = repo / "overlays" / "cakework" / "testing" / "_routes.py"
    routes.write_text(routes.read_text(encoding="utf-8") + HANDLER, encoding="utf-8")

    # Step 4: the coverage test passes, and the generated method works end to end.
    passed = _coverage(repo)
    assert passed.returncode == 0, passed.stdout[-3000:] + passed.stderr[-2000:]
    called = _run([sys.executable, "-c", textwrap.dedent(CALLER)], repo)
    assert "called getVMHealth" in called.stdout

    # Nothing hand-written changed but the emulator's one handler.
    for path in (repo / "overlays" / "cakework").rglob("*.py"):
        relative = path.relative_to(repo)
        if relative.parts[2] in {"_sync"} or path == routes:
            continue
        assert path.read_bytes() == (ROOT / relative).read_bytes(), relative
