"""What ``leia augment`` can read, as an ordered stream of work batches with a fixed shard layout: a folder
of extracted documents, a MediaWiki dump (extracted on the fly), or a corpus of JSON lines / Parquet /
Arrow files with ``text`` and ``anchors`` columns."""

from __future__ import annotations

import glob
import os
import zlib
from pathlib import Path
from typing import Callable, Container, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from leia.errors import InputError, json_object_line
from leia.schemas import ANCHOR, DOCUMENTS
from leia.io.integrity import file_identity, regular_file
from leia.io.manifest import MANIFEST, read_manifest
from leia.io.shards import check_shards, iter_shard_batches
from leia.steps.protocol import Bar, Batch, Piece, Step
from leia.wiki.siteinfo import SiteInfo

__all__ = ["Source", "DocumentsFolder", "Dump", "Corpus", "open_source", "SourceStep"]

_CORPUS_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".parquet", ".arrow")
# The most documents, and about the most bytes of text, of a folder's record batches worked on at once.
WORK_ROWS = 4096
WORK_BYTES = 4 << 20


class Source:
    """An input of augmentation or mention detection, with its fixed shard layout: ``paths`` read, their
    records in a manifest (``inputs``), the wiki they name (``wiki``, None for a corpus), cut into batches of
    ``batch_size`` documents. Each kind of input is a subclass that writes :meth:`batches` and what differs
    from the defaults here (those of a corpus); ``kind`` names it in manifests and messages."""

    kind = ""

    def __init__(self, paths: list[Path], inputs: list[dict], wiki: dict | None, shard_size: int, batch_size: int):
        self.paths, self.inputs, self.wiki = paths, inputs, wiki
        self.shard_size, self.batch_size = shard_size, batch_size

    def batches(self, skip: Container[int] = frozenset()) -> Iterator[Batch]:
        """The input's batches, in shard order, leaving out the shards in ``skip``."""
        raise NotImplementedError

    def bar(self, desc: str, shown: tuple[tuple[str, str], ...]) -> Bar:
        """The progress bar of a step reading the source: documents, of a total not known in advance."""
        return Bar(None, " docs", desc, shown)

    def layout(self) -> dict:
        """How the output is cut into shards, for the manifest: ``shard_size`` documents to a shard."""
        return {"shard_size": self.shard_size}

    def shards(self) -> list[int] | None:
        """The shards of an input already cut into shards that can each be read alone; None otherwise."""
        return None

    def stages(self, site: SiteInfo | None) -> tuple:
        """The stages that turn a batch into documents before any other stage: none, batches are documents."""
        return ()

    def pieces(self, step: Step, done: Container[int]) -> list[Piece] | None:
        """``step`` cut into pieces as this input is (Step.pieces), leaving out the shards in ``done``; None
        when the input is read as one stream (the step's default: one part per worker)."""
        return None


class DocumentsFolder(Source):
    """A folder of extracted documents (``leia extract``): its shards are the output's, its record batches cut
    to ``batch_size`` documents and several of a shard worked on at once (up to :data:`WORK_ROWS` documents or
    :data:`WORK_BYTES` of text), since the fixed cost of a batch would outweigh the work on small ones."""

    kind = "documents"

    def __init__(self, paths: list[Path], inputs: list[dict], wiki: dict | None, shard_size: int, batch_size: int,
                 rows: int):
        super().__init__(paths, inputs, wiki, shard_size, batch_size)
        self.rows = rows

    def batches(self, skip: Container[int] = frozenset()) -> Iterator[Batch]:
        folder = self.paths[0]
        parts: list[pa.RecordBatch] = []
        shard, rows, size = -1, 0, 0
        for index, rb in iter_shard_batches(folder, read_manifest(folder, "documents"), skip):
            for start in range(0, rb.num_rows, self.batch_size):
                part = rb.slice(start, self.batch_size)
                if parts and (index != shard or rows + part.num_rows > WORK_ROWS or size >= WORK_BYTES):
                    yield _joined(shard, parts)
                    parts, rows, size = [], 0, 0
                shard = index
                parts.append(part)
                rows += part.num_rows
                size += part.column("text").nbytes
        if parts:
            yield _joined(shard, parts)

    def bar(self, desc: str, shown: tuple[tuple[str, str], ...]) -> Bar:
        return Bar(self.rows, " docs", desc, shown)

    def layout(self) -> dict:
        return {"shard_size": None}  # the folder's own

    def shards(self) -> list[int]:
        """The numbers of the folder's shards that hold documents (the output has the same)."""
        return [s["index"] for s in read_manifest(self.paths[0], "documents").shards if s.get("rows")]

    def pieces(self, step: Step, done: Container[int]) -> list[Piece]:
        """One piece per shard of the folder (as the part of a split run that owns it)."""
        indices = [s["index"] for s in read_manifest(self.paths[0]).shards]
        count = max(indices, default=-1) + 1
        return [Piece(f"part-{i:05d}-of-{count:05d}", step, part=(count, i)) for i in indices if i not in done]


