"""Block readers: the items a concept heading or a label owns in the document's structure.

A section skips the sentence defining its concept, then reads a list, title-like lines,
sub-headings, labelled paragraphs or defined terms; a mission or vision is its first paragraph
(a vision may be several short ones); a navigation block yields nothing.
"""
from __future__ import annotations

from dataclasses import replace

from .context import Candidate, Ctx, Match
from .morphology import is_all_caps_word
from .reading import (CONJ, DEFINING_FORMS, DEFINING_VERBS, LOCAL_CASES, MAX_BLOCK_ITEMS, MAX_VALUE_TOKENS,
                      QUESTION_WORDS, Reading, parallel_parts, announced_count, split_values, trim)
from .structure import Line, is_menu, short_line_run, subheading_items


def asks_question(doc, i: int) -> bool:
    """Does a question start at token i ("miksi olemme olemassa?")?"""
    return i < len(doc) and doc[i].lower_ in QUESTION_WORDS


def is_heading(ctx: Ctx, m: Match) -> bool:
    """The cue alone on a short line ("Arvomme", "Strategiset painopisteet", "Tahtotilamme 2030"),
    possibly followed by the question the section answers ("Missio – miksi olemme olemassa?")."""
    line = ctx.line_of(m.s)
    rng = ctx.line_tokens(line)
    asked = next((n for n, i in enumerate(rng) if i >= m.e and asks_question(ctx.doc, i)
                  and all(ctx.doc[j].is_punct for j in range(m.e, i))), None)
    if asked is not None and m.e < rng[asked] and not line.is_item and line.n_words <= 10:
        rng = rng[:asked]
        return len([i for i in rng if ctx.doc[i]._.concept]) == 1
    if line.is_item or line.ends_sentence or line.text.rstrip().endswith(":"):
        return False
    if not rng or len(rng) > 6:
        return False
    concepts = [i for i in rng if ctx.doc[i]._.concept]
    if len(concepts) != 1 or not (m.s <= concepts[0] < m.e):
        return False
    return not any(ctx.doc[i].lower_ in CONJ | {",", "eli"} or ctx.doc[i].pos_ in ("VERB", "AUX") for i in rng)


def read_heading(r: Reading) -> list[Candidate] | None:
    if not is_heading(r.ctx, r.m):
        return None
    return read_section(r, r.ctx.line_of(r.m.s).index, r.conf("heading"), count=None)


def read_list_follows(r: Reading) -> list[Candidate] | None:
    ctx, m = r.ctx, r.m
    line = ctx.line_of(m.s)
    concepts = ctx.concepts_in_line(line)
    if line.ends_sentence or line.text.rstrip().endswith(":") or not concepts or concepts[-1] != m.cue:
        return None
    if len([i for i in ctx.line_tokens(line) if i > m.cue]) > 3:
        return None  # the cue must close its line: "… seuraavat kolme painopistettä" + a list
    nxt = ctx.layout.next_nonblank(line.index)
    if nxt is None or not nxt.is_item:
        return None
    return read_section(r, line.index, r.conf("list_follows"), announced_count(r.doc, m.s, m.sa))


def _section_end(ctx: Ctx, lines: list[Line], start: int) -> int:
    """The section ends at the next heading or sentence opening with a concept (the next
    section: "Visiomme", "Arvomme ovat …"); a list is read whole."""
    def opens_section(line: Line) -> bool:
        toks = ctx.line_tokens(line)
        return any(ctx.doc[i]._.concept for i in (toks if line.is_short else toks[:3]))
    return next((n for n in range(start, len(lines)) if not lines[n].is_item and opens_section(lines[n])), len(lines))


def _structured(lines: list[Line], k: int) -> bool:
    """Do the lines from k on look like items (a list, title-like lines, labelled or sub-headed paragraphs)?"""
    rest = lines[k:]
    if not rest:
        return False
    if rest[0].is_item or len(short_line_run(rest)) >= 2 or subheading_items(rest):
        return True
    return len(rest) >= 2 and rest[0].label_end() is not None and rest[1].label_end() is not None


def read_section(r: Reading, line_index: int, conf: float, count: int | None, label: bool = False) -> list[Candidate]:
    """The items a heading or a label owns: a list, title-like lines, sub-headings,
    labelled paragraphs, or (mission, vision) the statement paragraphs below it.

    Definition sentences between the heading and its items ("Arvot kuvaavat sitä,
    mikä meille on tärkeää.") are skipped; a navigation block yields nothing.
    """
    ctx, fld = r.ctx, r.rule.field
    lines = ctx.layout.lines_after(line_index, MAX_BLOCK_ITEMS * 2 + 3)
    k = 0
    if fld in ("value", "goal"):
        while k < 2 and k < len(lines) and not lines[k].is_item and not lines[k].is_short \
                and _structured(lines[: _section_end(ctx, lines, k + 1)], k + 1):
            k += 1  # an intro or definition sentence before the items
    if k < len(lines) and lines[k].is_item:
        region = lines[k:]
    else:
        region = lines[k:_section_end(ctx, lines, k)]
    if not region:
        return []
    limit = count or MAX_BLOCK_ITEMS
    if region[0].is_item:
        items = ctx.layout.list_after(region[0].index - 1)
        return _items(r, items[:limit], conf) if not is_menu(items) else []
    run = short_line_run(region)
    if is_menu(run):
        return []
    if fld in ("mission", "vision"):
        if label and len(run) >= 2:
            return _items(r, run[:limit], conf * 0.9)  # "Visiomme on:" and a line per statement
        return _statements(r, region, conf)
    if len(run) >= 2:
        return _items(r, run[:limit], conf * 0.9)
    heads = subheading_items(region)
    if heads:
        return _items(r, heads[:limit], conf * 0.85)
    labelled = _labelled_run(region)
    if len(labelled) >= 2:
        return _items(r, labelled[:limit], conf * 0.9)
    if fld == "value":
        return _value_paragraphs(r, region, conf)
    return _goal_paragraphs(r, region, conf, count)


