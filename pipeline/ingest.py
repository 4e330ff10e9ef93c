"""Finding and reading the raw input files: the one place that touches them.

`discover()` lists the `*.txt` files under the raw directory; `read_document()`
turns one of them into a `RawDocument` and never raises for bad input: a file
that cannot be used comes back with status ``rejected`` (unreadable, empty,
binary, too big, not text, undecodable) or ``skipped`` (readable text in a
language other than Finnish), with a one-line `reason` in plain language.  Which language a text is in is
decided by `pipeline.language`.

The text all character offsets refer to
---------------------------------------
`RawDocument.text` is the decoded file with line endings normalized (CRLF and
lone CR become ``"\\n"``) and Unicode NFC applied.  For plain-text files this is
exactly what Python's text mode returns, i.e.
``unicodedata.normalize("NFC", open(path, encoding=doc.encoding).read())``
(``utf-8-sig`` drops the byte-order mark; text mode's universal newlines do the
line-ending translation).  A file mixing UTF-8 and cp1252 lines (``encoding``
``"utf-8+cp1252"``) is decoded line by line, and a UTF-8 byte-order mark is
dropped whatever the body's encoding (both noted).  Nothing else is changed: leading and trailing
whitespace and runs of spaces are kept, so every downstream offset can be
checked against that text.  The one exception is an HTML page saved as
``.txt``: its text is what trafilatura extracts from the page (noted as
"extracted text from HTML"), and offsets index that extracted text.
Every repair made while reading is listed in `RawDocument.notes`.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import stat
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from . import defaults
from . import invisible
from .decoding import control_share, decode
from .errors import ConfigError
from .language import detect_language, language_reason
from .store.layout import MARKER
from .types import RawDocument, SourceFile

# Kept while flows and the CLI still read the limit from here; `defaults.MAX_BYTES` is the one value.

_log = logging.getLogger(__name__)

_CHUNK = 1 << 20

# ---------------------------------------------------------------- discovery


# Listing errors that a retry cannot fix: the user must change a path or a permission.
_PERMANENT_LISTING_ERRORS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.ELOOP})


def _printable_name(source: str) -> str | None:
    """None when `source` is valid UTF-8; else the name with its undecodable bytes shown as \\xNN."""
    try:
        source.encode("utf-8")
        return None
    except UnicodeEncodeError:
        return os.fsencode(source).decode("utf-8", "backslashreplace")


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def discover(raw_dir: Path, exclude: Iterable[Path] = (), allow_outside_links: bool = False) -> list[SourceFile]:
    """List every non-hidden `*.txt` file under `raw_dir` (recursively), sorted by doc_id.

    Never fails for one bad name: a file whose name is not UTF-8, a second file for one
    document id (``a.txt`` and ``a.TXT``, or names equal after Unicode NFC) and a link to a
    file outside the raw folder (unless `allow_outside_links`) are listed with the reason
    they will be rejected.  Folders in `exclude` and output folders of the pipeline (they
    hold its marker file) are not searched.  Document ids are NFC-normalized.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.exists():
        raise ConfigError(f"raw directory not found: {raw_dir} (check --raw-dir)")
    if not raw_dir.is_dir():
        raise ConfigError(f"raw directory is not a directory: {raw_dir} (check --raw-dir)")
    base = raw_dir.absolute()
    real_base = os.path.realpath(base)
    excluded = {os.path.realpath(Path(p).absolute()) for p in exclude}

    def _fail(err: OSError) -> None:
        if err.errno not in _PERMANENT_LISTING_ERRORS:
            raise err  # EIO, ESTALE, ETIMEDOUT… on a shared folder: transient, the flow's task retries
        where = err.filename or base
        raise ConfigError(f"cannot list the raw directory {where}: {err.strerror or err}")

    def _skip_dir(path: Path) -> bool:
        return os.path.realpath(path) in excluded or (path / MARKER).is_file()

    listed: list[SourceFile] = []
    for dirpath, dirnames, filenames in os.walk(base, onerror=_fail, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not _skip_dir(here / d))
        for name in filenames:
            if name.startswith(".") or not name.lower().endswith(".txt") or len(name) <= 4:
                continue
            full = here / name
            source = full.relative_to(base).as_posix()
            rejected = None
            printable = _printable_name(source)
            if printable is not None:
                source = printable
                rejected = "the file name is not valid UTF-8 (rename the file to read it)"
            elif not allow_outside_links and full.is_symlink():
                target = os.path.realpath(full)
                if not _within(target, real_base):
                    rejected = (f"symbolic link to a file outside the raw folder ({target}); "
                                "copy the file in, or use --follow-links to accept such links")
            doc_id = unicodedata.normalize("NFC", source[: -len(".txt")])
            listed.append(SourceFile(doc_id=doc_id, path=str(full), source=source, rejected=rejected))
    return _unique_ids(listed)


