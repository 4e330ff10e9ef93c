"""Stage contracts are read from the stage functions' signatures and checked when the flow is built."""
from __future__ import annotations

import pytest

from pipeline import stages
from pipeline.errors import StageRequirementError
from pipeline.types import Analysis, DocumentMetadata, DocumentResult, Extraction, RawDocument, SourceFile


def analyze(raw: RawDocument, threads: int = 1) -> Analysis:
    raise NotImplementedError


def extract(analysis: Analysis) -> tuple[DocumentMetadata, tuple[Extraction, ...]]:
    raise NotImplementedError


def write(result: DocumentResult, note: str | None = None) -> None:
    raise NotImplementedError


def test_record_types_nested_annotations_unwrapped():
    hints = stages.Stage("extract", extract)
    assert hints.requires == {Analysis}
    assert hints.provides == {DocumentMetadata, Extraction}
    assert stages.record_types(list[SourceFile] | None) == {SourceFile}
    assert stages.record_types(int) == frozenset()


def test_check_missing_providers_lists_every_missing_requirement_in_one_error():
    chain = [stages.Stage("analyze", analyze), stages.Stage("extract", extract), stages.Stage("write", write)]
    with pytest.raises(StageRequirementError) as err:
        stages.check(chain)
    assert str(err.value) == "pipeline cannot be built: analyze needs RawDocument; write needs DocumentResult"
    stages.check(chain[:2], initial=frozenset({RawDocument}))  # complete once the input is provided


def test_flow_stages_shipped_signatures_form_a_complete_chain():
    from pipeline.flows import STAGES

    contract = [(s.name, sorted(t.__name__ for t in s.requires), sorted(t.__name__ for t in s.provides))
                for s in STAGES]
    assert contract == [
        ("discover", [], ["SourceFile"]),
        ("read-and-validate", ["SourceFile"], ["RawDocument"]),
        ("analyze-and-extract", ["RawDocument"], ["DocumentResult"]),
        ("write", ["DocumentResult"], []),
    ]
    stages.check(STAGES)