def _item_span(r: Reading, line: Line) -> tuple[int, int] | None:
    """A list item's statement: its label before a dash or colon, else its first sentence."""
    label_end = line.label_end()
    return r.ctx.first_sentence(line, end=label_end)


def _items(r: Reading, lines: list[Line], conf: float) -> list[Candidate]:
    return [c for c in (r.block_item(_item_span(r, ln), conf) for ln in lines) if c]


def _labelled_run(lines: list[Line]) -> list[Line]:
    run = []
    for ln in lines:
        if ln.is_item or ln.label_end() is None:
            break
        run.append(ln)
    return run


def _statements(r: Reading, region: list[Line], conf: float) -> list[Candidate]:
    """A mission or vision under its heading: the first paragraph; a vision may be several
    short one-sentence paragraphs, each a statement."""
    first = r.block_item(r.ctx.first_sentence(region[0]), conf * 0.95)
    if first is None:
        return []
    out = [first]
    if r.rule.field == "vision":
        for ln in region[1:4]:
            span = r.ctx.first_sentence(ln)
            if span is None or ln.is_short or ln.n_words > 20 or r.ctx.first_sentence(ln) != _whole_line(r, ln):
                break
            cand = r.block_item(span, conf * 0.85)
            if cand:
                out.append(cand)
    return out


def _whole_line(r: Reading, ln: Line) -> tuple[int, int] | None:
    rng = r.ctx.line_tokens(ln)
    return (rng[0], rng[-1] + 1) if rng else None


def _value_paragraphs(r: Reading, region: list[Line], conf: float) -> list[Candidate]:
    ctx, doc = r.ctx, r.doc
    paras = [ln for ln in region if not ln.is_item]
    out: list[Candidate] = []
    first_words = paras[0].text.split() if paras else []
    if first_words and is_all_caps_word(first_words[0]):
        # "VAIKUTTAVUUS Käytämme …": value definitions headed by the value in capitals.
        for para in paras:
            caps = []
            for i in ctx.line_tokens(para):
                if not is_all_caps_word(doc[i].text):
                    break
                caps.append(i)
            if not caps:
                break
            out.append(Candidate("value", caps[0], caps[-1] + 1, r.rule.id, conf * 0.9, r.group, "block"))
        return out
    terms = _defined_terms(r, paras[:MAX_BLOCK_ITEMS]) or _title_sentences(r, paras[:MAX_BLOCK_ITEMS])
    if len(terms) >= 2:
        return [c for c in (r.block_item(t, conf * 0.85) for t in terms) if c]
    for para in paras:
        rng = ctx.line_tokens(para)
        sentences = {ctx.sentence_of(i) for i in rng}
        if len(sentences) == 1 and len(rng) <= MAX_VALUE_TOKENS + 4:
            span = trim(doc, rng[0], rng[-1] + 1)
            parts = split_values(doc, *span) if span else []
            if span and len(parts) >= 3 and parallel_parts(doc, parts):
                out += [replace(c, kind="block") for c in r.enumeration(span[0], span[1], conf * 0.85)]
                continue
            if span:
                out.append(Candidate("value", span[0], span[1], r.rule.id, conf * 0.85, r.group, "block"))
        elif not out:
            return []  # the first paragraph is prose, not a value
    return out


def _defined_terms(r: Reading, paras: list[Line]) -> list[tuple[int, int]]:
    """'Ammatillisesti kuvaa …', 'Ennakoivasti tarkoittaa …': paragraphs that open with the
    term they define (at most three words before the defining verb).  Most of the
    paragraphs must be of that kind; one written otherwise is passed over."""
    doc, out = r.doc, []
    for para in paras:
        rng = r.ctx.line_tokens(para)
        verb = next((n for n, i in enumerate(rng[:4]) if n > 0 and (
            doc[i].lemma_.lower() in DEFINING_VERBS or doc[i].lower_ in DEFINING_FORMS)), None)
        if verb is not None and not any(doc[i].is_punct or doc[i]._.case in LOCAL_CASES for i in rng[1:verb]) \
                and not doc[rng[0]].is_punct:
            out.append((rng[0], rng[verb]))
    return out if len(out) * 2 > len(paras) else []


def _title_sentences(r: Reading, paras: list[Line]) -> list[tuple[int, int]]:
    """'Avoimuus. Kerromme päätöksistämme …': paragraphs opening with a one-to-three-word
    sentence (the item) followed by its explanation; every paragraph must be of that kind."""
    out = []
    for para in paras:
        first = r.ctx.first_sentence(para)
        whole = _whole_line(r, para)
        if first is None or first == whole or len([i for i in range(*first) if not r.doc[i].is_punct]) > 3:
            return []
        out.append(first)
    return out if len(out) >= 2 else []


def _goal_paragraphs(r: Reading, region: list[Line], conf: float, count: int | None) -> list[Candidate]:
    """Goals as paragraphs: the first sentence of each.  Without an announced
    count ("neljä painopistettä:") only short, item-like paragraphs qualify."""
    ctx, out = r.ctx, []
    for para in region[: count or MAX_BLOCK_ITEMS]:
        if para.is_item or (not para.ends_sentence and para.n_words <= 4):
            break
        rng = ctx.line_tokens(para)
        if count is None and (len({ctx.sentence_of(i) for i in rng}) > 2 or len(rng) > 40):
            break
        cand = r.block_item(ctx.first_sentence(para), conf * 0.85)
        if cand:
            out.append(cand)
    return out
