"""The loader's rules, streamed: a national CSV read in blocks, each row judged as the loader judges it.

:func:`peuplement.io._spec.load_tabular` reads a whole file into pandas as Python
strings, which a national RPLS file (5 million rows) does not afford. This module reads
the file in blocks of raw bytes with pyarrow's CSV reader (cells kept as Arrow text) and
applies the loader's rules to each block, with the same outcome row by row: the same
values, the same rejections (line, column, value, reason) and the same repairs.

Three things make it fast without a second set of rules:

- every per-value parser of the loader (:data:`peuplement.io._spec.PARSERS`) runs on
  the *distinct* values of a column only (a block has 35,000 commune codes and 600
  landlord names for a million rows), and its verdicts are spread back to the rows by
  index;
- numbers and identifiers written plainly (``65.5``, ``L123``) are read by Arrow's own
  cast, whose result is the parser's; anything else goes through the parser;
- the rules that need the whole file keep what they need as they go: the first
  spelling of each name, and the identifiers already met (duplicates, first occurrence
  kept), as 128-bit hashes (see :class:`_Seen`).

A block Arrow cannot read exactly as :mod:`peuplement.io._tabular` would (a row with
too many or too few fields, a blank line, a quoted line break) is read by the loader's
own CSV parser instead; a block that is not UTF-8 is decoded line by line as the loader
decodes (UTF-8, else Windows-1252).
"""

from __future__ import annotations

import bisect
import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from peuplement.io._spec import (
    COG_UNKNOWN,
    DUPLICATE,
    EMPTY_MANDATORY,
    PARSERS,
    Field,
    code_repair_message,
    expect,
    range_reason,
    text_repair_message,
)
from peuplement.io._tabular import _parse_csv
from peuplement.schema import normalize_insee, normalize_name, normalize_qpv, normalize_siren
from peuplement.validation import LoadReport

__all__ = ["Block", "RowRules", "read_blocks"]

#: Bytes read at a time: about 700,000 RPLS rows, a few hundred MB of Arrow text at most.
BLOCK_BYTES = 64 << 20

# Plain spellings, whose Arrow cast gives the parser's value (checked by the tests on
# the bad-input corpus and by properties): for numbers, an optional minus sign and
# decimal point (counts and years: ASCII digits only, up to 15, below 2**53); printable
# ASCII with single inner spaces for identifiers (normalize_name leaves them unchanged).
_PLAIN_NUMBER = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
_PLAIN_ID = r"^[!-~]+( [!-~]+)*$"

_ARROW_TYPES: dict[str, pa.DataType] = {
    "count": pa.int64(),
    "year": pa.int16(),
    "number": pa.float64(),
    "nonneg": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.timestamp("ns"),
}


@dataclass
class Block:
    """Rows of one block: every cell as Arrow text (null when empty) and each row's line."""

    table: pa.Table
    lines: np.ndarray
    unreadable: list[tuple[int, str, str]]
    cp1252_lines: int = 0
    utf8_accents: bool = False
    first_bad: int | None = None


def _decode(block: bytes) -> tuple[bytes, int, bool, int | None]:
    """Decode a block as the loader decodes a file.

    Returns the block as UTF-8, the lines read as Windows-1252, whether a line with
    accents is UTF-8, and the position of the first byte that is not UTF-8. As :func:`peuplement.io._tabular._decode`: UTF-8 when the whole is UTF-8, else line
    by line (a file may mix both encodings).
    """
    try:
        block.decode("utf-8")
        return block, 0, not block.isascii(), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    out = []
    n = 0
    accents = False
    for line in block.split(b"\n"):
        try:
            line.decode("utf-8")
            accents = accents or not line.isascii()
            out.append(line)
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="replace").encode("utf-8"))
            n += 1
    return b"\n".join(out), n, accents, first_bad


def _arrow_read(
    data: bytes | memoryview,
    names: Sequence[str],
    sep: str,
    lines: int,
    columns: Sequence[str] | None = None,
) -> pa.Table | None:
    """Read a block with Arrow; ``None`` unless it is valid UTF-8 with one row per line.

    Arrow reads with ``newlines_in_values=False``: a quoted line break, a blank line or a
    row with too many or too few fields makes it fail (a row split in two has the wrong
    number of fields), and so does text that is not UTF-8. Only ``columns`` are
    converted (every field is still split and counted).
    """
    wanted = list(columns) if columns is not None else list(names)
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=list(names), block_size=16 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in wanted},
                include_columns=wanted,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if table.num_rows != lines:
        return None
    if columns is not None and len(wanted) < len(names) and _blank_rows(table).any():
        # A row blank in the columns read may hold something elsewhere: read them all.
        return _arrow_read(data, names, sep, lines)
    return table


