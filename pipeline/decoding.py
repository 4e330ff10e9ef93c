"""Bytes → text: byte-order marks, UTF-8/16/32, and the legacy Western codepages Finnish files come in."""
from __future__ import annotations

import codecs
import re
import unicodedata

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "decoded as UTF-32 (byte-order mark removed)"),
    (codecs.BOM_UTF32_BE, "utf-32", "decoded as UTF-32 (byte-order mark removed)"),
    (codecs.BOM_UTF8, "utf-8-sig", "removed UTF-8 byte-order mark"),
    (codecs.BOM_UTF16_LE, "utf-16", "decoded as UTF-16 (byte-order mark removed)"),
    (codecs.BOM_UTF16_BE, "utf-16", "decoded as UTF-16 (byte-order mark removed)"),
)



_WESTERN_EXTRA = set("’‘“”„–—…€•‚‹›™©®°§½¼¾·")
_PUNCT_IN_WORD = re.compile(r"[^\W\d_][„”“‚‹›•…–—™][^\W\d_]")


def _looks_western(text: str) -> bool:
    """True if a single-byte decoding reads like Latin-script (e.g. Finnish) text."""
    letters = [c for c in text if c.isalpha()]
    high = [c for c in text if ord(c) > 127]
    if not high:
        return True
    if any(unicodedata.category(c) == "Cc" for c in high):  # C1 controls: wrong codec
        return False
    odd = [c for c in high if not (("\u00c0" <= c <= "\u00ff" and c not in "×÷") or c in _WESTERN_EXTRA)]
    if len(odd) > 0.05 * len(high):
        return False
    if _PUNCT_IN_WORD.search(text):  # e.g. DOS cp850 "yhteis”llisyys": wrong codec
        return False
    # Cyrillic/Greek/... in a single-byte code page also decode to À-ÿ letters,
    # but then nearly every letter is non-ASCII; in Western text few are.
    non_ascii_letters = sum(1 for c in letters if ord(c) > 127)
    return non_ascii_letters <= 0.3 * max(len(letters), 1)


def _mostly_nordic(text: str) -> bool:
    """True if at least 80% of the non-ASCII letters in `text` are ä, ö or å."""
    high = [c for c in text if ord(c) > 127 and c.isalpha()]
    return sum(1 for c in high if c in "äöåÄÖÅ") >= 0.8 * len(high)


def _utf16_without_bom(data: bytes) -> str | None:
    """Codec name if `data` looks like BOM-less UTF-16 (mostly-ASCII text), else None."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    n = len(even)
    if odd.count(0) > 0.6 * n and even.count(0) < 0.05 * n:
        return "utf-16-le"
    if even.count(0) > 0.6 * n and odd.count(0) < 0.05 * n:
        return "utf-16-be"
    return None


def _mixed_utf8_cp1252(data: bytes) -> tuple[str | None, int] | None:
    """A file whose lines are partly UTF-8 and partly cp1252 (pasted together), decoded line by line.

    None when the file is not such a mix (no line with valid non-ASCII UTF-8, or none without);
    else (text, lines decoded as cp1252), text None when such a line is not cp1252 either.
    """
    lines = data.splitlines(keepends=True)
    utf8_lines, legacy = 0, []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            legacy.append(i)
    if not utf8_lines or not legacy:
        return None
    parts = []
    legacy_set = set(legacy)
    for i, line in enumerate(lines):
        try:
            parts.append(line.decode("cp1252") if i in legacy_set else line.decode("utf-8"))
        except UnicodeDecodeError:
            return None, len(legacy)
    return "".join(parts), len(legacy)


def decode(data: bytes) -> tuple[str | None, str | None, list[str]]:
    """Decode raw bytes; return (text or None, codec name, notes).

    A UTF-8 byte-order mark is removed whatever encoding the body turns out to be in,
    and a file mixing UTF-8 and cp1252 lines is decoded line by line (noted).
    """
    notes: list[str] = []
    for bom, codec, note in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec, [note]
            except UnicodeDecodeError:
                if bom == codecs.BOM_UTF8:  # a BOM before a legacy body: the BOM is no text
                    data = data[len(bom):]
                    notes.append("removed UTF-8 byte-order mark (the text after it is not UTF-8)")
                break  # a BOM followed by garbage: let the detectors try
    codec16 = _utf16_without_bom(data)
    if codec16:
        try:
            return data.decode(codec16), codec16, [f"decoded as {codec16} (no byte-order mark)"]
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        return None, None, []
    try:
        return data.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError:
        pass
    mixed = _mixed_utf8_cp1252(data)
    if mixed is not None:
        text, n_legacy = mixed
        if text is None:
            return None, None, notes
        return text, "utf-8+cp1252", notes + [f"mixed encodings: {n_legacy} line(s) decoded as cp1252, "
                                               "the rest as UTF-8"]
    # Not UTF-8.  Finnish files from Windows are nearly always cp1252 (a superset of
    # latin-1's printable characters); prefer it over a detector's guess so that
    # ä/ö/å survive.  (Bytes undefined in cp1252 are C1 controls in latin-1, so
    # latin-1 never reads better where cp1252 failed.)  Old DOS files (cp850) come
    # next, accepted only when their non-ASCII letters are mostly ä/ö/å.
    for codec in ("cp1252", "cp850"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _looks_western(text) and (codec == "cp1252" or _mostly_nordic(text)):
            return text, codec, notes + [f"decoded as {codec}"]
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None, None, []
    try:
        codec = codecs.lookup(best.encoding).name
    except LookupError:
        codec = best.encoding
    return str(best), codec, notes + [f"decoded as {codec}"]


def control_share(text: str) -> float:
    bad = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v\x1a")
    return bad / max(len(text), 1)
