"""Rule-based extraction of mission, vision, values and goals.

Cue words are found by the spaCy Matcher over lemmas (rules in
`pipeline/rules/cues.yaml`); each match is then read through the
constructions its rule takes (`readers.READERS`: label, heading, copula,
essive, quotation, …) to locate the statement, which is split into items
where the field is a list.  `resolve` keeps one item per statement.  Every
item keeps its character interval into the document text.
"""
from __future__ import annotations

from functools import lru_cache

from spacy.matcher import Matcher

from ..types import Analysis, DocumentMetadata, Extraction
from .context import Candidate, Ctx, Match
from .metadata import extract_metadata
from .readers import READERS
from .reading import NUMBER_WORDS, Reading
from .resolve import resolve, to_extractions
from .rules import CueRule, RuleSet
from .spacy_doc import blank_vocab, to_spacy


COUNT_WORDS = {w for w, n in NUMBER_WORDS.items() if n > 1}


class Extractor:
    """Holds the compiled rules; `extract(analysis)` is pure."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.by_id = {r.id: r for r in rules.cues}
        self.matcher = Matcher(blank_vocab(), validate=True)
        for rule in rules.cues:
            self.matcher.add(rule.id, [list(rule.pattern)])
        # Asked for every token; words recur, and the answer depends only on the rules held here.
        self.concept_of = lru_cache(maxsize=100_000)(self._concept_of)

    def _concept_of(self, lower: str, lemma: str) -> str | None:
        """The field (or "blocker") a word names: by its lemma first, then by its surface form
        (for inflected forms the lemmatizer misses); `only` / `exclude` restrict a concept to
        some forms ("päämäärät" plural is a goal, "päämäärä" singular the vision)."""
        allowed = [c for c in self.rules.concepts if c.admits(lower)]
        for c in allowed:
            if lemma == c.lemma:
                return c.key
        for c in allowed:
            if c.forms.search(lower):
                return c.key
        return None

    def _count_concepts(self, doc) -> None:
        """A number word above one before a concept that is `counted` turns it into that concept."""
        counted = {c.lemma: c.counted for c in self.rules.concepts if c.counted}
        for tok in doc[1:]:
            target = counted.get(tok.lemma_.lower()) if tok._.concept else None
            prev = doc[tok.i - 1]
            if target and (prev.lemma_.lower() in COUNT_WORDS or prev.text.isdigit() and int(prev.text) > 1):
                tok._.concept = target

    def extract(self, analysis: Analysis) -> tuple[DocumentMetadata, tuple[Extraction, ...]]:
        metadata = extract_metadata(analysis.text, self.rules.metadata)
        if not analysis.tokens:
            return metadata, ()
        doc = to_spacy(analysis, self.concept_of)
        self._count_concepts(doc)
        ctx = Ctx(analysis, doc)
        candidates: list[Candidate] = []
        for match_id, s, e in self.matcher(ctx.doc):
            rule = self.by_id[ctx.doc.vocab.strings[match_id]]
            candidates.extend(self._read(ctx, rule, s, e))
        return metadata, tuple(to_extractions(resolve(candidates, ctx), analysis))

    def _read(self, ctx: Ctx, rule: CueRule, s: int, e: int) -> list[Candidate]:
        sa, sb = ctx.sentence_range(s)
        cue = e - 1 - rule.keep_last
        reading = Reading(ctx, rule, Match(s, e, cue, sa, sb), self.rules.about_heads, self.rules.not_statement)
        for construction in rule.takes:
            found = READERS[construction](reading)
            if found is not None:
                return found
        return []
