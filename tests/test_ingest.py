"""Tests for pipeline.ingest: discovering and reading raw input files."""
from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from pipeline import ingest, language
from pipeline.errors import ConfigError
from pipeline.defaults import MAX_BYTES
from pipeline.ingest import discover, read_document
from pipeline.types import RawDocument, SourceFile

RAW_TEXTS = Path(__file__).resolve().parent.parent / "raw_texts"

FI_TEXT = (
    "Hyvinvointialueen strategia ohjaa toimintaamme vuoteen 2030 asti. "
    "Arvojamme ovat yhteisöllisyys, avoimuus ja vastuullisuus, ja ne näkyvät kaikessa työssämme.\n"
    "Visiomme on, että jokainen asukas saa tarvitsemansa palvelut oikeaan aikaan.\n"
)
SV_TEXT = (
    "Välfärdsområdets strategi styr vår verksamhet fram till år 2030 och godkändes av "
    "områdesfullmäktige i december.\n"
    "Våra värderingar är öppenhet, ansvar och samarbete, och vår vision är att varje invånare "
    "får rätt service i rätt tid.\n"
)
EN_TEXT = (
    "The strategy of the wellbeing services county guides our work until 2030 and was approved "
    "by the county council in December.\n"
    "Our values are openness, responsibility and cooperation, and our vision is that every "
    "resident receives the right services at the right time.\n"
)
HTML_PAGE = """<!DOCTYPE html>
<html lang="fi"><head><title>Strategia</title>
<script>var tracking = "seurantakoodi";</script><style>p{color:red}</style></head>
<body><nav><ul><li><a href="/">Etusivu</a></li><li><a href="/palvelut">Palvelut</a></li>
<li><a href="/yhteystiedot">Yhteystiedot</a></li></ul></nav>
<main><article><h1>Hyvinvointialueen strategia</h1>
<p>Hyvinvointialueen strategia ohjaa toimintaamme vuoteen 2030 asti, ja se on hyväksytty aluevaltuustossa.</p>
<p>Arvojamme ovat:</p>
<ul><li>ihmislähtöisyys</li><li>yhdenvertaisuus</li><li>vastuullisuus</li></ul>
<p>Visiomme on, että jokainen asukas saa tarvitsemansa palvelut oikeaan aikaan ja oikeassa paikassa.</p>
</article></main><footer>© Hyvinvointialue 2025</footer></body></html>
"""


def _src(tmp_path: Path, name: str, data: bytes | str) -> SourceFile:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return SourceFile(doc_id=name[: -len(".txt")], path=str(path), source=name)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ discover


