"""Streaming reader of MediaWiki's mysqldump tables (``jawiki-YYYYMMDD-langlinks.sql.gz`` and the like).

A dump is read in binary, one line at a time, so memory follows the longest line (about 1 MB in Wikimedia's
dumps), not the number of rows. Each ``INSERT INTO `table` VALUES (...),(...);`` line is split into rows by
one regular expression; strings are bytes in the dump (varbinary), decoded as UTF-8, and only those holding
an escape are unescaped. Compression (gzip, bz2 or none) is told by the file's magic bytes.

What stops a run (``InputError``, naming the file): a missing or truncated file, a file that is not a
mysqldump, a dump of another table or with other columns, an INSERT line of which no row parses. What does
not: a single row that does not parse is logged, counted as ``skipped_bad_row`` and skipped; a string that
is not valid UTF-8 is decoded with replacement characters and counted as ``replaced_invalid_utf8``. With
debug logging on (``-v``), every row skipped is logged with its file and line, the rows of languages not
asked for included; off, that costs nothing.

Known limitations: rows are expected in mysqldump's own layout (no spaces between values); MySQL 8's
``_binary '...'`` string prefix is read by :func:`iter_rows` only.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import operator
import os
import re
import zlib
from typing import TYPE_CHECKING, Iterable, Iterator, MutableMapping, Sequence

from leia.errors import InputError
from leia.wiki.dumps.compression import open_binary

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "LANGLINKS_COLUMNS",
    "iter_dump_lines",
    "database_name",
    "iter_rows",
    "iter_langlinks",
    "iter_langlink_batches",
    "unescape",
]

logger = logging.getLogger(__name__)

LANGLINKS_COLUMNS = ("ll_from", "ll_lang", "ll_title")

Value = int | float | str | None
Counters = MutableMapping[str, int]

# The body of a quoted string: any bytes, with backslash escapes and doubled quotes.
_STRING = rb"'([^'\\]*(?:(?:\\.|'')[^'\\]*)*)'"
_STRING_NC = rb"(?:_binary )?'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'"
_NUMBER = rb"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_VALUE_NC = rb"(?:" + _STRING_NC + rb"|NULL|0x[0-9A-Fa-f]*|" + _NUMBER + rb")"
_TUPLE = rb"(\(" + _VALUE_NC + rb"(?:," + _VALUE_NC + rb")*\)),?"
# Whatever is neither: up to the next parenthesis, never empty, so matches tile the whole line.
_JUNK = rb"(\([^(]*|[^(]+)"

# (ll_from, ll_lang, ll_title) | a row of another shape | junk
_LANGLINK_ROW = re.compile(
    rb"\((\d+)," + _STRING + rb"," + _STRING + rb"\),?|" + _TUPLE + rb"|" + _JUNK, re.DOTALL
)
_LANGLINK_ROW_TEXT = re.compile(_LANGLINK_ROW.pattern.decode(), re.DOTALL)
# a row | junk
_ANY_ROW = re.compile(_TUPLE + rb"|" + _JUNK, re.DOTALL)
_VALUE = re.compile(
    rb"(?:_binary )?" + _STRING + rb"|(NULL)|0x([0-9A-Fa-f]*)|(" + _NUMBER + rb")", re.DOTALL
)

_ESCAPE = re.compile(rb"\\(.)|''", re.DOTALL)
_ESCAPE_TEXT = re.compile(r"\\(.)|''", re.DOTALL)
_CONTROLS = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
# One table for the bytes and the str forms of a string's body.
_ESCAPES: dict[bytes | str, bytes | str] = {**_CONTROLS, **{k.encode(): v.encode() for k, v in _CONTROLS.items()}}
_KEEP_BACKSLASH = {b"%", b"_", "%", "_"}

_CREATE = re.compile(rb"CREATE TABLE (?:IF NOT EXISTS )?`([^`]*)`")
_COLUMN = re.compile(rb"\s*`([^`]*)`\s")
_INSERT = re.compile(rb"INSERT (?:IGNORE )?INTO `([^`]*)`\s*(?:\(([^)]*)\)\s*)?VALUES\s*")
_NAME = re.compile(rb"`([^`]*)`")
_STATEMENT_STARTS = (
    b"--", b"/*", b"DROP", b"CREATE", b"INSERT", b"SET", b"LOCK", b"UNLOCK", b"USE", b"ALTER",
    b"START", b"BEGIN", b"COMMIT",
)  # fmt: skip
_MAX_ROW_WARNINGS = 20


def _unescape_one(m: re.Match) -> bytes | str:
    c = m.group(1)
    if c is None:
        return m.group(0)[:1]
    if c in _ESCAPES:
        return _ESCAPES[c]
    if c in _KEEP_BACKSLASH:
        return m.group(0)
    return c


def unescape(raw: bytes) -> bytes:
    """The bytes a MySQL string literal's body stands for: ``\\'``, ``\\\\``, ``\\"``, ``\\n``, ``\\r``,
    ``\\t``, ``\\0``, ``\\Z``, ``\\b`` and ``''``; any other ``\\x`` is ``x``, except that ``\\%`` and ``\\_``
    keep their backslash (as in MySQL)."""
    return _ESCAPE.sub(_unescape_one, raw)


def _decode(raw: bytes, counters: Counters) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:
        counters["replaced_invalid_utf8"] = counters.get("replaced_invalid_utf8", 0) + 1
        return raw.decode(errors="replace")


def _text(raw: bytes, counters: Counters) -> str:
    """A string literal's body as text."""
    if b"\\" in raw or b"''" in raw:
        raw = unescape(raw)
    return _decode(raw, counters)