def _count_lines(data: bytes) -> int:
    return data.count(b"\n") + (not data.endswith(b"\n"))


class _Reader:
    """The file's bytes after the header, handed out in blocks that end on a line break.

    A block is the start of a chunk read from the file, up to its last line break; the
    file is then rewound to that point, so that no byte is copied to join a cut line to
    the next block.
    """

    def __init__(self, path: Path, start: int, size: int) -> None:
        self.handle = path.open("rb")
        self.handle.seek(start)
        self.size = size

    def block(self) -> tuple[bytes, int]:
        """Return the next block as ``data[:end]`` (``end`` 0 at the end of the file).

        Returns
        -------
        tuple
            ``data`` (bytes read) and ``end`` (the block's length in it).
        """
        data = b""
        while chunk := self.handle.read(self.size):
            data = data + chunk if data else chunk
            end = data.rfind(b"\n") + 1
            if end:
                self.handle.seek(end - len(data), os.SEEK_CUR)
                return data, end
        return data, len(data)

    def to_even_quotes(self, block: bytes) -> bytes:
        """Extend ``block`` line by line until its quotes are balanced (a quoted line break).

        Quotes inside a quoted cell are doubled, so a block that ends outside any cell
        has an even count of ``"``.

        Parameters
        ----------
        block
            A block of whole lines.

        Returns
        -------
        bytes
            The block, extended to the end of the quoted cell it cut.
        """
        while block.count(b'"') % 2:
            line = self.handle.readline()
            if not line:
                break
            block += line
        return block

    def close(self) -> None:
        """Close the file."""
        self.handle.close()


def read_blocks(
    path: Path,
    *,
    sep: str,
    names: Sequence[str],
    header: str,
    columns: Sequence[str] | None = None,
    size: int | None = None,
) -> Iterator[Block]:
    """Yield the file's rows in blocks, as :func:`peuplement.io._tabular.read_table` reads them.

    Parameters
    ----------
    path
        A CSV file whose first line is its header.
    sep
        The separator.
    names
        The header's column names, made unique as the loader makes them.
    header
        The header line as text (for blocks read by the loader's CSV parser).
    columns
        The columns to read (default: all); a block with a row blank in these is read
        whole, since the loader skips only rows blank in every column.
    size
        Bytes per block (default :data:`BLOCK_BYTES`).

    Yields
    ------
    Block
        Cells as Arrow text, each row's physical line, and the rows that cannot be read.
    """
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    start = head.find(b"\n") + 1 if b"\n" in head else len(head)
    bom = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    accents = not head[bom:start].isascii()  # the header's own accents
    reader = _Reader(path, start, size or BLOCK_BYTES)
    line, offset = 2, start
    decode = False  # set once a block was not UTF-8: the next ones are decoded first
    try:
        while True:
            data, end = reader.block()
            if not end:
                break
            view = memoryview(data)[:end]
            newlines = data.count(b"\n", 0, end)
            lines = newlines + (data[end - 1] != ord("\n"))
            # Arrow checks UTF-8 in the columns it converts only: the others are checked
            # here (bytes past ``end`` are the next block's: checking them too is harmless).
            ascii_ = data.isascii()
            fast = not decode and (columns is None or ascii_ or _is_utf8(view))
            table = _arrow_read(view, names, sep, lines, columns) if fast else None
            if table is not None:
                accents = accents or not ascii_
                rows = np.arange(line, line + lines, dtype=np.int64)
                yield Block(table, rows, [], 0, accents)
                block_size = end
            else:
                block = reader.to_even_quotes(bytes(view))
                newlines = block.count(b"\n")
                decode = decode or not _is_utf8(block)
                slow = _slow_block(block, line, offset - bom, accents, path, sep, names, header)
                accents = slow.utf8_accents
                yield slow
                block_size = len(block)
            line += newlines
            offset += block_size
    finally:
        reader.close()


