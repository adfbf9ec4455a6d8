"""Bytes of a landing file → Arrow chunks of text units (a line, or a whole document), streamed.

Lines are split with NumPy over large blocks and handed to DuckDB as zero-copy Arrow arrays, so
no Python object is made per line. A unit that cannot be a record is passed on with an `error`,
so that it is quarantined rather than lost: a line that is not UTF-8 (its bad bytes escaped), or
a line over the record size limit (only a preview of it is kept). Memory stays bounded whatever
the input: a file without newlines or a gzip bomb is streamed like any other.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.ingest.landing import LandingFile

BLOCK_BYTES = 32 << 20
PREVIEW_BYTES = 4096  # what is kept of a line over the limit, or of a bad file
BOM = b"\xef\xbb\xbf"
UNITS_SCHEMA = pa.schema([("line_no", pa.int64()), ("text", pa.string()), ("error", pa.string())])


class BadFile(Exception):
    """The file as a whole cannot be read (not gzip though named so, not JSON, too large...)."""


def read_units(
    file: LandingFile, max_document_bytes: int, max_record_bytes: int
) -> Iterator[pa.Table]:
    """Yield tables of (line_no, text, error): one row per line, or one for a whole document."""
    try:
        with _open(file) as handle:
            if file.format == "lines":
                yield from _lines(handle, max_record_bytes)
            elif file.format == "csv":
                yield from _csv_rows(handle, max_record_bytes)
            else:
                yield _document(handle, max_document_bytes)
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise BadFile(f"cannot read {'gzip ' if file.gzip else ''}file: {error}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise BadFile(f"not a UTF-8 CSV file: {error}") from None


def preview(file: LandingFile) -> str | None:
    """The first bytes of a file as text, for its bad_file row (None: not a regular file)."""
    if not file.regular:
        return None
    try:
        with _open(file, decompress=False) as handle:
            head = handle.read(PREVIEW_BYTES + 1)
    except OSError:
        return None
    text = head[:PREVIEW_BYTES].decode("utf-8", "backslashreplace")
    return text + (" …" if len(head) > PREVIEW_BYTES else "")


@contextmanager
def _open(file: LandingFile, *, decompress: bool = True) -> Iterator[BinaryIO]:
    """Open as listed: no link followed, no FIFO waited on, if one was swapped in since."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    with os.fdopen(os.open(file.path, flags), "rb") as handle:
        yield gzip.GzipFile(fileobj=handle) if file.gzip and decompress else handle  # type: ignore[misc]


def _document(handle: BinaryIO, max_bytes: int) -> pa.Table:
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BadFile(f"document is larger than the {max_bytes} byte limit")
    data = data.removeprefix(BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadFile(f"document is not UTF-8 text: {error}") from None
    return _table([1], [text])


def _csv_rows(handle: BinaryIO, max_row_chars: int) -> Iterator[pa.Table]:
    """A CSV export with a header: each row becomes a JSON object of its non-empty columns.

    A row (over however many lines its quoted fields span) longer than the limit is a bad file:
    past it, where rows start is unknown.
    """
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    row_chars = 0

    def lines() -> Iterator[str]:
        nonlocal row_chars
        while line := text.readline(max_row_chars + 1 - row_chars):
            row_chars += len(line)
            if row_chars > max_row_chars:
                raise BadFile(f"a CSV row is longer than the {max_row_chars} byte limit")
            yield line

    rows = csv.reader(lines())
    header: list[str] = []
    line_nos: list[int] = []
    texts: list[str] = []
    size = 0
    for row in rows:
        row_chars = 0
        if not row or not header:
            header = header or row
            continue
        texts.append(json.dumps({k: v for k, v in zip(header, row, strict=False) if v != ""}))
        line_nos.append(rows.line_num)
        size += len(texts[-1])
        if size >= BLOCK_BYTES:
            yield _table(line_nos, texts)
            line_nos, texts, size = [], [], 0
    if texts:
        yield _table(line_nos, texts)


def _table(line_nos: list[int], texts: list[str]) -> pa.Table:
    errors = pa.nulls(len(texts), pa.string())
    return pa.table({"line_no": line_nos, "text": texts, "error": errors}, schema=UNITS_SCHEMA)


def _lines(handle: BinaryIO, max_bytes: int) -> Iterator[pa.Table]:
    """Lines, in tables of a block's worth; `carry` is the line a block ends inside of.

    Once that line is over the limit only its preview is carried, and `dropped` counts the rest.
    """
    head = handle.read(len(BOM)).removeprefix(BOM)
    carry, dropped, line_no = b"", 0, 0
    for block in itertools.chain([head], iter(lambda: handle.read(BLOCK_BYTES), b"")):
        data = carry + block
        last_newline = data.rfind(b"\n")
        if last_newline < 0:
            carry, dropped = _bounded(data, dropped, max_bytes)
            continue
        table = _units(data[: last_newline + 1], line_no, dropped, max_bytes)
        carry, dropped = _bounded(data[last_newline + 1 :], 0, max_bytes)
        line_no += table.num_rows
        yield table
    if carry:
        yield _units(carry + b"\n", line_no, dropped, max_bytes)


def _bounded(partial: bytes, dropped: int, max_bytes: int) -> tuple[bytes, int]:
    if len(partial) <= max_bytes:
        return partial, dropped
    return partial[:PREVIEW_BYTES], dropped + max(len(partial) - PREVIEW_BYTES, 0)


def _units(data: bytes, first_line_no: int, dropped: int, max_bytes: int) -> pa.Table:
    """Split `data` (ending in a newline) into lines without a Python object per line.

    The first line had `dropped` more bytes than `data` holds; lines over `max_bytes` (newline
    excluded) become a preview with their error.
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    offsets = np.empty(len(ends) + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = ends + 1
    count = len(ends)
    # Lines keep their trailing newline: JSON allows it as whitespace, and the buffers stay shared.
    binary = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    line_nos = pa.array(np.arange(first_line_no + 1, first_line_no + count + 1, dtype=np.int64))
    try:
        text = binary.cast(pa.large_string()).cast(pa.string())
        error = pa.nulls(count, pa.string())
    except pa.ArrowInvalid:
        text, error = _escape_invalid(binary)
    sizes = np.diff(offsets) - 1
    sizes[0] += dropped
    over = sizes > max_bytes
    if over.any():
        rows = np.flatnonzero(over)
        starts = offsets[rows]
        ends = np.minimum(starts + PREVIEW_BYTES, offsets[rows + 1] - 1)
        previews = [
            data[start:end].decode("utf-8", "backslashreplace") + " …"
            for start, end in zip(starts, ends, strict=True)
        ]
        errors = [
            f"the line is {sizes[row]} bytes, over the {max_bytes} byte limit" for row in rows
        ]
        mask = pa.array(over)
        text = pc.replace_with_mask(text, mask, pa.array(previews, pa.string()))
        error = pc.replace_with_mask(error, mask, pa.array(errors, pa.string()))
    return pa.Table.from_arrays([line_nos, text, error], schema=UNITS_SCHEMA)


def _escape_invalid(binary: pa.LargeBinaryArray) -> tuple[pa.Array, pa.Array]:
    """The slow path, only for blocks holding bytes that are not UTF-8."""
    texts: list[str] = []
    errors: list[str | None] = []
    for value in binary.to_pylist():
        try:
            texts.append(value.decode("utf-8"))
            errors.append(None)
        except UnicodeDecodeError:
            texts.append(value.decode("utf-8", "backslashreplace"))
            errors.append("the line is not UTF-8 text")
    return pa.array(texts, pa.string()), pa.array(errors, pa.string())