def test_discover_nested_folder_sorted_doc_ids(tmp_path):
    (tmp_path / "b.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "A.TXT").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "c.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "sub" / "deeper" / "a.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "notes.md").write_text("ei tekstitiedosto", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()  # a directory named like a file is not a document

    found = discover(tmp_path)

    assert [s.doc_id for s in found] == ["A", "b", "sub/c", "sub/deeper/a"]
    assert [s.source for s in found] == ["A.TXT", "b.txt", "sub/c.txt", "sub/deeper/a.txt"]
    assert found[3].path == str(tmp_path.absolute() / "sub" / "deeper" / "a.txt")
    assert all(os.path.isabs(s.path) for s in found)


def test_discover_broken_symlink_still_listed(tmp_path):
    os.symlink(tmp_path / "missing.txt", tmp_path / "link.txt")

    assert [s.doc_id for s in discover(tmp_path)] == ["link"]


def test_discover_missing_dir_raises_config_error(tmp_path):
    with pytest.raises(ConfigError, match="raw directory not found") as info:
        discover(tmp_path / "nope")
    assert "\n" not in str(info.value)


def test_discover_file_instead_of_dir_raises_config_error(tmp_path):
    (tmp_path / "file.txt").write_text(FI_TEXT, encoding="utf-8")
    with pytest.raises(ConfigError, match="not a directory"):
        discover(tmp_path / "file.txt")


def test_discover_same_doc_id_twice_later_rejected_naming_the_other(tmp_path):
    (tmp_path / "Strategia.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "Strategia.TXT").write_text(FI_TEXT, encoding="utf-8")
    found = {s.doc_id: s for s in discover(tmp_path)}
    assert set(found) == {"Strategia", "Strategia.TXT"}
    assert found["Strategia"].source == "Strategia.txt" and found["Strategia"].rejected is None
    doc = read_document(found["Strategia.TXT"])
    assert doc.status == "rejected" and "Strategia.txt" in (doc.reason or "")


def test_discover_nfc_and_nfd_names_one_normalized_id_other_rejected(tmp_path):
    nfc, nfd = "strategia-\u00e4", "strategia-a\u0308"
    (tmp_path / f"{nfc}.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / f"{nfd}.txt").write_text(FI_TEXT, encoding="utf-8")
    found = discover(tmp_path)
    keeper = [s for s in found if s.rejected is None]
    assert [s.doc_id for s in keeper] == [nfc] and len(found) == 2
    assert "same document id" in (next(s for s in found if s.rejected).rejected or "")


def test_discover_nfd_name_alone_gets_nfc_id(tmp_path):
    (tmp_path / "a\u0308.txt").write_text(FI_TEXT, encoding="utf-8")
    assert [s.doc_id for s in discover(tmp_path)] == ["\u00e4"]


def test_discover_non_utf8_name_rejected_with_printable_id(tmp_path):
    (tmp_path / "good.txt").write_text(FI_TEXT, encoding="utf-8")
    with open(os.fsencode(tmp_path) + b"/strategia-\xe4.txt", "wb") as fh:
        fh.write(FI_TEXT.encode())
    found = discover(tmp_path)
    bad = next(s for s in found if s.doc_id != "good")
    assert bad.doc_id == "strategia-\\xe4"
    bad.doc_id.encode("utf-8")  # storable
    doc = read_document(bad)
    assert doc.status == "rejected" and "not valid UTF-8" in (doc.reason or "")


def test_read_document_link_outside_raw_folder_rejected_unread(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text(FI_TEXT, encoding="utf-8")
    (raw / "a.txt").symlink_to(secret)
    (raw / "inside.txt").write_text(FI_TEXT, encoding="utf-8")
    (raw / "b.txt").symlink_to(raw / "inside.txt")
    docs = {s.doc_id: read_document(s) for s in discover(raw)}
    assert docs["a"].status == "rejected" and "outside the raw folder" in (docs["a"].reason or "")
    assert docs["a"].text is None
    assert docs["b"].status == "ok"
    allowed = {s.doc_id: s for s in discover(raw, allow_outside_links=True)}
    assert allowed["a"].rejected is None


def test_discover_output_folder_inside_raw_folder_not_searched(tmp_path):
    (tmp_path / "a.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "out" / "runs" / "2023").mkdir(parents=True)
    (tmp_path / "out" / "runs" / "2023" / "x.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "marked").mkdir()
    (tmp_path / "marked" / ".pipeline-output").write_text("")
    (tmp_path / "marked" / "y.txt").write_text(FI_TEXT, encoding="utf-8")
    assert [s.doc_id for s in discover(tmp_path, exclude=[tmp_path / "out"])] == ["a"]


def test_mark_duplicates_same_bytes_later_skipped_naming_first():
    def raw(doc_id, sha):
        return RawDocument(doc_id, f"{doc_id}.txt", sha, "ok", text="t", language="fi")
    out = ingest.mark_duplicates([raw("sub/b", "s1"), raw("a", "s1"), raw("c", "s2")])
    assert [(r.doc_id, r.status, r.reason) for r in out] == [
        ("a", "ok", None), ("c", "ok", None), ("sub/b", "skipped", "duplicate of a")]
    assert out[2].text is None


def test_read_document_known_sha256_reuses_language_without_classifying(tmp_path, monkeypatch):
    data = FI_TEXT.encode("utf-8")
    src = _src(tmp_path, "same.txt", data)

    def no_classifier(text):
        raise AssertionError("an unchanged file must not be classified again")

    monkeypatch.setattr(ingest, "detect_language", no_classifier)
    doc = read_document(src, known_languages={_sha(data): "fi"})
    assert (doc.status, doc.language, doc.text) == ("ok", "fi", FI_TEXT)
    # A file whose bytes changed is classified afresh.
    with pytest.raises(AssertionError, match="must not be classified"):
        read_document(src, known_languages={_sha(b"older bytes"): "fi"})


# ------------------------------------------------- read_document: rejections


def test_read_document_empty_file_rejected(tmp_path):
    doc = read_document(_src(tmp_path, "empty.txt", b""))
    assert (doc.status, doc.reason) == ("rejected", "empty file")
    assert doc.sha256 == _sha(b"")
    assert doc.size_bytes == 0
    assert doc.text is None


def test_read_document_whitespace_only_rejected(tmp_path):
    data = b"  \n\t \r\n   \n"
    doc = read_document(_src(tmp_path, "blank.txt", data))
    assert (doc.status, doc.reason) == ("rejected", "file contains only whitespace")
    assert doc.sha256 == _sha(data)
    assert doc.text is None


def test_read_document_pdf_renamed_txt_rejected(tmp_path):
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    doc = read_document(_src(tmp_path, "strategia.txt", data))
    assert (doc.status, doc.reason) == ("rejected", "binary file (PDF document), not text")
    assert doc.sha256 == _sha(data)


def test_read_document_png_renamed_txt_rejected(tmp_path):
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    doc = read_document(_src(tmp_path, "kuva.txt", data))
    assert (doc.status, doc.reason) == ("rejected", "binary file (PNG image), not text")


def test_read_document_docx_renamed_txt_rejected(tmp_path):
    data = b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml" + b"\x00" * 20 + b"word/document.xml"
    doc = read_document(_src(tmp_path, "asiakirja.txt", data))
    assert (doc.status, doc.reason) == ("rejected", "binary file (Word document (.docx)), not text")


def test_read_document_nul_bytes_rejected(tmp_path):
    data = b"Hyvinvointialue\x00\x01\x02\x00strategia\x00\xff"
    doc = read_document(_src(tmp_path, "blob.txt", data))
    assert (doc.status, doc.reason) == ("rejected", "binary file (contains NUL bytes), not text")


def test_read_document_many_control_characters_rejected(tmp_path):
    data = (FI_TEXT + "\x01\x02\x03\x04\x05\x06\x07\x0e\x0f\x10" * 3).encode("utf-8")
    doc = read_document(_src(tmp_path, "ctrl.txt", data))
    assert (doc.status, doc.reason) == ("rejected", "binary file (contains control characters), not text")
    assert doc.encoding == "utf-8"


def test_read_document_undecodable_bytes_rejected(tmp_path):
    data = bytes(range(1, 256)) * 4
    doc = read_document(_src(tmp_path, "noise.txt", data))
    assert doc.status == "rejected"
    assert doc.reason == "not valid text in any supported encoding"
    assert doc.sha256 == _sha(data)


def test_read_document_over_size_limit_rejected(tmp_path):
    data = FI_TEXT.encode("utf-8")
    doc = read_document(_src(tmp_path, "big.txt", data), max_bytes=100)
    assert doc.status == "rejected"
    assert doc.reason == (f"file is {len(data)} bytes, over the 100 bytes limit "
                          "(raise --max-bytes to accept it)")
    assert doc.size_bytes == len(data)
    assert doc.sha256 == _sha(data)  # hashed in chunks, never decoded
    assert doc.text is None


def test_read_document_over_size_limit_megabytes_reason(tmp_path):
    data = b"a" * 7_200_000
    doc = read_document(_src(tmp_path, "huge.txt", data))
    assert MAX_BYTES == 5_000_000  # the default limit the reason names
    assert doc.reason == "file is 7.2 MB, over the 5.0 MB limit (raise --max-bytes to accept it)"


def test_read_document_over_size_limit_never_reads_whole_file(tmp_path, monkeypatch):
    src = _src(tmp_path, "big.txt", b"x" * 5000)
    sizes: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def read(self, n=-1):
            sizes.append(n)
            return self.fh.read(n)

    monkeypatch.setattr(ingest, "open", lambda p, mode="r": Spy(real_open(p, mode)), raising=False)
    doc = read_document(src, max_bytes=1000)
    assert doc.status == "rejected" and "over the" in doc.reason
    assert sizes and all(n is not None and 0 <= n for n in sizes)  # never an unbounded read()
    assert sizes[0] == 0  # stat said too big: nothing is kept in memory


def test_read_document_permission_denied_rejected_others_still_read(tmp_path, monkeypatch):
    # Simulated, not chmod 000: as root (CI) a mode-000 file is still readable, so the
    # real permission check would never fire and the test could not fail.
    (tmp_path / "a.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "secret.txt").write_text(FI_TEXT, encoding="utf-8")
    (tmp_path / "z.txt").write_text(FI_TEXT + "Toinen asiakirja.\n", encoding="utf-8")
    secret = str(tmp_path / "secret.txt")
    real_open = open

    def deny_secret(path, *args, **kwargs):
        if str(path) == secret:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(ingest, "open", deny_secret, raising=False)
    docs = {d.doc_id: d for d in map(read_document, discover(tmp_path))}
    assert sorted(docs) == ["a", "secret", "z"]
    denied = docs["secret"]
    assert (denied.status, denied.reason) == ("rejected", "permission denied: cannot read the file")
    assert "\n" not in denied.reason
    assert denied.sha256 is None and denied.text is None
    assert [(docs[k].status, docs[k].text) for k in ("a", "z")] == [
        ("ok", FI_TEXT), ("ok", FI_TEXT + "Toinen asiakirja.\n")]


def test_read_document_open_raises_permission_error_rejected(tmp_path, monkeypatch):
    src = _src(tmp_path, "secret.txt", FI_TEXT)

    def deny(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", src.path)

    monkeypatch.setattr(ingest, "open", deny, raising=False)
    doc = read_document(src)
    assert (doc.status, doc.reason) == ("rejected", "permission denied: cannot read the file")
    assert doc.sha256 is None
    assert doc.size_bytes == len(FI_TEXT.encode("utf-8"))


def test_read_document_open_raises_other_oserror_rejected_with_strerror(tmp_path, monkeypatch):
    src = _src(tmp_path, "disk.txt", FI_TEXT)

    def fail(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error", src.path)

    monkeypatch.setattr(ingest, "open", fail, raising=False)
    doc = read_document(src)
    assert (doc.status, doc.reason) == ("rejected", "cannot read the file: Input/output error")


def test_read_document_broken_symlink_rejected(tmp_path):
    target = tmp_path / "gone.txt"
    os.symlink(target, tmp_path / "link.txt")
    (src,) = discover(tmp_path)
    doc = read_document(src)
    assert doc.status == "rejected"
    assert doc.reason == f"broken symbolic link (target missing: {target})"
    assert doc.sha256 is None


def test_read_document_file_vanished_after_discover_rejected(tmp_path):
    (tmp_path / "tmp.txt").write_text(FI_TEXT, encoding="utf-8")
    (src,) = discover(tmp_path)
    os.remove(src.path)
    doc = read_document(src)
    assert (doc.status, doc.reason) == ("rejected", "file disappeared before it could be read")
    assert doc.sha256 is None


def test_read_document_named_pipe_rejected_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    (src,) = discover(tmp_path)
    doc = read_document(src)
    assert (doc.status, doc.reason) == ("rejected", "not a regular file (a named pipe)")


# ----------------------------------------------------------- decoding, notes


def test_read_document_cp1252_umlauts_survive(tmp_path):
    sentence = "Hyvinvointialueen arvot ovat yhteisöllisyys ja ääni"
    data = (sentence + ". Strategia ohjaa kaikkea toimintaamme.\n").encode("cp1252")
    doc = read_document(_src(tmp_path, "ansi.txt", data))
    assert doc.status == "ok"
    assert doc.encoding == "cp1252"
    assert doc.text.startswith(sentence)
    assert "decoded as cp1252" in doc.notes
    assert doc.sha256 == _sha(data)


def test_read_document_utf8_plain_no_notes(tmp_path):
    doc = read_document(_src(tmp_path, "plain.txt", FI_TEXT))
    assert (doc.status, doc.encoding, doc.notes) == ("ok", "utf-8", ())
    assert doc.text == FI_TEXT  # trailing newline kept verbatim


def test_read_document_utf8_bom_removed_offsets_correct(tmp_path):
    src = _src(tmp_path, "bom.txt", b"\xef\xbb\xbf" + FI_TEXT.encode("utf-8"))
    doc = read_document(src)
    assert doc.status == "ok"
    assert doc.encoding == "utf-8-sig"
    assert "removed UTF-8 byte-order mark" in doc.notes
    assert doc.text[0] == "H"
    assert doc.text.index("Visiomme") == FI_TEXT.index("Visiomme")
    with open(src.path, encoding=doc.encoding) as fh:
        assert doc.text == fh.read()


def test_read_document_utf16_bom_decoded(tmp_path):
    doc = read_document(_src(tmp_path, "wide.txt", FI_TEXT.encode("utf-16")))
    assert doc.status == "ok"
    assert doc.encoding == "utf-16"
    assert doc.text == FI_TEXT


def test_read_document_crlf_normalized_like_text_mode(tmp_path):
    src = _src(tmp_path, "windows.txt", FI_TEXT.replace("\n", "\r\n").encode("utf-8"))
    doc = read_document(src)
    assert doc.status == "ok"
    assert "\r" not in doc.text
    assert doc.text == FI_TEXT
    assert "normalized CRLF line endings" in doc.notes
    with open(src.path, encoding=doc.encoding) as fh:  # universal newlines
        assert doc.text == fh.read()


def test_read_document_lone_cr_normalized(tmp_path):
    doc = read_document(_src(tmp_path, "mac.txt", FI_TEXT.replace("\n", "\r")))
    assert doc.text == FI_TEXT
    assert doc.notes == ("normalized CR line endings",)


def test_read_document_decomposed_umlauts_nfc_normalized(tmp_path):
    decomposed = FI_TEXT.replace("ä", "a\u0308").replace("ö", "o\u0308")
    doc = read_document(_src(tmp_path, "nfd.txt", decomposed))
    assert doc.text == FI_TEXT
    assert doc.notes == ("applied Unicode NFC normalization",)


def test_read_document_leading_whitespace_kept_verbatim(tmp_path):
    data = "\n\n   " + FI_TEXT.replace(" ja ", "  ja ")
    doc = read_document(_src(tmp_path, "spaces.txt", data))
    assert doc.status == "ok"
    assert doc.text == data


# ----------------------------------------------------------------------- HTML


def test_read_document_html_as_txt_text_extracted(tmp_path):
    doc = read_document(_src(tmp_path, "page.txt", HTML_PAGE))
    assert doc.status == "ok"
    assert "extracted text from HTML" in doc.notes
    assert "Hyvinvointialueen strategia ohjaa toimintaamme vuoteen 2030 asti" in doc.text
    assert "Visiomme on, että jokainen asukas" in doc.text
    assert "seurantakoodi" not in doc.text  # <script> content dropped
    assert "Yhteystiedot" not in doc.text  # navigation menu dropped
    assert "<p>" not in doc.text
    lines = doc.text.split("\n")
    assert any(line.endswith("yhdenvertaisuus") for line in lines)  # list items on own lines
    assert doc.language == "fi"


def test_read_document_html_fragment_without_doctype_extracted(tmp_path):
    body = "".join(f"<p>{line}</p>\n" for line in FI_TEXT.strip().split("\n"))
    doc = read_document(_src(tmp_path, "fragment.txt", "<div>\n" + body + "<br>\n</div>\n"))
    assert doc.status == "ok"
    assert "extracted text from HTML" in doc.notes
    assert "Visiomme on, että jokainen asukas" in doc.text
    assert "<p>" not in doc.text


def test_read_document_html_without_text_rejected(tmp_path):
    page = "<!doctype html><html><head><script>var x = 1;</script></head><body></body></html>"
    doc = read_document(_src(tmp_path, "blank.txt", page))
    assert (doc.status, doc.reason) == ("rejected", "HTML page with no extractable text")


def test_read_document_prose_mentioning_script_tag_not_html(tmp_path):
    data = ("Verkkosivun <script>-elementti poistettiin, koska se hidasti sivua. " + FI_TEXT)
    doc = read_document(_src(tmp_path, "prose.txt", data))
    assert doc.status == "ok"
    assert "extracted text from HTML" not in doc.notes
    assert doc.text == data


def test_read_document_prose_mentioning_several_tags_not_html(tmp_path):
    data = ("Sivupohjassa käytetään elementtejä <p>, <div> ja <br>, ja lisäksi <script>-elementtiä "
            "seurantaan. " + FI_TEXT)
    doc = read_document(_src(tmp_path, "tags.txt", data))
    assert doc.status == "ok"
    assert doc.notes == ()
    assert doc.text == data


# ------------------------------------------------------------------- language


@pytest.mark.parametrize("name", ["keski-pohjanmaa-strategia-2022", "paijat-hame-strategia-2022"])
def test_read_document_finnish_sample_ok_fi(name):
    path = RAW_TEXTS / f"{name}.txt"
    doc = read_document(SourceFile(doc_id=name, path=str(path), source=f"{name}.txt"))
    assert (doc.status, doc.language, doc.reason) == ("ok", "fi", None)
    assert doc.text == path.read_text(encoding="utf-8")
    assert doc.sha256 == _sha(path.read_bytes())
    assert doc.size_bytes == path.stat().st_size


def test_read_document_finnish_with_english_menu_ok_fi(tmp_path):
    data = "Skip to main content\nThis website is under construction.\n\n" + FI_TEXT
    doc = read_document(_src(tmp_path, "menu.txt", data))
    assert (doc.status, doc.language) == ("ok", "fi")


def test_read_document_finnish_with_long_english_menu_ok_fi(tmp_path):
    # The menu outweighs the article for a whole-text guess ("en"); by letters in
    # lines of real text the page is still mostly Finnish.
    menu = ["Skip to main content", "Home", "Services", "Health care", "Social services",
            "Contact us", "News", "Open positions", "Feedback", "Accessibility statement",
            "Privacy policy", "Cookie settings", "Search", "Sign in", "Emergency numbers",
            "About us", "Decision making", "Council meetings", "Press releases", "Sitemap"]
    data = "\n".join(menu * 4) + "\n\n" + FI_TEXT
    assert language._classifier().classify(data)[0] == "en"
    doc = read_document(_src(tmp_path, "menu.txt", data))
    assert (doc.status, doc.language) == ("ok", "fi")
    assert doc.text == data


def test_read_document_swedish_skipped_sv(tmp_path):
    doc = read_document(_src(tmp_path, "sv.txt", SV_TEXT))
    assert (doc.status, doc.language) == ("skipped", "sv")
    assert doc.reason == "Swedish text (sv): only Finnish is analyzed"
    assert doc.text is None
    assert doc.sha256 == _sha(SV_TEXT.encode("utf-8"))


def test_read_document_english_skipped_en(tmp_path):
    doc = read_document(_src(tmp_path, "en.txt", EN_TEXT))
    assert (doc.status, doc.language) == ("skipped", "en")
    assert doc.reason == "English text (en): only Finnish is analyzed"


def test_read_document_cp1251_russian_skipped_ru(tmp_path):
    text = ("Стратегия региона благосостояния определяет направление работы на ближайшие годы "
            "и помогает принимать решения.")
    doc = read_document(_src(tmp_path, "ru.txt", text.encode("cp1251")))
    assert (doc.status, doc.language, doc.encoding) == ("skipped", "ru", "cp1251")
    assert doc.reason == "Russian text (ru): only Finnish is analyzed"


@pytest.mark.parametrize("text", ["Hyvää elämää\n", "Arvot ja visio\n"])
def test_read_document_short_finnish_ok_fi(tmp_path, text):
    doc = read_document(_src(tmp_path, "short.txt", text))
    assert (doc.status, doc.language) == ("ok", "fi")


def test_read_document_short_finnish_with_english_names_ok_fi(tmp_path):
    # The classifier guesses English with low confidence; Finnish function words decide.
    text = "Business Finland ja Team Finland sekä Invest in Finland\n"
    assert language._classifier().classify(text)[0] == "en"
    doc = read_document(_src(tmp_path, "names.txt", text))
    assert (doc.status, doc.language) == ("ok", "fi")


def test_read_document_short_unclear_text_rejected_und(tmp_path):
    doc = read_document(_src(tmp_path, "tiny.txt", "Hello world\n"))
    assert (doc.status, doc.language) == ("rejected", "und")
    assert doc.reason == "too little text to identify its language"


def test_read_document_dos_cp850_umlauts_survive(tmp_path):
    sentence = "Hyvinvointialueen arvot ovat yhteisöllisyys ja ääni"
    data = (sentence + ". Strategia ohjaa kaikkea toimintaamme.\n").encode("cp850")
    doc = read_document(_src(tmp_path, "dos.txt", data))
    assert (doc.status, doc.encoding) == ("ok", "cp850")
    assert doc.text.startswith(sentence)


def test_read_document_utf16_without_bom_decoded(tmp_path):
    doc = read_document(_src(tmp_path, "wide.txt", FI_TEXT.encode("utf-16-le")))
    assert (doc.status, doc.encoding) == ("ok", "utf-16-le")
    assert doc.text == FI_TEXT
    assert doc.notes == ("decoded as utf-16-le (no byte-order mark)",)


def test_read_document_language_check_off_swedish_ok_without_language(tmp_path, monkeypatch):
    def no_classifier(text):
        raise AssertionError("check_language=False must not classify")

    monkeypatch.setattr(ingest, "detect_language", no_classifier)
    doc = read_document(_src(tmp_path, "sv.txt", SV_TEXT.replace("\n", "\r\n")), check_language=False)
    assert (doc.status, doc.language, doc.reason) == ("ok", None, None)
    assert doc.text == SV_TEXT
    assert doc.notes == ("normalized CRLF line endings",)


def test_discover_transient_listing_error_raised_as_os_error_for_retry(tmp_path, monkeypatch):
    import errno

    import pipeline.ingest as ingest

    def failing_walk(top, onerror=None, followlinks=False):
        onerror(OSError(errno.EIO, "Input/output error", str(top)))
        return iter(())

    monkeypatch.setattr(ingest.os, "walk", failing_walk)
    with pytest.raises(OSError) as info:
        discover(tmp_path)
    assert info.value.errno == errno.EIO and not isinstance(info.value, ConfigError)


def test_discover_unreadable_subfolder_one_line_config_error(tmp_path, monkeypatch):
    import errno

    import pipeline.ingest as ingest

    def denied_walk(top, onerror=None, followlinks=False):
        onerror(PermissionError(errno.EACCES, "Permission denied", str(top / "private")))
        return iter(())

    monkeypatch.setattr(ingest.os, "walk", denied_walk)
    with pytest.raises(ConfigError, match=r"cannot list the raw directory .*private: Permission denied"):
        discover(tmp_path)


# ------------------------------------------------------------------ mixed encodings (issue 17: 13)

def test_read_document_mixed_utf8_and_cp1252_lines_decoded_line_by_line(tmp_path):
    data = ("Missiomme on hyvän elämän tukeminen.\n".encode("utf-8")
            + "Arvomme ovat yhteisöllisyys ja vastuullisuus.\n".encode("cp1252")
            + "Visiomme on, että jokainen asukas voi hyvin.\n".encode("utf-8"))
    doc = read_document(_src(tmp_path, "mixed.txt", data))
    assert doc.status == "ok"
    assert "hyvän elämän" in doc.text and "yhteisöllisyys" in doc.text and "että" in doc.text
    assert "Ã" not in doc.text and "Ċ" not in doc.text
    assert any("mixed encodings: 1 line" in n for n in doc.notes)


def test_read_document_utf8_bom_before_cp1252_body_bom_removed(tmp_path):
    data = b"\xef\xbb\xbf" + FI_TEXT.encode("cp1252")
    doc = read_document(_src(tmp_path, "bom.txt", data))
    assert doc.status == "ok" and doc.text == FI_TEXT
    assert "ï»¿" not in doc.text and "\ufeff" not in doc.text
    assert any("byte-order mark" in n for n in doc.notes)