def _is_utf8(block: bytes | memoryview) -> bool:
    """Return whether ``block`` is UTF-8.

    Checked by Arrow without building a Python string (several times faster than
    ``bytes.decode``).
    """
    buffer = pa.py_buffer(block)
    offsets = pa.py_buffer(np.array([0, len(block)], dtype=np.int32).tobytes())
    try:
        pa.Array.from_buffers(pa.binary(), 1, [None, offsets, buffer]).cast(pa.string())
    except pa.ArrowInvalid:
        return False
    return True


def _slow_block(
    raw: bytes,
    line: int,
    offset: int,
    accents: bool,
    path: Path,
    sep: str,
    names: Sequence[str],
    header: str,
) -> Block:
    """Read a block Arrow could not read as it is.

    Decoded as the loader decodes a file, then read by Arrow if it now can, else by the
    loader's own CSV parser (rows with too many fields, blank lines, quoted line breaks).
    """
    data, cp1252, block_accents, bad = _decode(raw)
    accents = accents or block_accents
    first_bad = None if bad is None else offset + bad
    lines = _count_lines(data)
    table = _arrow_read(data, names, sep, lines)
    if table is not None:
        rows = np.arange(line, line + lines, dtype=np.int64)
        return Block(table, rows, [], cp1252, accents, first_bad)
    parsed = _parse_csv(header + "\n" + data.decode("utf-8"), sep, path.name)
    parsed.frame.columns = list(names)[: len(parsed.frame.columns)]
    frame = parsed.frame.reindex(columns=list(names))
    table = pa.Table.from_pandas(frame.astype("string"), preserve_index=False).cast(
        pa.schema([(name, pa.string()) for name in names])
    )
    shift = line - 2
    unreadable = [(row + shift, why, text) for row, why, text in parsed.unreadable]
    rows = parsed.rows.to_numpy() + shift
    return Block(table, rows, unreadable, cp1252, accents, first_bad)


def _dense(array: pa.ChunkedArray | pa.Array) -> pa.Array:
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _mask(array: pa.Array | pa.ChunkedArray, null: bool = False) -> np.ndarray:
    """Return a boolean Arrow array as numpy, nulls as ``null``."""
    return np.asarray(pc.fill_null(array, null), dtype=bool)


@dataclass
class _Parsed:
    """A column parsed as the loader parses it: Arrow values and numpy masks."""

    values: pa.Array
    wrong: np.ndarray
    missing: np.ndarray
    unknown: np.ndarray | None = None
    key: pa.Array | None = None


