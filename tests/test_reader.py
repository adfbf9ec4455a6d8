"""Landing files → text units: lines, documents, compression, encodings, broken files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from orchestration.ingest import landing, reader
from orchestration.ingest.landing import LandingFile


def units(path: Path, max_document_bytes: int = 1 << 20) -> list[tuple[int, str, str | None]]:
    (file,) = [
        f
        for f in landing.batch_files(
            path.parent.parent.parent,
            path.parent.parent.name,
            __import__("datetime").date.fromisoformat(path.parent.name),
        )
        if f.path == path
    ]
    rows = []
    for table in reader.read_units(file, max_document_bytes, 1 << 20):
        rows += list(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))
    return rows


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "sendgrid" / "2026-11-01"
    path.mkdir(parents=True)
    return path


def test_lines_keep_their_numbers_through_crlf_bom_and_a_missing_final_newline(folder):
    path = folder / "a.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\r\n\r\n{"b": 2}\n{"c": 3}')
    assert [(n, t.strip(), error) for n, t, error in units(path)] == [
        (1, '{"a": 1}', None),
        (2, "", None),
        (3, '{"b": 2}', None),
        (4, '{"c": 3}', None),
    ]


def test_gzip_is_read_and_invalid_utf8_is_flagged_not_lost(folder):
    path = folder / "a.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"b": "\xff"}\n'))
    rows = units(path)
    assert [(n, error) for n, _, error in rows] == [(1, None), (2, "the line is not UTF-8 text")]
    assert "\\xff" in rows[1][1]


def test_a_document_is_one_unit_and_size_is_bounded(folder):
    path = folder / "a.json"
    path.write_text('[{"a": 1},\n {"b": 2}]')
    assert units(path) == [(1, '[{"a": 1},\n {"b": 2}]', None)]
    with pytest.raises(reader.BadFile, match="larger than"):
        units(path, max_document_bytes=5)


def test_not_gzip_though_named_so_is_a_bad_file(folder):
    path = folder / "a.jsonl.gz"
    path.write_bytes(b"plain text\n")
    with pytest.raises(reader.BadFile, match="gzip"):
        units(path)


def test_batch_files_are_sorted_by_name_with_their_format_and_links_and_folders_flagged(folder):
    (folder / "b.ndjson").write_text("")
    (folder / "a.JSON.GZ").write_bytes(gzip.compress(b"{}"))
    (folder / "c.csv").write_text("")
    (folder / "sub").mkdir()
    (folder / "d.jsonl").symlink_to(folder / "b.ndjson")
    files = landing.batch_files(
        folder.parent.parent, "sendgrid", __import__("datetime").date(2026, 11, 1)
    )
    assert [(f.name, f.format, f.gzip, f.regular) for f in files] == [
        ("a.JSON.GZ", "document", True, True),
        ("b.ndjson", "lines", False, True),
        ("c.csv", None, False, True),
        ("d.jsonl", "lines", False, False),
        ("sub", None, False, False),
    ]
    assert isinstance(files[0], LandingFile)