class Dump(Source):
    """A MediaWiki dump (XML, or HTML: leia.wiki.html.htmldump), extracted on the fly: batches of unparsed pages
    in the shard layout extraction gives it, turned into documents by extraction's work."""

    kind = "dump"

    def __init__(self, paths: list[Path], inputs: list[dict], wiki: dict | None, shard_size: int, batch_size: int,
                 size: int):
        super().__init__(paths, inputs, wiki, shard_size, batch_size)
        self.size = size  # in bytes

    def batches(self, skip: Container[int] = frozenset()) -> Iterator[Batch]:
        from leia.steps.extract import iter_page_batches, open_dump

        yield from iter_page_batches(open_dump(self.paths[0]), self.shard_size, self.batch_size, skip)

    def bar(self, desc: str, shown: tuple[tuple[str, str], ...]) -> Bar:
        return Bar(self.size, "B", desc, shown)

    def stages(self, site: SiteInfo | None) -> tuple:
        """Extraction, its documents left for a later stage to count."""
        from leia.steps.extract import page_converter

        return (page_converter(self.paths[0], site, count_documents=False),)


class Corpus(Source):
    """A corpus of JSON lines / Parquet / Arrow files with ``text`` and ``anchors`` columns (``id`` and
    ``title`` optional), cut into shards of ``shard_size`` documents in the order of the files."""

    kind = "corpus"

    def batches(self, skip: Container[int] = frozenset()) -> Iterator[Batch]:
        row = 0
        for path in self.paths:
            for rb in _read_corpus_file(path, self.batch_size):
                rb = _conform(rb, path, row)
                start = 0
                while start < rb.num_rows:
                    shard = (row + start) // self.shard_size
                    take = min(rb.num_rows - start, (shard + 1) * self.shard_size - (row + start))
                    part = rb.slice(start, take)
                    if shard not in skip:
                        yield Batch(shard, part, {}, part.num_rows)
                    start += take
                row += rb.num_rows


def _joined(shard: int, parts: list[pa.RecordBatch]) -> Batch:
    joined = parts[0] if len(parts) == 1 else pa.concat_batches(parts)
    return Batch(shard, joined, {}, joined.num_rows, tuple(p.num_rows for p in parts) if len(parts) > 1 else ())