class _Seen:
    """Identifiers met so far: their 64-bit hashes in sorted runs, their text kept aside.

    A hand-written set: Python's set of 5 million strings costs 400 MB and a second per
    million look-ups, whereas numpy searches sorted fixed-width hashes in milliseconds.
    Each block adds one run sorted on the hash, with the row holding each hash; a
    block's hashes are looked up in every run (sorted queries: a linear walk) behind a
    table of the slots met (:attr:`filter`), and runs are merged beyond
    :attr:`MAX_RUNS`. A hash met before, or twice in a block, is settled on the text of
    the identifiers (kept as Arrow text, 60 MB for 5 million): equal text is a
    duplicate, different text a new identifier that shares its hash (then listed in
    ``others``). The answer is exact, whatever the hash.
    """

    MAX_RUNS = 8
    #: :attr:`filter` is a table of the slots met, indexed by the first bits of the hash: a
    #: key whose slot was never met is new without a search. It keeps at least 8 slots per
    #: key met (at most 1 in 8 look-ups of a new key goes on to a search), growing by
    #: four from 2**20 slots up to 2**28 (256 MB): 64 MB for 5 million keys.
    MIN_BITS, MAX_BITS = 20, 28

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.bits = self.MIN_BITS
        self.filter = np.zeros(1 << self.bits, dtype=bool)
        self.others: dict[int, list[int]] = {}
        self.blocks: list[pa.Array] = []
        self.starts: list[int] = [0]

    @staticmethod
    def hash(keys: pa.Array) -> np.ndarray:
        """Return a 64-bit hash of each key (DuckDB's ``hash``).

        Parameters
        ----------
        keys
            Text values.

        Returns
        -------
        numpy.ndarray
            ``uint64`` hashes.
        """
        con = _hasher()
        con.register("block_keys", pa.table({"k": keys}))
        hashed = con.sql("SELECT hash(k) AS a FROM block_keys").fetchnumpy()
        con.unregister("block_keys")
        return np.asarray(hashed["a"], dtype=np.uint64)

    def _grow(self, keys: int) -> None:
        """Enlarge :attr:`filter` for ``keys`` keys, its slots set again from the runs."""
        bits = self.bits
        while (1 << bits) < 8 * keys and bits < self.MAX_BITS:
            bits += 2
        if bits == self.bits:
            return
        self.bits = bits
        self.filter = np.zeros(1 << bits, dtype=bool)
        for run_a, _ in self.runs:
            self.filter[(run_a >> np.uint64(64 - bits)).astype(np.intp)] = True

    def _text(self, row: int) -> str:
        """Return the identifier of an earlier row (its number counted over the file)."""
        block = bisect.bisect_right(self.starts, row) - 1
        value: str = self.blocks[block][row - self.starts[block]].as_py()
        return value

    def first_time(self, keys: pa.Array) -> np.ndarray:
        """Return, per row, whether its key is null or met for the first time in the file.

        Parameters
        ----------
        keys
            The identifiers' keys, in file order.

        Returns
        -------
        numpy.ndarray
            ``False`` for the rows whose key an earlier row had.
        """
        base = self.starts[-1]
        hashes = self.hash(keys)
        order = _sorted_by(hashes, np.flatnonzero(~np.asarray(keys.is_null(), dtype=bool)))
        a = hashes[order]
        holder = np.full(len(a), -1, dtype=np.int64)  # the earlier row with the same hash
        self._grow(sum(len(run[0]) for run in self.runs) + len(a))
        slot = (a >> np.uint64(64 - self.bits)).astype(np.intp)
        maybe = np.flatnonzero(self.filter[slot])  # the others were never met
        for run_a, run_row in self.runs:
            at = np.searchsorted(run_a, a[maybe])
            at[at == len(run_a)] = 0
            found = run_a[at] == a[maybe]
            holder[maybe[found]] = run_row[at[found]]
        tie = np.zeros(len(a), dtype=bool)
        tie[1:] = a[1:] == a[:-1]
        tie[:-1] |= tie[1:]
        settle = (holder >= 0) | tie
        if self.others:
            settle |= np.isin(a, np.fromiter(self.others, dtype=np.uint64, count=len(self.others)))
        repeat = np.zeros(len(a), dtype=bool)
        new = ~settle
        texts: dict[int, set[str]] = {}
        for i in np.flatnonzero(settle):  # by hash, in file order within one: few rows
            h = int(a[i])
            if h not in texts:
                rows = ([int(holder[i])] if holder[i] >= 0 else []) + self.others.get(h, [])
                texts[h] = {self._text(row) for row in rows}
            text = keys[int(order[i])].as_py()
            if text in texts[h]:
                repeat[i] = True
                continue
            if texts[h]:  # another identifier with this hash
                self.others.setdefault(h, []).append(base + int(order[i]))
            else:
                new[i] = True
            texts[h].add(text)
        if new.any():
            self.runs.append((a[new], base + order[new]))
            self.filter[slot[new]] = True
        if len(self.runs) > self.MAX_RUNS:
            merged_a = np.concatenate([run[0] for run in self.runs])
            merged_row = np.concatenate([run[1] for run in self.runs])
            perm = np.argsort(merged_a)
            self.runs = [(merged_a[perm], merged_row[perm])]
        self.blocks.append(keys)
        self.starts.append(base + len(keys))
        first = np.ones(len(keys), dtype=bool)
        first[order[repeat]] = False
        return first


@functools.lru_cache(maxsize=1)
def _hasher() -> duckdb.DuckDBPyConnection:
    """Return the DuckDB connection that hashes identifiers (one per process)."""
    return duckdb.connect()


