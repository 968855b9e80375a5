"""Reading a dump in pieces: the streams of a multistream .xml.bz2 (built here as Wikimedia builds them: the
header in a stream of its own, then K pages per stream), streams cut at arbitrary bytes (as pbzip2 cuts),
and slices of a plain .xml. The offsets found are those written, the pages of consecutive ranges are the
dump's pages, and extraction unit by unit (what each Ray actor runs) writes byte for byte the local run's
shards and manifest while each unit reads only part of the file."""

from __future__ import annotations

import bz2
import gzip
import random
from pathlib import Path

import pytest

import leia
from leia.errors import InputError
from leia.execute.local import run_step
from leia.execute.parts import adopt_shards
from leia.io.folders import finish_output, open_output
from leia.io.manifest import read_manifest
from leia.steps.extract import BlockUnit, ExtractStep
from leia.wiki.dumps.xmldump import DumpReader
from leia.wiki.dumps.compression import open_binary
from leia.wiki.dumps.multistream import (
    BlockCount, DumpBlocks, RangeReader, count_pages, dump_blocks, find_streams, is_stream_start, iter_range,
    plan_shards, split_ranges,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample-jawiki-pages-articles.xml"
SHARD_SIZE = 7


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def decoded(path: Path) -> bytes:
    stream, _ = open_binary(path)
    try:
        return stream.read()
    finally:
        stream.close()


def pieces_by_page(xml: bytes, per_stream: int) -> list[bytes]:
    """The dump cut as Wikimedia cuts it: the header, then ``per_stream`` pages a piece, then the footer."""
    first = xml.index(b"<page>")
    first = xml.rindex(b"\n", 0, first) + 1
    footer = xml.rindex(b"</mediawiki>")
    footer = xml.rindex(b"\n", 0, footer) + 1
    pieces = [xml[:first]]
    body = xml[first:footer]
    ends = []
    pos = 0
    while (end := body.find(b"</page>\n", pos)) >= 0:
        pos = end + len(b"</page>\n")
        ends.append(pos)
    start = 0
    for k in range(per_stream - 1, len(ends), per_stream):
        pieces.append(body[start:ends[k]])
        start = ends[k]
    if start < len(body):
        pieces.append(body[start:])
    pieces.append(xml[footer:])
    return pieces


def pieces_by_bytes(xml: bytes, size: int) -> list[bytes]:
    return [xml[i:i + size] for i in range(0, len(xml), size)]


def write_streams(path: Path, pieces: list[bytes]) -> list[int]:
    """Compress each piece as a bz2 stream of its own, one after the other; returns where each starts."""
    offsets = []
    with open(path, "wb") as f:
        for piece in pieces:
            offsets.append(f.tell())
            f.write(bz2.compress(piece, 9))
    return offsets


def raw(pages) -> list[tuple]:
    return [(p.number, p.ns, p.redirect, p.xml) for p in pages]


@pytest.fixture(scope="module")
def dev_xml(jawiki_dev_dump) -> bytes:
    return decoded(jawiki_dev_dump)


@pytest.fixture(scope="module")
def dumps(tmp_path_factory, dev_xml) -> dict[str, tuple[Path, list[int]]]:
    """name -> (a multistream file, the offsets of its streams)."""
    root = tmp_path_factory.mktemp("multistream")
    sample = SAMPLE.read_bytes()
    made = {}
    for name, pieces in {
        "sample-by-3-pages": pieces_by_page(sample, 3),
        "dev-by-10-pages": pieces_by_page(dev_xml, 10),
        "dev-by-50000-bytes": pieces_by_bytes(dev_xml, 50_000),
        "sample-by-997-bytes": pieces_by_bytes(sample, 997),
    }.items():
        path = root / f"{name}.xml.bz2"
        made[name] = path, write_streams(path, pieces)
    return made


def test_the_streams_found_are_those_written(dumps):
    for path, offsets in dumps.values():
        assert len(offsets) > 5
        assert find_streams(path) == offsets
        blocks = dump_blocks(path)
        assert blocks.codec == "bz2" and blocks.offsets == (*offsets, path.stat().st_size)


def test_a_stream_header_inside_other_bytes_is_not_taken_for_a_stream(tmp_path, dumps):
    path, offsets = dumps["sample-by-3-pages"]
    data = path.read_bytes()
    fake = b"BZh91AY&SY" + random.Random(0).randbytes(4000)
    # Right after the last stream's end (so the end-of-stream check passes), but its bytes do not decode.
    forged = tmp_path / "forged.bz2"
    forged.write_bytes(data + fake)
    # Inside a stream's compressed bytes: no end of stream before it.
    inside = tmp_path / "inside.bz2"
    middle = (offsets[1] + offsets[2]) // 2
    inside.write_bytes(data[:middle] + fake[:10] + data[middle:])
    with open(forged, "rb") as f:
        assert [o for o in offsets if is_stream_start(f.fileno(), o)] == offsets
        assert not is_stream_start(f.fileno(), len(data))
    with open(inside, "rb") as f:
        assert not is_stream_start(f.fileno(), middle)
    assert find_streams(forged) == offsets
    # The stream that holds the forged header no longer decodes either: it joins the block before it, whose
    # reading then fails.
    assert find_streams(inside) == offsets[:1] + [o + 10 for o in offsets[2:]]
    blocks = dump_blocks(inside)
    with pytest.raises(InputError, match="corrupt"):
        count_pages(blocks, 0, len(blocks))


def test_a_single_stream_and_a_gzip_dump_are_one_block(tmp_path, jawiki_dev_dump):
    assert len(dump_blocks(jawiki_dev_dump)) == 1
    gz = tmp_path / "dump.xml.gz"
    gz.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    assert dump_blocks(gz) == DumpBlocks(str(gz), "gzip", (0, gz.stat().st_size))
    assert dump_blocks(SAMPLE).codec == "plain" and len(dump_blocks(SAMPLE)) == 1


@pytest.mark.parametrize("name", ["sample-by-3-pages", "dev-by-10-pages", "dev-by-50000-bytes",
                                  "sample-by-997-bytes", "plain-by-1000-bytes"])
@pytest.mark.parametrize("ranges", [1, 2, 3, 7])
def test_the_pages_of_consecutive_ranges_are_the_dumps_pages(name, ranges, dumps, tmp_path):
    if name.startswith("plain"):
        path = SAMPLE
        blocks = dump_blocks(SAMPLE, block_size=1000)
        assert blocks.codec == "plain" and len(blocks) > 20
    else:
        path = dumps[name][0]
        blocks = dump_blocks(path)
    expected = raw(DumpReader(path).raw_pages())
    cuts = split_ranges(blocks, ranges)
    assert len(cuts) == ranges and cuts[0][0] == 0 and cuts[-1][1] == len(blocks)
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(cuts, cuts[1:]))
    got = []
    for i, j in cuts:
        before = len(got)
        reader = RangeReader(blocks, i, j, first_page=before)
        got += raw(reader.raw_pages())
        if "-pages" in name:  # streams end between pages: a range decodes its own streams, no more
            assert reader.bytes_read == blocks.span(i, j)
        elif ranges > 1:
            assert reader.bytes_read < blocks.span(0, len(blocks))
    assert got == expected
    counts = count_pages(blocks, 0, len(blocks))
    assert sum(c.pages for c in counts) == len(expected)
    assert sum(c.articles for c in counts) == sum(1 for p in DumpReader(path).raw_pages() if p.is_article)
    order = [b for b, _ in iter_range(blocks, 0, len(blocks))]
    assert order == sorted(order)


