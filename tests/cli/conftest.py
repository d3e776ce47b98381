from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cakework.cli._app import cli
from cakework.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "examples" / "app"
ECR_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/app:1"


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    """One emulator per module, its clock fast enough that a build takes well under 1 s."""
    with Emulator(("cli-key", "other-key"), speed=50) as emulator:
        yield emulator


@pytest.fixture
def emu(server: Emulator) -> Emulator:
    server.reset()
    return server


class Cli:
    """``cakework`` run in-process with Click's runner, configured for one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.runner = CliRunner()

    def env(self, **extra: str | None) -> dict[str, str | None]:
        return {
            "CAKEWORK_API_KEY": self.emulator.api_key,
            "CAKEWORK_BASE_URL": self.emulator.base_url,
            "CAKEWORK_OUTPUT": None,
            "CAKEWORK_LOG": None,
            **extra,
        }

    def __call__(
        self,
        *args: str,
        code: int = 0,
        input: str | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> Result:
        result = self.runner.invoke(
            cli, list(args), input=input, env={**self.env(), **(env or {})}, prog_name="cakework"
        )
        assert result.exit_code == code, (
            f"cakework {' '.join(args)} -> {result.exit_code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    def json(self, *args: str) -> object:
        return json.loads(self(*args).stdout)

    def image(self) -> str:
        image = self.json("images", "import", ECR_URI, "--password", "pw")
        assert isinstance(image, dict)
        image_id = image["image_id"]
        assert isinstance(image_id, str)
        return image_id

    def started_vm(self, image_id: str | None = None) -> str:
        vm = self.json("vms", "start", image_id or self.image(), "--wait")
        assert isinstance(vm, dict)
        assert vm["state"] == "started"
        vm_id = vm["id"]
        assert isinstance(vm_id, str)
        return vm_id


@pytest.fixture
def cakework(emu: Emulator) -> Cli:
    return Cli(emu)


def one_line(stderr: str) -> str:
    """The error report: exactly one line, and no traceback."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]
