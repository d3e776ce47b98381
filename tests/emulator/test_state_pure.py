"""Pure tests of the backend and the Dockerfile checks (no server; a manual clock)."""

from __future__ import annotations

import pytest

from cakework.testing import ManualClock, Timings
from cakework.testing._dockerfile import apply_dockerignore, context_path, plan_build
from cakework.testing._errors import EmulatorError
from cakework.testing._logs import LogRequest
from cakework.testing._routes import Call
from cakework.testing._state import Backend, GithubBranch, format_timestamp

from .conftest import DOCKERFILE, ECR_URI


def backend(**kwargs: object) -> Backend:
    return Backend(("a", "b"), ManualClock(), **kwargs)  # type: ignore[arg-type]


def test_dockerfile_success_steps() -> None:
    plan = plan_build(DOCKERFILE, {"app.py": "x"})
    assert plan.error is None
    assert [step.lines[0][1] for step in plan.steps] == [
        "Step 1/4 : FROM python:3.11-slim",
        "Step 2/4 : COPY app.py /app/app.py",
        "Step 3/4 : RUN pip install flask",
        'Step 4/4 : CMD ["python", "/app/app.py"]',
    ]


@pytest.mark.parametrize(
    ("dockerfile", "files", "error"),
    [
        ("", {}, "failed to parse Dockerfile"),
        ("RUN echo hi\nFROM x", {}, "first instruction must be FROM"),
        ("FROM x\nFROBNICATE y", {}, "unknown instruction: FROBNICATE"),
        ("FROM x\nCOPY missing.py /app/", {"app.py": ""}, "stat missing.py"),
        ("FROM x\nCOPY app.py /app/", {"src/app.py": ""}, "stat app.py"),
        ("FROM x\nADD only-one", {}, "at least two arguments"),
        ("FROM", {}, "FROM requires at least one argument"),
    ],
)
def test_dockerfile_failures(dockerfile: str, files: dict[str, str], error: str) -> None:
    plan = plan_build(dockerfile, files)
    assert plan.error is not None
    assert error in plan.error


@pytest.mark.parametrize(
    "dockerfile",
    [
        "ARG BASE=python:3.11\nFROM ${BASE}\nCOPY src /app/src",
        "FROM x\nCOPY src/ /app/",
        "FROM x\nCOPY *.py /app/",
        "FROM x\nCOPY . /app",
        'FROM x\nCOPY ["src/handlers/h.json", "/app/"]',
        "FROM x AS build\nFROM y\nCOPY --from=build /out /app",
        "FROM x\nADD https://example.com/a.tgz /tmp/",
        "from x\nrun echo lower-case works",
    ],
)
def test_dockerfile_sources_found(dockerfile: str) -> None:
    files = {"main.py": "", "src/handlers/h.json": "{}"}
    assert plan_build(dockerfile, files).error is None


def test_context_path_honours_dir() -> None:
    assert context_path(".", "app.py") == "app.py"
    assert context_path("src/handlers", "h.json") == "src/handlers/h.json"
    assert context_path("./src/", "a") == "src/a"


def test_dockerignore() -> None:
    files = {"app.py": "", "node_modules/x/y.js": "", "docs/a.md": "", "docs/keep.md": ""}
    kept = apply_dockerignore(files, "node_modules\n# comment\ndocs/*.md\n!docs/keep.md\n")
    assert sorted(kept) == ["app.py", "docs/keep.md"]
    # Docker anchors every line at the context root, unlike .gitignore: a bare name or
    # "*.pyc" does not reach into subfolders, "**" does.
    files = {"a.pyc": "", "src/b.pyc": "", "src/secret.txt": "", "secret.txt": ""}
    assert sorted(apply_dockerignore(files, "*.pyc\nsecret.txt\n")) == [
        "src/b.pyc",
        "src/secret.txt",
    ]
    assert sorted(apply_dockerignore(files, "**/*.pyc\n")) == ["secret.txt", "src/secret.txt"]


def test_build_progresses_on_the_clock() -> None:
    b = backend()
    clock = b.clock
    build = b.build_from_files(
        "a", dockerfile=DOCKERFILE, files=[{"dir": ".", "name": "app.py", "content": ""}]
    )
    build_id = build["buildId"]
    assert build["status"] == "created"
    assert "imageId" not in build
    clock.advance(3.9)
    assert b.get_build("a", build_id)["status"] == "created"
    clock.advance(0.1)
    done = b.get_build("a", build_id)
    assert done["status"] == "succeeded"
    assert b.start_vm("a", image_id=done["imageId"])["state"] == "created"
    with pytest.raises(EmulatorError) as caught:
        b.get_build("b", build_id)
    assert caught.value.status == 404