def _read_corpus_file(path: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    name = path.name
    try:
        if name.endswith(".parquet"):
            yield from pq.ParquetFile(path).iter_batches(batch_size=batch_size)
        elif name.endswith(".arrow"):
            with pa.memory_map(str(path), "r") as f:
                try:
                    reader = pa.ipc.open_stream(f)
                    yield from reader
                except pa.ArrowInvalid:
                    yield from pa.ipc.open_file(f).to_batches()
        else:
            yield from _read_jsonl(path, batch_size)
    except (pa.ArrowInvalid, OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: unreadable, truncated or corrupt ({e})") from None


def _read_jsonl(path: Path, batch_size: int) -> Iterator[pa.RecordBatch]:
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    rows: list[dict] = []
    first = 1
    with opener(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            row = json_object_line(raw, f"{path}:{lineno}", "one document per line, with a 'text'")
            _check_row(row, path, lineno)
            if not rows:
                first = lineno
            rows.append(row)
            if len(rows) >= batch_size:
                yield _rows_to_batch(rows, path, first)
                rows = []
    if rows:
        yield _rows_to_batch(rows, path, first)


def _check_row(row: dict, path: Path, lineno: int) -> None:
    """What ``from_pylist`` would let through wrongly: offsets that are not whole numbers (it truncates them),
    ids beyond int64 and lone surrogates (which fail later, far from the line)."""
    anchors = row.get("anchors")
    if isinstance(anchors, list):
        for a in anchors:
            if isinstance(a, dict):
                for key in ("start", "end"):
                    v = a.get(key)
                    if not (isinstance(v, int) and not isinstance(v, bool)) or not 0 <= v < 2**31:
                        raise InputError(f"{path}:{lineno}: anchor {key} {v!r} is not a whole number of "
                                         "characters (0 to 2^31-1)")
    ident = row.get("id")
    if isinstance(ident, int) and not -2**63 <= ident < 2**63:
        raise InputError(f"{path}:{lineno}: id {ident} does not fit in 64 bits")
    for key in ("text", "title"):
        value = row.get(key)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as e:
                raise InputError(f"{path}:{lineno}: {key} holds a lone surrogate ({e.object[e.start]!r} at "
                                 f"character {e.start}), not Unicode text") from None


def _rows_to_batch(rows: list[dict], path: Path, first: int = 1) -> pa.RecordBatch:
    """The rows as a batch of the documents' fields that any of them has (a row may leave out ``anchors``)."""
    fields = set().union(*rows)
    if "text" not in fields:
        raise InputError(f"{path}: rows have no 'text' field (fields: {', '.join(sorted(fields))})")
    schema = pa.schema([f for f in DOCUMENTS if f.name in fields])
    try:
        return pa.RecordBatch.from_pylist(rows, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, UnicodeEncodeError) as e:
        raise InputError(f"{path}: rows do not fit the documents schema (lines {first} on: {e})") from None


def _conform(rb: pa.RecordBatch, path: Path, first_row: int) -> pa.RecordBatch:
    """Bring a corpus batch to the documents' columns: a missing id is the row number, a missing title ""."""
    names = rb.schema.names
    if "text" not in names:
        raise InputError(f"{path}: no 'text' column (columns: {', '.join(names)})")
    try:
        return _conform_columns(rb, path, first_row)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
        raise InputError(f"{path}: columns do not fit the documents schema ({e})") from None


def _conform_columns(rb: pa.RecordBatch, path: Path, first_row: int) -> pa.RecordBatch:
    names = rb.schema.names
    n = rb.num_rows
    if rb.column("text").null_count:
        row = first_row + rb.column("text").is_null().to_pylist().index(True)
        raise InputError(f"{path}: document {row} (counting from 0) has no text")
    ids = pa.array(range(first_row, first_row + n), pa.int64())
    if "id" in names:
        ids = pc.coalesce(rb.column("id").cast(pa.int64()), ids)
    titles = pa.array([""] * n, pa.string())
    if "title" in names:
        titles = pc.coalesce(rb.column("title").cast(pa.string()), titles)
    if "anchors" in names:
        anchors = rb.column("anchors")
        t = anchors.type
        if not (pa.types.is_list(t) or pa.types.is_large_list(t)) or not pa.types.is_struct(t.value_type) or \
                not {"start", "end", "target"} <= {f.name for f in t.value_type}:
            raise InputError(f"{path}: 'anchors' must be a list of {{start, end, target}} structs, found {t}")
        if not t.equals(pa.list_(ANCHOR)):
            anchors = _cast_anchors(anchors)
    else:
        anchors = pa.array([[]] * n, pa.list_(ANCHOR))
    return pa.RecordBatch.from_arrays([ids, titles, rb.column("text").cast(pa.string()), anchors], schema=DOCUMENTS)


def _cast_anchors(anchors: pa.Array) -> pa.Array:
    flat = pc.list_flatten(anchors)
    names = {f.name for f in flat.type}
    english = flat.field("english").cast(pa.string()) if "english" in names else pa.nulls(len(flat), pa.string())
    values = pa.StructArray.from_arrays(
        [flat.field("start").cast(pa.int32()), flat.field("end").cast(pa.int32()),
         flat.field("target").cast(pa.string()), english], fields=list(ANCHOR))
    lengths = pc.list_value_length(anchors).fill_null(0)
    offsets = np.concatenate([[0], np.cumsum(lengths.to_numpy(zero_copy_only=False))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=pa.list_(ANCHOR))


def _file_entry(path: Path) -> dict:
    return {"path": path.name, **file_identity(path)}


def open_source(input: str | os.PathLike, *, shard_size: int, batch_size: int) -> Source:
    """Recognise what ``input`` is, check it can be read, and describe it; errors before any work starts."""
    path = Path(input)
    if path.is_dir():
        if (path / MANIFEST).is_file():
            manifest = read_manifest(path)
            if manifest.kind != "documents":
                raise InputError(f"{path}: holds {manifest.kind} shards; augment reads documents "
                                 "(the output of `leia extract`)")
            if manifest.schema and manifest.schema != DOCUMENTS.to_string():
                raise InputError(f"{path}: its documents have a schema this version of leia does not read")
            if not manifest.complete:
                raise InputError(f"{path}: the extraction is not complete; rerun `leia extract` to finish it")
            check_shards(path, manifest, hint="", checksum=False)  # each is checksummed as it is read
            total = sum(s.get("rows", 0) for s in manifest.shards)
            entry = {"kind": "documents", "path": path.name, "counters": manifest.counters,
                     "shards_sha256": _digest(s["sha256"] for s in manifest.shards), "from": manifest.inputs}
            return DocumentsFolder([path], [entry], manifest.extra.get("wiki"), shard_size, batch_size, total)
        files = sorted(p for p in path.iterdir() if p.name.endswith(_CORPUS_SUFFIXES))
        if not files:
            raise InputError(f"{path}: no manifest.json and no .jsonl/.parquet/.arrow files in this folder")
        return _corpus_source(files, shard_size, batch_size)
    matches = sorted(Path(p) for p in glob.glob(str(path))) if any(c in str(path) for c in "*?[") else [path]
    if not matches or not all(p.exists() for p in matches):
        raise InputError(f"{input}: no such file or folder")
    for p in matches:
        regular_file(p)
    if len(matches) == 1 and _looks_like_dump(matches[0]):
        from leia.steps.extract import open_dump

        reader = open_dump(matches[0])
        site = reader.read_siteinfo()
        return Dump(matches, [{"kind": "dump", **_file_entry(matches[0]), "dbname": site.dbname}], site.to_dict(),
                    shard_size, batch_size, reader.size)
    return _corpus_source(matches, shard_size, batch_size)


def _corpus_source(files: list[Path], shard_size: int, batch_size: int) -> Source:
    for f in files:
        if not f.name.endswith(_CORPUS_SUFFIXES):
            raise InputError(f"{f}: not a MediaWiki dump nor a .jsonl/.parquet/.arrow corpus")
    for f in files:
        first = next(_read_corpus_file(f, 1), None)
        if first is not None:
            _conform(first, f, 0)
            break
    else:
        raise InputError(f"{files[0]}: no documents in {'these files' if len(files) > 1 else 'this file'}")
    return Corpus(files, [{"kind": "corpus", **_file_entry(f)} for f in files], None, shard_size, batch_size)


def _digest(checksums) -> str:
    import hashlib

    return hashlib.sha256("".join(checksums).encode()).hexdigest()


def _looks_like_dump(path: Path) -> bool:
    from leia.wiki.dumps.compression import open_binary
    from leia.wiki.html.htmldump import is_html_dump

    if is_html_dump(path):
        return True
    stream, raw = open_binary(path)
    try:
        head = stream.read(4096)
    except (OSError, EOFError):
        return False
    finally:
        stream.close()
        raw.close()
    return b"<mediawiki" in head


class SourceStep(Step):
    """What the steps that read a :class:`Source` share (augmentation, mention detection): their inputs, the
    source's batches, shards and pieces, the progress bar (named ``verb``, showing the counters ``shown``),
    and the stages that make documents of a batch before the step's own (extraction, for a dump)."""

    verb = ""
    shown: tuple[tuple[str, str], ...] = ()

    def __init__(self, source: Source, input: str | os.PathLike):
        self.source, self.input, self.inputs = source, input, tuple(source.paths)

    def bar(self) -> Bar:
        return self.source.bar(f"{self.verb} {Path(self.input).name}", self.shown)

    def batches(self, skip: Container[int]) -> Iterator[Batch]:
        return self.source.batches(skip)

    def shards(self) -> list[int] | None:
        return self.source.shards()

    def pieces(self, workers: int, done: Container[int], parallel: Callable) -> list[Piece]:
        pieces = self.source.pieces(self, done)
        return super().pieces(workers, done, parallel) if pieces is None else pieces
