"""Stage contracts: what each stage of the flow consumes and produces, read from its signature.

A stage is a function of the package; the record types of `pipeline.types` in
its parameters are what it requires, those in its return type what it
provides.  `check` walks the stages in order when the flow is built and raises
one error naming every requirement no earlier stage provides, so a stage whose
signature changes cannot be wired into the flow silently (the way Stanza's
processors check `requires` when a pipeline is built).
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from . import types as records
from .errors import StageRequirementError

RECORD_TYPES = frozenset(obj for obj in vars(records).values()
                         if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == records.__name__)


def record_types(annotation: Any) -> frozenset[type]:
    """The record types inside a type annotation (through list[...], tuple[...], X | None, ...)."""
    if annotation in RECORD_TYPES:
        return frozenset({annotation})
    found: set[type] = set()
    for arg in typing.get_args(annotation):
        found |= record_types(arg)
    return frozenset(found)


@dataclass(frozen=True)
class Stage:
    name: str
    fn: Callable[..., Any]

    def _hints(self) -> dict[str, Any]:
        return typing.get_type_hints(self.fn)

    @property
    def requires(self) -> frozenset[type]:
        hints = self._hints()
        hints.pop("return", None)
        return frozenset().union(*(record_types(h) for h in hints.values()))

    @property
    def provides(self) -> frozenset[type]:
        return record_types(self._hints().get("return"))


def check(stages: Iterable[Stage], initial: frozenset[type] = frozenset()) -> None:
    """Raise one `StageRequirementError` naming every requirement no earlier stage provides."""
    available = set(initial)
    missing = []
    for stage in stages:
        lacking = sorted(t.__name__ for t in stage.requires - available)
        if lacking:
            missing.append(f"{stage.name} needs {', '.join(lacking)}")
        available |= stage.provides
    if missing:
        raise StageRequirementError("pipeline cannot be built: " + "; ".join(missing))