def test_failed_build_writes_the_reason() -> None:
    b = backend()
    build_id = b.build_from_files("a", dockerfile="FROM x\nCOPY nope /", files=[])["buildId"]
    b.clock.advance(60)
    assert b.get_build("a", build_id)["status"] == "failed"
    lines = b.get_build_logs("a", build_id, LogRequest())["lines"]
    assert lines[-2]["level"] == "error"
    assert "stat nope" in lines[-2]["message"]


def test_same_inputs_same_outputs() -> None:
    def run() -> list[object]:
        b = backend()
        image = b.import_image("a", image_uri=ECR_URI, password="pw")["imageId"]
        vm = b.start_vm("a", image_id=image)
        b.clock.advance(42)
        return [image, vm, b.get_vm_logs("a", vm["id"], LogRequest()), b.list_vms("a")]

    assert run() == run()


def test_reads_never_change_state() -> None:
    b = backend()
    image = b.import_image("a", image_uri=ECR_URI, password="pw")["imageId"]
    vm_id = b.start_vm("a", image_id=image)["id"]
    snapshot = repr(b._tenants)
    for _ in range(3):
        b.get_vm("a", vm_id)
        b.list_vms("a")
        b.get_vm_logs("a", vm_id, LogRequest())
        b.resources("a")
    assert repr(b._tenants) == snapshot


def test_vm_writes_periodic_lines_while_started() -> None:
    b = Backend(("a",), ManualClock(), timings=Timings(boot=2, log_interval=1))
    image = b.import_image("a", image_uri=ECR_URI, password="pw")["imageId"]
    vm_id = b.start_vm("a", image_id=image)["id"]
    b.clock.advance(12.5)
    lines = b.get_vm_logs("a", vm_id, LogRequest())["lines"]
    app = [line for line in lines if line["message"].startswith("[app]")]
    assert len(app) == 10
    b.stop_vm("a", vm_id)
    b.clock.advance(100)
    after = b.get_vm_logs("a", vm_id, LogRequest())["lines"]
    assert len([line for line in after if line["message"].startswith("[app]")]) == 10
    assert after[-1]["message"] == "VM destroyed"


def test_github_builds() -> None:
    b = backend()
    b.register_github_repo("org/repo", {"app.py": "", "tests/t.py": ""}, token="tok")
    b.register_github_repo("org/repo", {"other.py": ""}, branch="dev")

    def outcome(**kwargs: str) -> tuple[str, str]:
        args = {
            "dockerfile": "FROM x\nCOPY app.py /",
            "repository": "org/repo",
            "branch": "main",
            "token": "tok",
            **kwargs,
        }
        build_id = b.build_from_github("a", **args)["buildId"]
        b.clock.advance(30)
        lines = b.get_build_logs("a", build_id, LogRequest())["lines"]
        return b.get_build("a", build_id)["status"], lines[-2]["message"]

    assert outcome()[0] == "succeeded"
    assert "not found" in outcome(repository="org/nope")[1]
    assert "Remote branch feature not found" in outcome(branch="feature")[1]
    assert "no GitHub token" in outcome(token="")[1]
    assert "authentication failed" in outcome(token="wrong")[1]
    assert "stat app.py" in outcome(branch="dev")[1]
    assert "stat app.py" in outcome(dockerignore="app.py")[1]
    status, message = outcome(dockerignore="[unclosed\n")
    assert status == "failed"
    assert ".dockerignore" in message


def test_timestamp_shapes() -> None:
    t = 1_677_270_580.331
    assert format_timestamp(t, "space") == "2023-02-24 20:29:40.331"
    assert format_timestamp(t, "zulu") == "2023-02-24T20:29:40.331Z"
    assert format_timestamp(t, "offset") == "2023-02-24T12:29:40.331-08:00"


def test_unknown_key_is_401() -> None:
    with pytest.raises(EmulatorError) as caught:
        backend().list_vms("nope")
    assert caught.value.status == 401


def test_stop_never_rewrites_lines_already_written() -> None:
    # A line due exactly at ``now`` is written; stopping at that instant must keep it,
    # or a reader's cursor (timestamp, index) would skip the stop line that takes its place.
    b = Backend(("a",), ManualClock(), timings=Timings(boot=3, log_interval=5))
    image = b.import_image("a", image_uri=ECR_URI, password="pw")["imageId"]
    vm_id = b.start_vm("a", image_id=image)["id"]
    b.clock.advance(3 + 10)  # app lines due at +5 and +10: the second one exactly now
    before = b.get_vm_logs("a", vm_id, LogRequest())["lines"]
    assert before[-1]["message"] == "[app] handled request #2: GET /health 200"
    b.stop_vm("a", vm_id)
    after = b.get_vm_logs("a", vm_id, LogRequest())["lines"]
    assert after[: len(before)] == before
    assert after[-1]["message"] == "Received stop request, shutting down"
    cached_id = b.cache_vm("a", image_id=image)["id"]
    b.start_cached_vm("a", cached_id)
    b.clock.advance(3 + 5)
    before = b.get_cached_vm_logs("a", cached_id)["lines"]
    b.destroy_cached_vm("a", cached_id)
    assert b.get_cached_vm_logs("a", cached_id)["lines"][: len(before)] == before