def _unique_ids(listed: Sequence[SourceFile]) -> list[SourceFile]:
    """One file per document id: the preferred one keeps it, the others are rejected naming it."""
    def preference(src: SourceFile) -> tuple:
        return (src.rejected is not None, unicodedata.normalize("NFC", src.source) != src.source,
                not src.source.endswith(".txt"), src.source)

    found: dict[str, SourceFile] = {}
    others: list[SourceFile] = []
    for src in sorted(listed, key=preference):
        if src.doc_id not in found:
            found[src.doc_id] = src
        else:
            others.append(src)
    for src in others:
        keeper = found[src.doc_id]
        doc_id, n = src.source, 1  # the full name (with its extension): shown as it is, distinct
        while doc_id in found:
            n += 1
            doc_id = f"{src.source}#{n}"
        found[doc_id] = replace(src, doc_id=doc_id, rejected=src.rejected or (
            f"another file has the same document id {keeper.doc_id!r}: {keeper.source}; rename one of them"))
    return [found[k] for k in sorted(found)]


def mark_duplicates(raws: Sequence[RawDocument]) -> list[RawDocument]:
    """A readable file whose bytes equal an earlier one's (by doc_id) is skipped as its duplicate.

    Its values would otherwise be counted twice; the earlier document is the one analyzed.
    """
    first: dict[str, str] = {}
    out = []
    for raw in sorted(raws, key=lambda r: r.doc_id):
        sha = raw.sha256
        if raw.status == "ok" and sha:
            if sha in first:
                raw = replace(raw, status="skipped", reason=f"duplicate of {first[sha]}", text=None)
            else:
                first[sha] = raw.doc_id
        out.append(raw)
    return out


# ------------------------------------------------------------------ reading

# (prefix, human name); checked in order on the first bytes of the file.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Microsoft Office document (.doc/.xls/.ppt)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"\x7fELF", "executable program"),
)
_ZIP = b"PK\x03\x04"
_ZIP_KINDS = ((b"word/", "Word document (.docx)"), (b"xl/", "Excel workbook (.xlsx)"),
              (b"ppt/", "PowerPoint presentation (.pptx)"),
              (b"application/vnd.oasis.opendocument", "OpenDocument file (.odt/.ods)"))

def _magic_kind(data: bytes) -> str | None:
    """Name the binary format `data` starts with, or None."""
    if data.startswith(_ZIP):
        head = data[:200_000]
        for marker, kind in _ZIP_KINDS:
            if marker in head:
                return kind
        return "ZIP archive"
    for prefix, kind in _MAGIC:
        if data.startswith(prefix):
            return kind
    if data.lstrip()[:5].lower() == b"{\\rtf":
        return "RTF document"
    return None


def _human_size(n: int) -> str:
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def _too_big_reason(size: int, limit: int) -> str:
    shown, shown_limit = _human_size(size), _human_size(limit)
    if shown == shown_limit:  # 5,000,001 vs 5,000,000 would both print "5.0 MB"
        shown, shown_limit = f"{size:,} bytes", f"{limit:,} bytes"
    return f"file is {shown}, over the {shown_limit} limit (raise --max-bytes to accept it)"


def _os_error_reason(err: OSError, path: str) -> str:
    if isinstance(err, FileNotFoundError):
        if os.path.islink(path):
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            return f"broken symbolic link (target missing: {target})"
        return "file disappeared before it could be read"
    if isinstance(err, PermissionError):
        return "permission denied: cannot read the file"
    if isinstance(err, IsADirectoryError):
        return "is a directory, not a file"
    return f"cannot read the file: {err.strerror or err}"