def test_plan_puts_each_page_in_the_shard_of_the_articles_before_it():
    # DumpBlocks: header (no page); 3 pages a,r,a; 2 pages o,a; nothing; 4 pages a,a,a,r.
    counts = [BlockCount(0, 0, 0), BlockCount(3, 2, 1), BlockCount(2, 1, 0), BlockCount(0, 0, 0),
              BlockCount(4, 3, 3)]
    # Articles before each block: 0, 0, 2, 3, 3. With 2 articles a shard: block 1 holds shard 0 only (its
    # last page follows 1 article), block 2 shard 1, block 4 shards 1 to 3 (its redirect follows 6 articles).
    plan = plan_shards(counts, 2, set(), 8)
    assert [(r.first_shard, r.last_shard, r.first_block, r.end_block, r.first_article, r.first_page)
            for r in plan] == [(0, 0, 1, 2, 0, 0), (1, 1, 2, 5, 2, 3), (2, 2, 4, 5, 3, 5), (3, 3, 4, 5, 3, 5)]
    assert [(r.first_shard, r.last_shard) for r in plan_shards(counts, 2, set(), 2)] == [(0, 1), (2, 3)]
    assert [(r.first_shard, r.last_shard) for r in plan_shards(counts, 2, {1}, 1)] == [(0, 0), (2, 3)]
    assert plan_shards(counts, 2, {0, 1, 2, 3}, 2) == []
    assert plan_shards([BlockCount(0, 0, 0)], 2, set(), 2) == []