class TickingClock(ManualClock):
    """A clock another thread keeps advancing: every reading is 10 s later."""

    def now(self) -> float:
        self.advance(10)
        return super().now()


def test_one_reading_of_the_clock_per_operation() -> None:
    # Tests call ``advance`` from their own thread while the server answers; a response
    # must describe one instant, not the creation at one time and the state at another.
    b = Backend(("a",), TickingClock(), timings=Timings(boot=3))
    image = b.import_image("a", image_uri=ECR_URI, password="pw")["imageId"]
    vm = b.start_vm("a", image_id=image)
    assert (vm["state"], vm["updatedAt"]) == ("created", vm["createdAt"])
    cached = b.cache_vm("a", image_id=image)
    assert cached["updatedAt"] == cached["createdAt"]


@pytest.mark.parametrize(
    "bad",
    [
        {"log_interval": 0},  # would divide by zero on every log read
        {"log_interval": float("nan")},
        {"boot": -1},
        {"build_step": float("nan")},
        {"destroy": float("inf")},
    ],
)
def test_timings_refuse_unusable_durations(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        Timings(**bad)


def test_timings_accept_zero_durations() -> None:
    b = Backend(("a",), ManualClock(), timings=Timings(build_step=0, boot=0, destroy=0))
    image = b.import_image("a", image_uri=ECR_URI, password="pw")["imageId"]
    assert b.start_vm("a", image_id=image)["state"] == "started"


def test_reprs_hold_no_secrets() -> None:
    # Keys, GitHub tokens and ECR passwords must not surface in a failing test's output.
    call = Call("key-secret", {}, {}, {"imageUri": ECR_URI, "password": "pw-secret"})
    branch = GithubBranch({"app.py": ""}, "ghp-secret")
    assert "secret" not in repr(call) + repr(branch)


def test_destroyed_vms_are_forgotten_beyond_the_retention() -> None:
    # 10 rounds of 25 VMs started and stopped (one-time) or cached and destroyed: the
    # tenant keeps the 20 most recently destroyed, however many came before.
    b = Backend(("a",), ManualClock(), retain_destroyed=20)
    image = b.import_image("a", image_uri=ECR_URI, password="pw")["imageId"]
    ids: list[str] = []
    for _ in range(10):
        for n in range(25):
            if n % 5 == 0:
                vm_id = b.cache_vm("a", image_id=image)["id"]
                b.destroy_cached_vm("a", vm_id)
            else:
                vm_id = b.start_vm("a", image_id=image)["id"]
                b.stop_vm("a", vm_id)
            ids.append(vm_id)
            b.clock.advance(b.timings.destroy + 1)
        assert len(b.tenant("a").vms) <= 2 * 20 + 1
    running = b.start_vm("a", image_id=image)["id"]
    # The most recent ones are still there, destroyed, with their logs; the oldest are 404.
    for vm_id in ids[-20:]:
        assert b.get_vm("a", vm_id)["state"] == "destroyed"
        assert b.get_vm_logs("a", vm_id, LogRequest())["lines"][-1]["message"] == "VM destroyed"
    with pytest.raises(EmulatorError) as caught:
        b.get_vm("a", ids[0])
    assert caught.value.status == 404
    assert b.get_vm("a", running)["state"] == "created"
    # Counts still mean "ever": forgetting a VM does not rewrite history.
    counts = b.resources("a")
    assert (counts["vms"], counts["cached_vms"]) == (201, 50)
    assert counts["running_vms"] == 1


def test_live_vms_are_never_forgotten() -> None:
    b = Backend(("a",), ManualClock(), retain_destroyed=5)
    image = b.import_image("a", image_uri=ECR_URI, password="pw")["imageId"]
    live = [b.start_vm("a", image_id=image)["id"] for _ in range(30)]
    stopped = [b.cache_vm("a", image_id=image)["id"] for _ in range(30)]
    for _ in range(30):
        b.stop_vm("a", b.start_vm("a", image_id=image)["id"])  # stopped, not yet destroyed
    b.clock.advance(b.timings.destroy + 1)
    for _ in range(30):
        b.stop_vm("a", b.start_vm("a", image_id=image)["id"])
    assert all(b.get_vm("a", vm_id)["state"] == "started" for vm_id in live)
    assert all(b.get_vm("a", vm_id)["state"] == "stopped" for vm_id in stopped)
    assert len(b.tenant("a").vms) <= 30 + 30 + 30 + 2 * 5 + 1
