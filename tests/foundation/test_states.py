"""The state facts of ``cakework._states`` agree with the enums openapi.yaml lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from cakework import _states


def _enum(spec: dict[str, Any], schema: str) -> tuple[str, ...]:
    return tuple(spec["components"]["schemas"][schema]["enum"])


def test_vm_states_are_the_spec_enum_in_its_order(spec: dict[str, Any]) -> None:
    # The spec lists KnownVMState in lifecycle order; VM_STATES keeps that order for the
    # messages and the CLI's choices.
    assert _enum(spec, "KnownVMState") == _states.VM_STATES


def test_build_terminal_statuses_are_known_statuses(spec: dict[str, Any]) -> None:
    known = set(_enum(spec, "KnownBuildStatus"))
    assert known > _states.BUILD_TERMINAL_STATUSES  # one status is left: still running


BUILD_FACTS = {"BUILD_TERMINAL_STATUSES"}


def _vm_state_facts() -> dict[str, Iterable[str]]:
    """Every state set of the module but the build statuses, a mapping's keys and values."""
    facts: dict[str, Iterable[str]] = {}
    for name in dir(_states):
        value = getattr(_states, name)
        if not name.isupper() or name in BUILD_FACTS:
            continue
        if isinstance(value, Mapping):
            facts[f"{name} keys"] = value.keys()
            for key, states in value.items():
                facts[f"{name}[{key!r}]"] = states
        else:
            facts[name] = value
    return facts


def test_the_module_holds_the_facts_this_test_reads() -> None:
    names = {fact.split(" ")[0].split("[")[0] for fact in _vm_state_facts()}
    assert names == {
        "VM_STATES",
        "VM_FINISHED_STATES",
        "VM_REACHED",
        "VM_DEAD_STATES",
        "CACHED_VM_DEAD_STATES",
        "STARTED_BY_A_START",
        "LIVE_STATES",
    }


@pytest.mark.parametrize(("fact", "states"), sorted(_vm_state_facts().items()))
def test_every_vm_state_fact_names_known_states_only(
    spec: dict[str, Any], fact: str, states: Iterable[str]
) -> None:
    assert set(states) <= set(_enum(spec, "KnownVMState")), fact


def test_every_wait_target_is_a_vm_state() -> None:
    # wait_for_state accepts exactly the documented states, each with its reach and
    # dead-end sets.
    assert set(_states.VM_REACHED) == set(_states.VM_STATES)
    assert set(_states.VM_DEAD_STATES) == set(_states.VM_STATES)
    for target in _states.VM_STATES:
        assert target in _states.VM_REACHED[target]
        assert not _states.VM_REACHED[target] & _states.VM_DEAD_STATES[target]