def _non_regular_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _read_bytes(path: str, max_bytes: int, keep: bool = True) -> tuple[bytes | None, str, int]:
    """Read at most `max_bytes`; return (data or None when over the limit, sha256, size).

    With `keep=False` (stat already showed the file is too big) nothing is kept:
    the file is only hashed, one chunk at a time.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1 if keep else 0)
        digest.update(data)
        size = len(data)
        if keep and size <= max_bytes:
            return data, digest.hexdigest(), size
        # Over the limit (grown since stat): hash the rest without keeping it.
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return None, digest.hexdigest(), size


# --------------------------------------------------------------------- HTML

_TAG_RE = re.compile(
    r"</?(?:p|div|br|span|a|li|ul|ol|h[1-6]|table|tr|td|th|tbody|thead|body|head|html|meta|link|"
    r"script|style|section|article|nav|header|footer|main|img|strong|em|b|i|form|input|button|"
    r"title|iframe|noscript|figure|label|aside)\b[^<>]{0,2000}?/?>",
    re.IGNORECASE)


def looks_like_html(text: str) -> bool:
    """True if `text` is an HTML page or fragment rather than plain text mentioning a tag."""
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html")) or (head.startswith("<?xml") and "<html" in head):
        return True
    tags = _TAG_RE.findall(text)
    if len(tags) < 3:
        return False
    share = sum(map(len, tags)) / max(len(text), 1)
    closing = any(t.startswith("</") for t in tags)
    names = {m.group(1).lower() for t in tags if (m := re.match(r"</?([a-zA-Z0-9]+)", t))}
    if len(tags) >= 8 and len(names) >= 2 and share >= 0.03:
        return True
    return closing and share >= 0.10


def _extract_html(text: str) -> str | None:
    import trafilatura

    try:
        out = trafilatura.extract(text, include_comments=False, include_tables=True,
                                  favor_recall=True, deduplicate=False)
    except Exception as err:  # a parser crash on odd markup must not stop the run
        _log.warning("trafilatura failed on an HTML page: %s", err)
        return None
    if out is None or not out.strip():
        return None
    return out


# ------------------------------------------------------------------ reading


def read_document(src: SourceFile, max_bytes: int = defaults.MAX_BYTES,
                  known_languages: Mapping[str, str] | None = None, check_language: bool = True) -> RawDocument:
    """Read, decode, normalize and language-check one file; never raises for bad input.

    `known_languages` (sha256 → language, from the current outputs) spares an
    unchanged file the language classifier; `check_language=False` returns any readable
    text as ``ok`` with language None (the benchmark's corpus takes every language).
    """
    path = src.path
    if src.rejected is not None:
        return RawDocument(doc_id=src.doc_id, source=src.source, sha256=None, status="rejected",
                           reason=src.rejected)

    def result(status: str, reason: str | None = None, **kw: Any) -> RawDocument:
        return RawDocument(doc_id=src.doc_id, source=src.source, status=status, reason=reason,
                           sha256=kw.pop("sha256", None), **kw)

    try:
        st = os.stat(path)
    except OSError as err:
        return result("rejected", _os_error_reason(err, path))
    if not stat.S_ISREG(st.st_mode):
        return result("rejected", f"not a regular file ({_non_regular_kind(st.st_mode)})")

    try:
        data, sha, size = _read_bytes(path, max_bytes, keep=st.st_size <= max_bytes)
    except OSError as err:
        return result("rejected", _os_error_reason(err, path), size_bytes=st.st_size)
    base: dict[str, Any] = {"sha256": sha, "size_bytes": size}
    if data is None:
        return result("rejected", _too_big_reason(size, max_bytes), **base)
    if not data:
        return result("rejected", "empty file", **base)

    kind = _magic_kind(data)
    if kind is not None:
        return result("rejected", f"binary file ({kind}), not text", **base)

    text, encoding, notes = decode(data)
    if text is None:
        if b"\x00" in data:
            return result("rejected", "binary file (contains NUL bytes), not text", **base)
        return result("rejected", "not valid text in any supported encoding", **base)
    base["encoding"] = encoding
    if control_share(text) > 0.02:
        return result("rejected", "binary file (contains control characters), not text",
                      notes=tuple(notes), **base)

    if "\r\n" in text:
        notes.append("normalized CRLF line endings")
        text = text.replace("\r\n", "\n")
    if "\r" in text:
        notes.append("normalized CR line endings")
        text = text.replace("\r", "\n")

    if not text.strip():
        return result("rejected", "file contains only whitespace", notes=tuple(notes), **base)

    if looks_like_html(text):
        extracted = _extract_html(text)
        if extracted is None:
            return result("rejected", "HTML page with no extractable text", notes=tuple(notes), **base)
        notes.append("extracted text from HTML")
        text = extracted.replace("\r\n", "\n").replace("\r", "\n")

    normalized = unicodedata.normalize("NFC", text)
    if normalized != text:
        notes.append("applied Unicode NFC normalization")
        text = normalized
    hidden = invisible.note(text)
    if hidden:  # kept in the text; the model and the cue rules see the text without them
        notes.append(hidden)

    if not check_language:
        return result("ok", text=text, notes=tuple(notes), **base)
    language = (known_languages or {}).get(sha) or detect_language(text)
    base.update(notes=tuple(notes), language=language)
    if language == "und":
        return result("rejected", "too little text to identify its language", **base)
    if language != "fi":
        return result("skipped", language_reason(language), **base)
    return result("ok", text=text, **base)