@pytest.fixture(scope="module")
def local_runs(dumps, tmp_path_factory) -> dict[str, Path]:
    """name -> the local engine's extraction of that dump (shard size SHARD_SIZE, 2 articles a batch)."""
    root = tmp_path_factory.mktemp("local")
    for name in ("dev-by-10-pages", "dev-by-50000-bytes"):
        leia.extract(dumps[name][0], root / name, shard_size=SHARD_SIZE, batch_size=2, progress=False)
    return {name: root / name for name in ("dev-by-10-pages", "dev-by-50000-bytes")}


def run_units(dump: Path, out: Path, blocks: DumpBlocks, units: int, shard_size: int = SHARD_SIZE,
              done: frozenset = frozenset(), batch_size: int = 2) -> list[tuple[int, int]]:
    """What the Ray engine does, in this process: count the blocks, plan, run each unit into a folder of its
    own and adopt its shards; returns (bytes read, pages read) of each unit."""
    out, manifest = open_output(out, ExtractStep(dump, shard_size=shard_size).manifest)
    counts = [c for i, j in split_ranges(blocks, 3) for c in count_pages(blocks, i, j)]
    reads = []
    for r in plan_shards(counts, shard_size, done, units):
        folder = out.parent / f"{out.name}-{r.name}"
        unit = ExtractStep(str(dump), shard_size=shard_size, batch_size=batch_size, unit=BlockUnit(blocks, r))
        run_step(unit, folder, progress=False, only=r, exclude=done)
        ranged = RangeReader(blocks, r.first_block, r.end_block, r.first_page)
        pages = sum(1 for _ in ranged.raw_pages())
        reads.append((ranged.bytes_read, pages))
        adopt_shards(folder, manifest, out, move=True)
    manifest.complete = True
    manifest.save(out)
    finish_output(out)
    return reads


@pytest.mark.parametrize("name, shard_size", [("dev-by-10-pages", SHARD_SIZE), ("dev-by-50000-bytes", SHARD_SIZE),
                                              ("sample-by-997-bytes", 2)])
def test_extraction_unit_by_unit_equals_the_local_run(name, shard_size, dumps, local_runs, tmp_path):
    path, _ = dumps[name]
    if name in local_runs:
        local_folder = local_runs[name]
    else:
        local_folder = tmp_path / "local"
        leia.extract(path, local_folder, shard_size=shard_size, batch_size=2, progress=False)
    local = read_manifest(local_folder)
    assert len(local.shards) >= 8
    reads = run_units(path, tmp_path / "units", dump_blocks(path), units=4, shard_size=shard_size)
    assert folder_bytes(tmp_path / "units") == folder_bytes(local_folder)
    size = path.stat().st_size
    pages = local.counters["pages_read"]
    assert len(reads) == 4
    assert all(read < 0.6 * size and n < 0.6 * pages for read, n in reads)
    blocks = dump_blocks(path)
    widest = max(c.pages for c in count_pages(blocks, 0, len(blocks)))
    assert sum(n for _, n in reads) <= pages + (len(reads) - 1) * widest  # at most one block shared per cut


def test_extraction_of_plain_slices_unit_by_unit_equals_the_local_run(tmp_path):
    leia.extract(SAMPLE, tmp_path / "local", shard_size=2, batch_size=1, progress=False)
    run_units(SAMPLE, tmp_path / "units", dump_blocks(SAMPLE, block_size=2000), units=3, shard_size=2,
              batch_size=1)
    assert folder_bytes(tmp_path / "units") == folder_bytes(tmp_path / "local")


def _serial(function, arguments):
    return [function(*a) for a in arguments]


def test_the_units_of_an_extraction_keep_its_page_table(dumps, tmp_path):
    """A unit is the step restricted to its shards, page table and all: each unit's page table written beside
    its documents (as a Ray actor writes it) and adopted gives the local run's page table."""
    path, _ = dumps["sample-by-3-pages"]
    leia.extract(path, tmp_path / "docs", pages=tmp_path / "pages", shard_size=2, batch_size=2, progress=False)
    step = ExtractStep(str(path), shard_size=2, batch_size=2, pages=tmp_path / "pages")
    pieces = step.pieces(2, set(), _serial)
    assert len(pieces) > 2 and all(isinstance(p.step.unit, BlockUnit) and set(p.step.sinks) == {"pages"}
                                   for p in pieces)
    out, manifest = open_output(tmp_path / "units", step.sinks["pages"].manifest)
    for piece in pieces:
        side = tmp_path / f"{piece.name}-pages"
        run_step(piece.step, tmp_path / piece.name, progress=False, only=piece.only, sides={"pages": side})
        adopt_shards(side, manifest, out, move=True)
    manifest.complete = True
    manifest.save(out)
    finish_output(out)
    assert folder_bytes(out) == folder_bytes(tmp_path / "pages")


