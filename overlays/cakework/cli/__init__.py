"""The ``cakework`` command: builds, VMs, logs and the local emulator from a terminal.

Installed with the ``cli`` extra
(``pip install "cakework-client[cli] @ <wheel or repository>"``: the package is on no
index), which brings
Click (parsing, help, shell completion) and Rich (live progress, tables, colour). The
command uses only the public client API. ``import cakework`` never imports this package.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# The modules of the ``cli`` extra: missing one of them means the extra is not installed.
_EXTRA_MODULES = frozenset({"click", "rich"})

INSTALL_HINT = (
    "the cakework command needs the 'cli' extra: "
    'pip install "cakework-client[cli] @ <wheel or repository>"'
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``cakework`` command and exit with its status (the console-script entry point).

    Args:
        argv: Arguments without the program name; default ``sys.argv[1:]``.
    """
    try:
        from ._app import run
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _EXTRA_MODULES:
            raise
        print(f"cakework: {INSTALL_HINT}", file=sys.stderr)
        sys.exit(1)
    sys.exit(run(argv))


__all__ = ["main"]