def _unescaped(raw: str, counters: Counters) -> str:
    """A string literal's body, already decoded, as text."""
    return _ESCAPE_TEXT.sub(_unescape_one, raw) if "\\" in raw or "''" in raw else raw


def iter_dump_lines(path: str | os.PathLike) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of a possibly compressed file, in binary; a truncated or corrupt compressed
    stream raises ``InputError`` naming the file and the line being read."""
    stream, counter = open_binary(path)
    lineno = 0
    with contextlib.closing(counter), stream:
        try:
            for line in stream:
                lineno += 1
                yield lineno, line
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as e:
            raise InputError(
                f"{os.fspath(path)}: compressed data truncated or corrupt at line {lineno + 1} ({e}); "
                "download the file again"
            ) from None


_DATABASE = re.compile(rb"^--.*\bDatabase: ([A-Za-z0-9_\-]+)")


def database_name(path: str | os.PathLike) -> str | None:
    """The database a mysqldump was taken of, from its header (``-- Host: ...  Database: jawiki``): the wiki's
    database name, read before the first statement; None when the header does not name one."""
    for _, line in iter_dump_lines(path):
        found = _DATABASE.match(line)
        if found:
            return found.group(1).decode()
        if line.strip() and not line.startswith((b"--", b"/*")):
            return None
    return None


def _names(raw: bytes) -> list[str]:
    return [n.decode(errors="replace") for n in _NAME.findall(raw)]


def _check_table(path: str, table: str, found: bytes, lineno: int) -> None:
    if found != table.encode():
        raise InputError(f"{path}: a dump of table `{found.decode(errors='replace')}`, not `{table}` (line {lineno})")


def _check_columns(path: str, table: str, found: Sequence[str], expected: Sequence[str] | None) -> None:
    if expected is not None and tuple(found) != tuple(expected):
        raise InputError(
            f"{path}: table `{table}` has columns ({', '.join(found)}), expected ({', '.join(expected)})"
        )


def _insert_lines(
    path: str | os.PathLike, table: str, columns: Sequence[str] | None
) -> Iterator[tuple[int, bytes, int, int, int | None]]:
    """``(line number, line, start, end, column count)`` for each INSERT line of ``table``: the rows lie in
    ``line[start:end]``. The table's name (and columns, when given) are checked against the CREATE TABLE
    statement and each INSERT."""
    name = os.fspath(path)
    ncols: int | None = None
    create_columns: list[str] | None = None
    found = False
    for lineno, line in iter_dump_lines(path):
        if create_columns is not None:
            m = _COLUMN.match(line)
            if m is not None:
                create_columns.append(m.group(1).decode(errors="replace"))
            elif line.lstrip().startswith(b")"):
                _check_columns(name, table, create_columns, columns)
                ncols = len(create_columns)
                create_columns = None
            continue
        if line.startswith(b"INSERT"):
            m = _INSERT.match(line)
            if m is None:
                raise InputError(f"{name}, line {lineno}: unreadable INSERT statement {line[:60]!r}")
            _check_table(name, table, m.group(1), lineno)
            if m.group(2) is not None:
                listed = _names(m.group(2))
                _check_columns(name, table, listed, columns)
                ncols = len(listed)
            found = True
            end = len(line)
            while end > m.end() and line[end - 1] in b"\r\n\t ;":
                end -= 1
            yield lineno, line, m.end(), end, ncols
        elif line.startswith(b"CREATE TABLE"):
            m = _CREATE.match(line)
            if m is None:
                raise InputError(f"{name}, line {lineno}: unreadable CREATE TABLE statement")
            _check_table(name, table, m.group(1), lineno)
            found = True
            create_columns = []
        elif not found and line.strip() and not line.startswith(_STATEMENT_STARTS):
            raise InputError(f"{name}: not a mysqldump of `{table}` (line {lineno} is not SQL)")
    if not found:
        raise InputError(f"{name}: not a mysqldump of `{table}` (no CREATE TABLE or INSERT INTO `{table}`)")


class _BadRows:
    """Counts and logs rows that do not parse; consecutive junk pieces count as one row."""

    def __init__(self, path: str | os.PathLike, counters: Counters):
        self.path = os.fspath(path)
        self.counters = counters
        self.logged = 0

    def skip(self, lineno: int, raw: bytes | str) -> None:
        if isinstance(raw, str):
            raw = raw.encode()
        self.counters["skipped_bad_row"] = self.counters.get("skipped_bad_row", 0) + 1
        if self.logged < _MAX_ROW_WARNINGS:
            logger.warning("%s, line %d: skipped a row that does not parse: %.80r", self.path, lineno, raw)
        else:
            if self.logged == _MAX_ROW_WARNINGS:
                logger.warning("%s: further rows that do not parse are counted, logged at debug level only",
                               self.path)
            logger.debug("%s, line %d: skipped a row that does not parse: %.80r", self.path, lineno, raw)
        self.logged += 1

    def no_rows(self, lineno: int) -> InputError:
        return InputError(f"{self.path}, line {lineno}: no row of this INSERT statement parses")


def _value(m: tuple[bytes, bytes, bytes, bytes], counters: Counters) -> Value:
    string, null, hexa, number = m
    if null:
        return None
    if number:
        if b"." in number or b"e" in number or b"E" in number:
            return float(number)
        return int(number)
    if hexa:
        return _decode(bytes.fromhex(hexa.decode().zfill(len(hexa) + len(hexa) % 2)), counters)
    return _text(string, counters)


def iter_rows(
    path: str | os.PathLike,
    table: str,
    columns: Sequence[str] | None = None,
    counters: Counters | None = None,
) -> Iterator[tuple[Value, ...]]:
    """Each row of ``table`` in a mysqldump file, as a tuple of ``int``, ``float``, ``str`` or ``None``.

    ``columns``, when given, must be the table's column names in order (checked against CREATE TABLE or an
    INSERT's column list). A row whose width differs from the table's is skipped as a bad row. ``counters``
    receives ``rows``, ``skipped_bad_row`` and ``replaced_invalid_utf8``.
    """
    counters = {} if counters is None else counters
    bad = _BadRows(path, counters)
    values = _VALUE.findall
    for lineno, line, start, end, ncols in _insert_lines(path, table, columns):
        n = 0
        for inner, _ in _rows(_ANY_ROW, line, start, end, lineno, bad):
            row = tuple(_value(v, counters) for v in values(inner))
            if ncols is not None and len(row) != ncols:
                bad.skip(lineno, inner)
                continue
            n += 1
            yield row
        if n == 0 and start < end:
            raise bad.no_rows(lineno)
        counters["rows"] = counters.get("rows", 0) + n


def _rows(
    pattern: re.Pattern, line: bytes | str, start: int, end: int, lineno: int, bad: _BadRows,
    other: int | None = None,
) -> Iterable[tuple]:
    """The one reader of an INSERT line's rows: the groups of each match of ``pattern`` that is a row, in
    order. The pattern's alternatives tile the line and end with a junk group; its first group is empty
    but in a row of the table; group ``other``, when given, holds a row of another shape. Junk is counted
    and logged as a bad row (consecutive junk pieces as one), and so is a row of another shape."""
    matches = pattern.findall(line, start, end)
    return matches if all(map(_FIRST, matches)) else _skipping_bad_rows(matches, lineno, bad, other)


_FIRST = operator.itemgetter(0)


def _skipping_bad_rows(matches: list[tuple], lineno: int, bad: _BadRows, other: int | None) -> Iterator[tuple]:
    junk = False
    for groups in matches:
        if groups[-1]:
            if not junk:
                bad.skip(lineno, groups[-1])
            junk = True
            continue
        junk = False
        if other is not None and groups[other]:
            bad.skip(lineno, groups[other])
            continue
        yield groups


def _langlink_rows(
    line: bytes | str, start: int, end: int, want: bytes | None, lineno: int, bad: _BadRows, counters: Counters
) -> tuple[int, list[int], list[str] | None, list[str]]:
    """Rows read and the columns of the rows kept (``ll_lang`` only when not filtered by ``want``) from one
    INSERT line: its bytes, or the line decoded as a whole (faster than decoding each string when all rows
    are kept)."""
    decoded = isinstance(line, str)
    pattern, string = (_LANGLINK_ROW_TEXT, _unescaped) if decoded else (_LANGLINK_ROW, _text)
    ids: list[int] = []
    langs: list[str] | None = [] if want is None else None
    titles: list[str] = []
    rows = 0
    found = _rows(pattern, line, start, end, lineno, bad, other=3)
    if want is not None and logger.isEnabledFor(logging.DEBUG):
        found = list(found)
        for page_id, ll_lang, _, _, _ in found:
            if ll_lang != want:
                logger.debug("%s, line %d: skipped the row of ll_from %s to language %r", bad.path, lineno,
                             int(page_id), ll_lang.decode(errors="replace"))
    for page_id, ll_lang, title, _, _ in found:
        rows += 1
        if langs is not None:
            langs.append(string(ll_lang, counters))
        elif ll_lang != want:
            continue
        ids.append(int(page_id))
        titles.append(string(title, counters))
    return rows, ids, langs, titles


def _langlink_lines(
    path: str | os.PathLike, lang: str | None, counters: Counters
) -> Iterator[tuple[list[int], list[str] | None, list[str]]]:
    """Columns ``(ll_from, ll_lang or None when filtered, ll_title)`` of the kept rows of each INSERT line."""
    want = None if lang is None else lang.encode()
    bad = _BadRows(path, counters)
    for lineno, line, start, end, _ in _insert_lines(path, "langlinks", LANGLINKS_COLUMNS):
        text = None
        if want is None:
            try:
                text = line.decode()
            except UnicodeDecodeError:
                pass
        if text is not None:
            rows, ids, langs, titles = _langlink_rows(text, start, len(text) - (len(line) - end), None, lineno, bad,
                                                      counters)
        else:
            rows, ids, langs, titles = _langlink_rows(line, start, end, want, lineno, bad, counters)
        if rows == 0 and start < end:
            raise bad.no_rows(lineno)
        if ids and (max(ids) >= 2**63 or min(ids) < -2**63):
            wrong = next(i for i in ids if not -2**63 <= i < 2**63)
            raise InputError(f"{os.fspath(path)}, line {lineno}: ll_from {wrong} is not a page id (beyond 64 bits)")
        counters["rows"] = counters.get("rows", 0) + rows
        counters["kept"] = counters.get("kept", 0) + len(ids)
        yield ids, langs, titles


def iter_langlinks(
    path: str | os.PathLike, lang: str | None = "en", counters: Counters | None = None
) -> Iterator[tuple[int, str]] | Iterator[tuple[int, str, str]]:
    """``(ll_from, ll_title)`` for each langlinks row to ``lang``; with ``lang=None``, every row as
    ``(ll_from, ll_lang, ll_title)``. ``ll_from`` is the page id in the dumped wiki; ``ll_title`` is the
    title as stored (spaces, not underscores; may carry a #fragment).

    ``counters`` receives ``rows`` (rows read, all languages), ``kept`` (rows yielded), ``skipped_bad_row``
    and ``replaced_invalid_utf8``; totals are updated after each INSERT line.
    """
    counters = {} if counters is None else counters
    for ids, langs, titles in _langlink_lines(path, lang, counters):
        if langs is None:
            yield from zip(ids, titles)
        else:
            yield from zip(ids, langs, titles)


def iter_langlink_batches(
    path: str | os.PathLike,
    lang: str | None = "en",
    counters: Counters | None = None,
    batch_rows: int = 1 << 16,
) -> Iterator[pa.RecordBatch]:
    """The rows of :func:`iter_langlinks` as Arrow record batches of about ``batch_rows`` rows, with
    columns ``ll_from`` (int64), ``ll_lang`` (string; only when ``lang`` is None) and ``ll_title`` (string),
    ready for ``duckdb`` (``INSERT INTO t SELECT * FROM batch``) or a Parquet writer."""
    import pyarrow as pa

    counters = {} if counters is None else counters
    names = ["ll_from", "ll_title"] if lang is not None else list(LANGLINKS_COLUMNS)
    types = [pa.int64(), pa.string()] if lang is not None else [pa.int64(), pa.string(), pa.string()]
    schema = pa.schema([pa.field(n, t, nullable=False) for n, t in zip(names, types)])
    pending: list[list] = [[] for _ in names]
    for ids, langs, titles in _langlink_lines(path, lang, counters):
        pending[0] += ids
        if langs is not None:
            pending[1] += langs
        pending[-1] += titles
        if len(pending[0]) >= batch_rows:
            yield pa.record_batch([pa.array(c, t) for c, t in zip(pending, types)], schema=schema)
            pending = [[] for _ in names]
    if pending[0]:
        yield pa.record_batch([pa.array(c, t) for c, t in zip(pending, types)], schema=schema)
