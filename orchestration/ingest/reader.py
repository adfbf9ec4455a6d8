"""Bytes of a landing file → Arrow chunks of text units (a line, or a whole document), streamed.

Lines are split with NumPy over large blocks and handed to DuckDB as zero-copy Arrow arrays, so
no Python object is made per line. A unit that is not UTF-8 is passed on as text with its bad
bytes escaped and flagged, so that it is quarantined rather than lost.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from orchestration.ingest.landing import LandingFile

BLOCK_BYTES = 32 << 20
BOM = b"\xef\xbb\xbf"
UNITS_SCHEMA = pa.schema([("line_no", pa.int64()), ("text", pa.string()), ("utf8_ok", pa.bool_())])


class BadFile(Exception):
    """The file as a whole cannot be read (not gzip though named so, not JSON, too large...)."""


def read_units(file: LandingFile, max_document_bytes: int) -> Iterator[pa.Table]:
    """Yield tables of (line_no, text, utf8_ok): one row per line, or one for a whole document."""
    try:
        with _open(file) as handle:
            if file.format == "lines":
                yield from _lines(handle)
            elif file.format == "csv":
                yield from _csv_rows(handle)
            else:
                yield _document(handle, max_document_bytes)
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        raise BadFile(f"cannot read {'gzip ' if file.gzip else ''}file: {error}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise BadFile(f"not a UTF-8 CSV file: {error}") from None


def _open(file: LandingFile) -> BinaryIO:
    return gzip.open(file.path, "rb") if file.gzip else file.path.open("rb")  # type: ignore[return-value]


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


def _csv_rows(handle: BinaryIO, rows_per_chunk: int = 100_000) -> Iterator[pa.Table]:
    """A CSV export with a header: each row becomes a JSON object of its non-empty columns."""
    rows = csv.DictReader(io.TextIOWrapper(handle, encoding="utf-8-sig", newline=""))
    line_nos: list[int] = []
    texts: list[str] = []
    for row in rows:
        texts.append(json.dumps({k: v for k, v in row.items() if k is not None and v != ""}))
        line_nos.append(rows.line_num)
        if len(texts) == rows_per_chunk:
            yield _table(line_nos, texts)
            line_nos, texts = [], []
    if texts:
        yield _table(line_nos, texts)


def _table(line_nos: list[int], texts: list[str]) -> pa.Table:
    ok = [True] * len(texts)
    return pa.table({"line_no": line_nos, "text": texts, "utf8_ok": ok}, schema=UNITS_SCHEMA)


def _lines(handle: BinaryIO) -> Iterator[pa.Table]:
    carry = b""
    line_no = 0
    first = True
    while True:
        block = handle.read(BLOCK_BYTES)
        if first:
            block, first = block.removeprefix(BOM), False
        if not block:
            if carry:
                yield _units(carry + b"\n", line_no)
            return
        data = carry + block
        last_newline = data.rfind(b"\n")
        if last_newline < 0:
            carry = data
            continue
        carry = data[last_newline + 1 :]
        table = _units(data[: last_newline + 1], line_no)
        line_no += table.num_rows
        yield table


def _units(data: bytes, first_line_no: int) -> pa.Table:
    """Split `data` (ending in a newline) into lines without a Python object per line."""
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
        ok = pa.array(np.ones(count, dtype=bool))
    except pa.ArrowInvalid:
        text, ok = _escape_invalid(binary)
    return pa.Table.from_arrays([line_nos, text, ok], schema=UNITS_SCHEMA)


def _escape_invalid(binary: pa.LargeBinaryArray) -> tuple[pa.Array, pa.Array]:
    """The slow path, only for blocks holding bytes that are not UTF-8."""
    texts, flags = [], []
    for value in binary.to_pylist():
        try:
            texts.append(value.decode("utf-8"))
            flags.append(True)
        except UnicodeDecodeError:
            texts.append(value.decode("utf-8", "backslashreplace"))
            flags.append(False)
    return pa.array(texts, pa.string()), pa.array(flags, pa.bool_())
