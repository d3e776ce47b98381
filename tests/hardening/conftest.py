"""Hypothesis profiles for the fuzz suites, and a one-line summary of what they tried.

``fast`` (the default, used by ``make test``) runs a few examples per method and case;
``long`` runs many more: ``HYPOTHESIS_PROFILE=long pytest tests/hardening``.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, settings

settings.register_profile(
    "fast",
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    # Shrinking a failure can take minutes on a loaded machine; the long profile shrinks.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ_SETTINGS = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
"""The chosen profile, applied to the fuzz properties only (loading it globally would
change every other property test of the session)."""

FUZZ_COUNTS: Counter[str] = Counter()
"""Examples run, by outcome, in this process. Each test's share travels on its report
(``user_properties``) to the summary printed by ``tests/conftest.py``."""


@pytest.fixture(autouse=True)
def _fuzz_share(request: pytest.FixtureRequest) -> Iterator[None]:
    before = Counter(FUZZ_COUNTS)
    yield
    share = FUZZ_COUNTS - before
    if share:
        request.node.user_properties.append(("cakework_fuzz", dict(share)))