def _sorted_by(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return ``rows`` sorted on ``values[rows]``, ties in file order.

    An unstable sort (several times faster than a stable one on 64-bit keys) and the
    rare ties put back in order.
    """
    order = rows[np.argsort(values[rows])]
    keys = values[order]
    tie = np.flatnonzero(keys[1:] == keys[:-1])
    if len(tie):
        starts = tie[np.r_[True, np.diff(tie) > 1]]
        for start in starts:
            stop = start + 1
            while stop < len(keys) and keys[stop] == keys[start]:
                stop += 1
            order[start:stop] = np.sort(order[start:stop])
    return order


@dataclass
class RowRules:
    """The loader's rules for ``fields``, applied block after block with the file's memory.

    Parameters
    ----------
    fields
        The canonical columns.
    found
        ``{canonical name: file column}``, as :func:`peuplement.schema.resolve_columns`
        gives it.
    report
        The load report that collects rejections and counts rows.
    qpv_generation
        Generation of QPV codes.
    known_codes
        Commune codes of the COG (current and older ones).
    """

    fields: Sequence[Field]
    found: dict[str, str]
    report: LoadReport
    qpv_generation: int | None
    known_codes: frozenset[str]
    repairs: dict[str, int] = field(default_factory=dict)
    _spellings: dict[str, dict[str, str]] = field(default_factory=dict)
    _memo: dict[str, pa.Table] = field(default_factory=dict)
    _seen: _Seen = field(default_factory=_Seen)

    def apply(self, block: Block) -> pa.Table:
        """Judge every row of ``block``; return the kept rows as typed Arrow columns.

        Parameters
        ----------
        block
            Rows read by :func:`read_blocks`.

        Returns
        -------
        pyarrow.Table
            ``ligne`` and the canonical columns of the kept rows, in file order.
        """
        report = self.report
        for line, why, text in block.unreadable:
            report.reject(pd.Series([line]), column="*", values=pd.Series([text]), reason=why)
        table, lines = _without_blank_rows(block.table, block.lines)
        report.n_read += len(lines) + len(block.unreadable)
        bad = np.zeros(len(lines), dtype=bool)
        columns: dict[str, pa.Array] = {"ligne": pa.array(lines, pa.int64())}
        for f in self.fields:
            if f.name not in self.found:
                columns[f.name] = pa.nulls(len(lines), _ARROW_TYPES.get(f.kind, pa.string()))
                continue
            col = self.found[f.name]
            raw = _dense(table[col])
            parsed = self._parse(f, raw)
            columns[f.name] = parsed.values
            for mask, reason in self._checks(f, parsed):
                new = mask & ~bad
                if new.any():
                    rows = np.flatnonzero(new)
                    report.reject(
                        pd.Series(lines[rows]),
                        column=col,
                        values=pd.Series(raw.take(rows).to_pylist(), dtype="string"),
                        reason=reason,
                    )
                    bad |= new
        kept = pa.table(columns)
        if not bad.any():
            return kept
        # The kept rows as zero-copy slices between the rejected ones (a filter would copy
        # every column; the Parquet writer reads the slices as they are).
        edges = np.flatnonzero(np.diff(np.r_[0, (~bad).astype(np.int8), 0]))
        slices = [
            kept.slice(start, stop - start)
            for start, stop in zip(edges[::2], edges[1::2], strict=True)
        ]
        return pa.concat_tables(slices) if slices else kept.slice(0, 0)

    def _checks(self, f: Field, parsed: _Parsed) -> Iterator[tuple[np.ndarray, str]]:
        """Yield the faults of a column, in the order :func:`peuplement.io._spec.load_tabular` tries them."""
        yield parsed.wrong, f"attendu : {expect(f.kind, self.qpv_generation)}"
        if parsed.unknown is not None:
            yield parsed.unknown, COG_UNKNOWN
        if f.bounds is not None:
            low, high = f.bounds
            number = np.asarray(
                pc.cast(parsed.values, pa.float64()).to_numpy(zero_copy_only=False), dtype=float
            )
            with np.errstate(invalid="ignore"):
                outside = ~np.isnan(number) & ~((number >= low) & (number <= high))
            yield outside, range_reason(f)
        if not f.accepts_empty:
            yield parsed.missing, EMPTY_MANDATORY
        if parsed.key is not None:
            yield ~self._seen.first_time(parsed.key), DUPLICATE

    def _parse(self, f: Field, raw: pa.Array) -> _Parsed:
        if f.kind in ("count", "year", "number", "nonneg"):
            return self._parse_number(f, raw)
        if f.kind == "id":
            return self._parse_id(raw)
        if f.kind == "text":
            return self._parse_name(f, raw)
        return self._parse_distinct(f, raw)

    def _count_repair(self, message: str, count: int) -> None:
        if count:
            self.repairs[message] = self.repairs.get(message, 0) + int(count)

    def _judge(self, f: Field, new: pa.Array) -> pa.Table:
        """Return the loader's verdict on each of ``new`` (distinct values, never judged yet).

        Columns ``raw``, ``value``, ``wrong``, ``missing``, ``repaired`` and ``unknown``.
        """
        values = pd.Series(new.to_pylist(), dtype="string")
        if f.kind in ("insee", "siren", "qpv"):
            check = (
                normalize_insee(values)
                if f.kind == "insee"
                else normalize_siren(values)
                if f.kind == "siren"
                else normalize_qpv(values, generation=self.qpv_generation)
            )
            value, wrong, missing, repaired = (
                check.values,
                check.invalid,
                check.missing,
                check.repaired,
            )
        else:
            p = PARSERS[f.kind](values, self.qpv_generation)
            value, wrong, missing = p.values, p.wrong, p.missing
            repaired = pd.Series(False, index=values.index)
        unknown = np.zeros(len(values), dtype=bool)
        if f.kind == "insee":
            # on object values, one hash look-up (on Arrow text, pandas builds a pyarrow
            # scalar per known code, in Python)
            objects = value.astype(object)
            unknown = (objects.notna() & ~objects.isin(self.known_codes)).to_numpy(dtype=bool)
        arrow_type = _ARROW_TYPES.get(f.kind, pa.string())
        return pa.table(
            {
                "raw": new,
                "value": pa.array(value.astype(object).tolist(), arrow_type, from_pandas=True),
                "wrong": wrong.fillna(False).to_numpy(dtype=bool),
                "missing": missing.fillna(False).to_numpy(dtype=bool),
                "repaired": repaired.fillna(False).to_numpy(dtype=bool),
                "unknown": unknown,
            }
        )

    def _parse_distinct(self, f: Field, raw: pa.Array) -> _Parsed:
        """Parse codes, booleans, dates: the loader's parser on each distinct value once.

        The verdicts are remembered from block to block; each row takes its value's by
        a hash look-up (``index_in``).
        """
        memo = self._memo.get(f.name)
        index = pc.index_in(raw, value_set=memo["raw"]) if memo is not None else None
        unseen = raw.is_valid() if index is None else pc.and_(raw.is_valid(), index.is_null())
        if pc.any(unseen).as_py():
            judged = self._judge(f, pc.unique(raw.filter(unseen)))
            memo = judged if memo is None else pa.concat_tables([memo, judged]).combine_chunks()
            self._memo[f.name] = memo
            index = pc.index_in(raw, value_set=memo["raw"])
        if memo is None or index is None:  # no value at all in the column
            memo = self._judge(f, pa.array([], pa.string()))
            index = pa.nulls(len(raw), pa.int32())
        verdict = memo.drop_columns(["raw"]).take(index)  # a null cell: null everywhere
        if f.kind in ("insee", "siren", "qpv"):
            repaired = int(pc.sum(verdict["repaired"]).as_py() or 0)
            self._count_repair(code_repair_message(self.found[f.name]), repaired)
        return _Parsed(
            _dense(verdict["value"]),
            _mask(verdict["wrong"]),
            _mask(verdict["missing"], null=True),
            unknown=_mask(verdict["unknown"]) if f.kind == "insee" else None,
        )

    def _parse_number(self, f: Field, raw: pa.Array) -> _Parsed:
        """Parse numbers: Arrow's cast for plain spellings, the loader's parser for the others."""
        integer = f.kind in ("count", "year")
        empty = np.asarray(raw.is_null(), dtype=bool)
        try:  # most blocks: every value a number Arrow reads (a finite one, checked below)
            values = pc.cast(raw, pa.float64())
            other = np.zeros(len(raw), dtype=bool)
        except pa.ArrowInvalid:
            if integer:  # digits only, at most 15 (below 2**53)
                plain = pc.and_(pc.ascii_is_decimal(raw), pc.less_equal(pc.binary_length(raw), 15))
            else:
                plain = pc.match_substring_regex(raw, _PLAIN_NUMBER)
            values = pc.cast(pc.if_else(plain, raw, None), pa.float64())
            other = ~_mask(plain) & ~empty
        number = values.to_numpy(zero_copy_only=False)
        # `inf`, `nan`, `1e999` and, for counts, `1.5`, `-2` or beyond 2**53: the loader's
        # parser decides.
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(number)
            other |= ~finite & ~empty  # a NaN not from an empty cell: `nan` written
            if integer:
                odd = (number < 0) | (number != np.floor(number)) | (number >= 2.0**53)
                other |= finite & odd
        wrong = np.zeros(len(raw), dtype=bool)
        if other.any():
            number = number.copy()
            rows = np.flatnonzero(other)
            parsed = PARSERS[f.kind](pd.Series(raw.take(rows).to_pylist(), dtype="string"), None)
            number[rows] = parsed.values.astype("float64").to_numpy(na_value=np.nan)
            wrong[rows] = parsed.wrong.to_numpy(dtype=bool)
        with np.errstate(invalid="ignore"):
            if f.kind == "nonneg":
                wrong |= number < 0
            elif f.kind == "year":
                wrong |= (number < 1000) | (number > 9999)
        if other.any() or wrong.any():
            number = np.where(wrong, np.nan, number)
            array = pa.array(number, from_pandas=True)
            missing = np.isnan(number) & ~wrong
        else:  # the cast as it is: a null where the cell is empty
            array, missing = values, empty
        if integer:
            # A count beyond the integer type is rejected by its range before it is kept.
            array = pc.cast(array, _ARROW_TYPES[f.kind], safe=False)
        return _Parsed(array, wrong, missing)

    def _parse_id(self, raw: pa.Array) -> _Parsed:
        """Parse identifiers: kept as written (trimmed); duplicates found on their normalised key.

        The loader writes every row under the first spelling of its key; for an
        identifier the first spelling is the kept row's own (any later row with the key
        is a duplicate and rejected).
        """
        odd = np.flatnonzero(~_mask(pc.match_substring_regex(raw, _PLAIN_ID), True))
        if not len(odd):
            return _Parsed(raw, np.zeros(len(raw), bool), np.asarray(raw.is_null()), key=raw)
        values = np.array(raw.to_numpy(zero_copy_only=False), dtype=object)
        keys = values.copy()
        for i in odd:
            stripped = values[i].strip()
            key = normalize_name(stripped)
            values[i] = stripped if stripped and key else None
            keys[i] = key if stripped and key else None
        array = pa.array(values, type=pa.string())
        return _Parsed(
            array,
            np.zeros(len(raw), bool),
            np.asarray(array.is_null(), dtype=bool),
            key=pa.array(keys, type=pa.string()),
        )

    def _parse_name(self, f: Field, raw: pa.Array) -> _Parsed:
        """Parse names: each written as the first spelling of its key in the file.

        As :func:`peuplement.io._spec._parse_text`, worked out on the distinct values.
        """
        spellings = self._spellings.setdefault(f.name, {})
        encoded = pc.dictionary_encode(raw)
        out: list[str | None] = []
        changed: list[bool] = []
        for value in encoded.dictionary.to_pylist():  # in order of first appearance
            stripped = value.strip()
            key = normalize_name(stripped) if stripped else ""
            if not key:
                out.append(None)
                changed.append(False)
                continue
            first = spellings.setdefault(key, stripped)
            out.append(first)
            changed.append(first != stripped)
        index = pa.array(encoded.indices.fill_null(len(out)))
        self._count_repair(
            text_repair_message(self.found[f.name]),
            int(_mask(pa.array([*changed, False]).take(index)).sum()),
        )
        array = pa.array([*out, None], type=pa.string()).take(index)
        return _Parsed(array, np.zeros(len(raw), bool), np.asarray(array.is_null(), dtype=bool))


def _is_blank(cells: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Return the cells empty or made of white space only."""
    spaces = pc.or_(pc.equal(pc.binary_length(cells), 0), pc.utf8_is_space(cells))
    return _mask(spaces, True)


def _blank_rows(table: pa.Table) -> np.ndarray:
    """Return the rows whose every cell is empty or blank."""
    if not table.num_columns or not table.num_rows:
        return np.zeros(table.num_rows, dtype=bool)
    blank = _is_blank(table.column(0))
    for name in table.column_names[1:]:
        if not blank.any():
            break
        rows = np.flatnonzero(blank)
        cells = table[name].take(rows)
        blank[rows] = _is_blank(cells)
    return blank


def _without_blank_rows(table: pa.Table, lines: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Drop rows whose every cell is empty or blank, as the loader skips blank lines."""
    blank = _blank_rows(table)
    if not blank.any():
        return table, lines
    return table.filter(pa.array(~blank)), lines[~blank]