def test_finished_shards_are_not_redone(dumps, local_runs, tmp_path):
    path, _ = dumps["dev-by-10-pages"]
    local = read_manifest(local_runs["dev-by-10-pages"])
    done = frozenset({0, 3, 4, 9})
    folder = tmp_path / "units"
    run_units(path, folder, dump_blocks(path), units=3, done=done)
    assert [s["index"] for s in read_manifest(folder).shards] == [s for s in range(len(local.shards)) if s not in done]
    expected = folder_bytes(local_runs["dev-by-10-pages"])
    for name, data in folder_bytes(folder).items():
        if name.startswith("shard-"):
            assert data == expected[name]


def test_a_truncated_or_corrupt_stream_is_an_input_error(dumps, tmp_path):
    path, offsets = dumps["dev-by-10-pages"]
    data = path.read_bytes()
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(data[:offsets[3] - 20] + data[offsets[3]:])
    blocks = DumpBlocks(str(cut), "bz2", (*[o if o < offsets[3] else o - 20 for o in offsets], len(data) - 20))
    with pytest.raises(InputError, match="truncated|corrupt"):
        count_pages(blocks, 0, len(blocks))
    end = tmp_path / "no-end.xml.bz2"
    end.write_bytes(data[:offsets[-1]])
    blocks = dump_blocks(end)
    with pytest.raises(InputError, match="does not end with </mediawiki>"):
        count_pages(blocks, 0, len(blocks))


@pytest.fixture(scope="module")
def ray_session():
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'leia[ray]' to run the Ray engine tests")
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, logging_level="ERROR")
    yield ray
    ray.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dev-by-10-pages", "dev-by-50000-bytes"])
def test_extract_on_ray_reads_pieces_and_equals_local(name, dumps, local_runs, tmp_path, ray_session):
    path, _ = dumps[name]
    local = read_manifest(local_runs[name])
    pieces = ExtractStep(str(path), shard_size=SHARD_SIZE, batch_size=2).pieces(
        2, set(), lambda function, arguments: [function(*a) for a in arguments])
    units = [piece.step.unit for piece in pieces]
    assert len(units) == 8 and all(isinstance(u, BlockUnit) for u in units)
    assert [piece.only for piece in pieces] == [u.shards for u in units]
    assert [s for u in units for s in range(u.shards.first_shard, u.shards.last_shard + 1)] == \
        [s["index"] for s in local.shards]
    blocks = units[0].blocks
    assert all(blocks.span(u.shards.first_block, u.shards.end_block) < 0.3 * path.stat().st_size for u in units)
    on_ray = leia.extract(path, tmp_path / "ray", shard_size=SHARD_SIZE, batch_size=2, progress=False,
                          engine="ray", workers=2)
    assert on_ray.complete
    assert folder_bytes(tmp_path / "ray") == folder_bytes(local_runs[name])


@pytest.mark.slow
def test_extract_with_the_page_table_on_ray_reads_pieces_and_equals_local(dumps, tmp_path, ray_session):
    path, _ = dumps["dev-by-10-pages"]
    options = dict(shard_size=SHARD_SIZE, batch_size=2, progress=False)
    leia.extract(path, tmp_path / "local", pages=tmp_path / "local-pages", **options)
    leia.extract(path, tmp_path / "ray", pages=tmp_path / "ray-pages", engine="ray", workers=2, **options)
    assert folder_bytes(tmp_path / "ray") == folder_bytes(tmp_path / "local")
    assert folder_bytes(tmp_path / "ray-pages") == folder_bytes(tmp_path / "local-pages")


@pytest.mark.slow
def test_a_corrupt_stream_found_by_the_counting_pass_on_ray_is_an_input_error(dumps, tmp_path, ray_session):
    path, offsets = dumps["dev-by-10-pages"]
    data = bytearray(path.read_bytes())
    data[offsets[4] + 200] ^= 0xFF
    broken = tmp_path / "broken.xml.bz2"
    broken.write_bytes(bytes(data))
    with pytest.raises(InputError, match="broken.xml.bz2.*corrupt"):
        leia.extract(broken, tmp_path / "out", shard_size=SHARD_SIZE, progress=False, engine="ray", workers=2)
