"""Lookups at jawiki's size: the entity names (2.5 M titles, 1.25 M of them with an English name) and the
mention dictionary (millions of surfaces), each candidate measured in fresh processes in the same session:
start-up (opening it and answering a first batch), lookup rate in CPU time, file size, and memory after the
lookups: RSS; PSS (a mapped file's pages are shared: RSS counts them in every process that touched them,
PSS divides them among those processes); and anonymous memory, what the process built or loaded itself
(a mapped file's pages are not: the operating system shares them, and drops and reads them again).

Names: a dict of every title (what each worker held before), a marisa-trie of the titles with arrays by key
id, and leia's names file (hashed titles, sorted, searched with numpy; :mod:`leia.entities.lookup`).
Surfaces: an Aho-Corasick automaton built in each process (pyahocorasick; its longest-match pass) and the
detector of a mention dictionary (leia's surfaces file, :mod:`leia.mentions.surfaces`), of this tree and of
each ``--peer PATH``, another tree of leia (a ``git archive`` of an earlier commit: one whose detector built
the automaton, one that scanned a marisa-trie): start-up, the longest-match pass ("scan"), detection as a
whole one article at a time and, where the tree has ``detect_many``, 16 articles at a time.

Then ``leia augment --workers 2`` on the dev documents (their links: the names only), and with ``--mentions``
on the dev articles as plain text (every document goes through detection, then the names), with the
jawiki-sized table and dictionary against the dev-sized ones, for this tree and each peer: the peak memory of
the largest process and of all of them, wall and CPU time, and CPU time per MB of text. A peer reads copies
of the DuckDB files (hard links) in a folder of its own, where it builds the files it maps beside them.

The titles are made of pieces of the dev articles' text (so they are Japanese and share prefixes like real
titles), the English names of made-up words; the surfaces are the dev dictionary's and pieces of the dev
text with a made-up tail, each with one or two targets.

    python tests/benchmarks/bench_lookup.py [--titles 2500000] [--surfaces 4000000] [--peer TREE ...]
        [--folder DIR [--reuse]] [--skip names surfaces automaton augment]

Needs ../shared/data beside the checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
DUMP = SHARED / "jawiki-country-dev.xml.bz2"
LANGLINKS = SHARED / "jawiki-country-dev-langlinks.sql.gz"


# --- the inputs

def dev_inputs(folder: Path) -> dict[str, Path]:
    """The dev documents, entity table and mention dictionary (the small ones), and the dev articles' text
    as a corpus of plain text."""
    from leia.api import extract
    from leia.entities import build_entities
    from leia.io.shards import iter_record_batches
    from leia.mentions import build_mentions

    paths = {"documents": folder / "documents", "entities": folder / "dev-entities.duckdb",
             "mentions": folder / "dev-mentions.duckdb", "corpus": folder / "corpus.jsonl"}
    extract(DUMP, paths["documents"], overwrite=True, progress=False)
    build_entities(paths["entities"], dump=DUMP, langlinks=LANGLINKS, overwrite=True, progress=False)
    build_mentions(paths["documents"], paths["entities"], paths["mentions"], overwrite=True, progress=False)
    with open(paths["corpus"], "w", encoding="utf-8") as f:
        for rb in iter_record_batches(paths["documents"], "documents"):
            for text in rb.column("text").to_pylist():
                f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    return paths


def _texts(documents: Path) -> list[str]:
    from leia.io.shards import iter_record_batches

    return [t for rb in iter_record_batches(documents, "documents") for t in rb.column("text").to_pylist()]


def _pieces(text: str, rng: random.Random, count: int, shortest: int, longest: int) -> list[str]:
    """``count`` pieces of ``text`` without spaces or punctuation."""
    out = []
    while len(out) < count:
        i = rng.randrange(len(text) - longest)
        piece = text[i:i + rng.randint(shortest, longest)]
        if piece.isalnum():
            out.append(piece)
    return out


def big_entities(folder: Path, dev: dict[str, Path], titles: int, rng: random.Random) -> tuple[Path, list[str]]:
    """An entity table of ``titles`` titles (half of them with a name: 58% articles, 42% redirects to them),
    with the dev table's meta; and every title, those without a name too."""
    import duckdb
    import pyarrow as pa

    from leia.entities.lookup import NAMES
    from leia.io.duckdb import atomic_duckdb

    text = "".join(_texts(dev["documents"]))
    words = sorted(set(_pieces(text, rng, 200_000, 1, 4)))
    english = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))).capitalize()
               for _ in range(50_000)]
    con = duckdb.connect(str(dev["entities"]), read_only=True)
    dev_rows = con.execute("SELECT title, english, source, via FROM entities").fetchall()
    meta = con.execute("SELECT key, value FROM meta WHERE key <> 'names_file'").fetchall()
    con.close()
    every = {r[0] for r in dev_rows}
    while len(every) < titles:
        title = "".join(rng.choice(words) for _ in range(rng.choice((1, 2, 2, 3))))
        every.add(title if rng.random() < 0.9 else f"{title} ({rng.choice(words)})")
    every_list = sorted(every)
    rng.shuffle(every_list)
    dev_titles = {r[0] for r in dev_rows}
    named = [t for t in every_list[: titles // 2] if t not in dev_titles]
    articles = named[: int(len(named) * 0.58)]
    rows = list(dev_rows)
    for t in articles:
        rows.append((t, " ".join(rng.choice(english) for _ in range(rng.randint(1, 4))),
                     rng.choice(("langlinks", "langlinks", "langlinks", "harvested")), None))
    name_of = {r[0]: r for r in rows}
    for t in named[len(articles):]:
        target = name_of[rng.choice(articles)]
        rows.append((t, target[1], target[2], target[0]))
    out = folder / "big-entities.duckdb"
    table = pa.table({k: [r[i] for r in rows] for i, k in enumerate(("title", "english", "source", "via"))})
    with atomic_duckdb(out, overwrite=True, companions=(NAMES,)) as con:
        con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("CREATE TABLE redirects (title VARCHAR, target VARCHAR)")
        con.register("_rows", table)
        con.execute("CREATE TABLE entities AS SELECT * FROM _rows ORDER BY title")
        con.unregister("_rows")
        con.executemany("INSERT INTO meta VALUES (?, ?)", meta)
    return out, every_list


def big_mentions(folder: Path, dev: dict[str, Path], surfaces: int, titles: list[str], rng: random.Random) -> Path:
    """A mention dictionary of ``surfaces`` surfaces: the dev dictionary's rows and made-up ones, with the dev
    dictionary's meta."""
    import duckdb
    import pyarrow as pa

    from leia.io.duckdb import atomic_duckdb
    from leia.mentions.surfaces import SURFACES

    con = duckdb.connect(str(dev["mentions"]), read_only=True)
    dev_surfaces = con.sql("SELECT * FROM surfaces").to_arrow_table()
    dev_candidates = con.sql("SELECT * FROM candidates").to_arrow_table()
    meta = con.execute("SELECT key, value FROM meta WHERE key <> 'surfaces_file'").fetchall()
    con.close()
    text = "".join(_texts(dev["documents"]))
    chars = [c for c in text if c.isalnum()]
    made = set(dev_surfaces.column("surface").to_pylist())
    known = len(made)
    for head in _pieces(text, rng, 3 * surfaces, 2, 6):
        if len(made) >= surfaces:
            break
        made.add(head + "".join(rng.choice(chars) for _ in range(rng.randint(1, 5))))
    new = sorted(made - set(dev_surfaces.column("surface").to_pylist()))
    n = len(new)
    links = np.array([rng.randint(1, 50) for _ in range(n)], np.int64)
    link_prob = np.array([rng.random() for _ in range(n)])
    surf = pa.table({"surface": new, "links": links, "occurrences": (links / np.maximum(link_prob, 0.01)).astype(np.int64),
                     "link_prob": link_prob, "documents_linked": links, "documents": links,
                     "doc_link_prob": np.array([rng.random() for _ in range(n)])})
    cand_surface, cand_target, cand_links, cand_prior = [], [], [], []
    for s, total in zip(new, links.tolist()):
        first = total if total < 4 else total - total // 4
        for target, count in ((rng.choice(titles), first), (rng.choice(titles), total - first)):
            if count:
                cand_surface.append(s), cand_target.append(target), cand_links.append(count)
                cand_prior.append(count / total)
    cand = pa.table({"surface": cand_surface, "target": cand_target, "links": cand_links, "prior": cand_prior})
    out = folder / "big-mentions.duckdb"
    with atomic_duckdb(out, overwrite=True, companions=(SURFACES,)) as con:
        con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        for name, rows, dev_rows in (("surfaces", surf, dev_surfaces), ("candidates", cand, dev_candidates)):
            con.register("_dev", dev_rows)
            con.register("_new", rows)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM (SELECT * FROM _dev UNION ALL SELECT * FROM _new) "
                        "ORDER BY ALL")
            con.unregister("_dev"), con.unregister("_new")
        con.executemany("INSERT INTO meta VALUES (?, ?)", meta)
    print(f"  dictionary: {known:,} dev surfaces and {n:,} made up, {len(cand_surface) + dev_candidates.num_rows:,} "
          "targets")
    return out


# --- memory of a process, from /proc (Linux): RSS, PSS (shared pages divided among the processes that map
# them) and anonymous memory (its heap: what it built or loaded itself, as opposed to pages of mapped files,
# which the operating system shares and can drop and read again)

_MEMORY = r"""
def memory(pid="self"):
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[-1] == "kB":
                values[parts[0].rstrip(":")] = int(parts[1]) * 1024
    return {"rss": values.get("Rss", 0), "pss": values.get("Pss", 0), "anon": values.get("Anonymous", 0)}
"""
exec(_MEMORY)


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


# --- the candidates, each in a fresh process

_CHILD = _MEMORY + r"""
import json, os, sys, time, pickle
import numpy as np
import pyarrow as pa
kind, path, queries_file, texts_file = sys.argv[1:5]
import leia.entities, leia.mentions, duckdb, marisa_trie, ahocorasick, pyarrow.compute
query_sets = pickle.load(open(queries_file, "rb")) if queries_file != "-" else {}
batches = [b for batches in query_sets.values() for b in batches]
texts = pickle.load(open(texts_file, "rb")) if texts_file != "-" else []
before = memory()
start = time.perf_counter()
if kind == "names-dict":
    con = duckdb.connect(path, read_only=True)
    t = con.sql("SELECT title, english, source FROM entities").to_arrow_table()
    con.close()
    names = dict(zip(t.column("title").to_pylist(), zip(t.column("english").to_pylist(), t.column("source").to_pylist())))
    del t
    lookup = lambda titles: [names.get(x) for x in titles]
elif kind == "names-marisa":
    trie = marisa_trie.Trie(); trie.mmap(path + ".marisa")
    off = np.load(path + ".marisa-offsets.npy", mmap_mode="r"); data = np.load(path + ".marisa-data.npy", mmap_mode="r")
    codes = np.load(path + ".marisa-source.npy", mmap_mode="r"); sources = json.loads(open(path + ".marisa-sources.json").read())
    english = pa.Array.from_buffers(pa.large_string(), len(codes), [None, pa.py_buffer(off), pa.py_buffer(data)])
    def lookup(titles):
        ids = [trie.get(x, -1) for x in titles]
        rows = np.array(ids, np.int64); have = rows >= 0
        found = iter(zip(english.take(pa.array(rows[have])).to_pylist(), codes[rows[have]].tolist()))
        return [(lambda e, c: (e, sources[c]))(*next(found)) if h else None for h in have.tolist()]
elif kind == "names-file":
    table = leia.entities.EntityTable(path)
    lookup = table.lookup_with_source
elif kind == "surfaces-automaton":
    table = leia.mentions.MentionTable(path)
    con = duckdb.connect(path, read_only=True)
    con.execute("SET enable_progress_bar = false")
    config = table.config
    entries = {}
    for s, p, d in con.execute("SELECT surface, link_prob, doc_link_prob FROM surfaces").fetchall():
        entries[s] = [p, d, []]
    for s, t, p in con.execute("SELECT surface, target, prior FROM candidates ORDER BY surface, links DESC, target").fetchall():
        entries[s][2].append((t, p))
    con.close()
    automaton = ahocorasick.Automaton()
    surfaces, targets = [], []
    for s, (p, d, ts) in entries.items():
        keep = [x for x in ts if x[1] >= config.min_prior]
        if keep and (p >= config.min_link_prob or d >= config.min_doc_link_prob):
            automaton.add_word(s, (len(surfaces), len(s))); surfaces.append(s); targets.append(keep)
    del entries
    automaton.make_automaton()
    scan = lambda text: list(automaton.iter_long(text))
elif kind == "surfaces-file":
    detector = leia.mentions.MentionTable(path).detector()
    if hasattr(detector, "_scan"):
        scan = lambda text: detector._scan(text)
    else:  # a detector of the code that built an Aho-Corasick automaton
        scan = lambda text: list(detector._automaton.iter_long(text))
if kind.startswith("names"):
    answered = lookup(batches[0])
else:
    answered = scan(texts[0])
startup = time.perf_counter() - start
rates = {}
if kind.startswith("names"):
    for name, batches in query_sets.items():
        cpu = time.process_time()
        for batch in batches:
            lookup(batch)
        rates[name] = sum(map(len, batches)) / (time.process_time() - cpu)
else:
    cpu = time.process_time()
    for text in texts:
        scan(text)
    rates["scan"] = sum(len(t.encode()) for t in texts) / 1e6 / (time.process_time() - cpu)
after = memory()
detect = many = None
if kind == "surfaces-file":
    detector.segmenter
    t0 = time.process_time()
    for text in texts:
        detector.detect(text)
    detect = time.process_time() - t0
    if hasattr(detector, "detect_many"):
        detector.segmenter._cache.clear()  # the runs of the pass before are not kept
        t0 = time.process_time()
        for i in range(0, len(texts), 16):
            detector.detect_many(texts[i:i + 16])
        many = time.process_time() - t0
print(json.dumps({"startup": startup, "rates": rates, "detect": detect, "many": many,
                  **{k: after[k] - before[k] for k in after}}))
"""


def child(kind: str, path: Path, queries: Path | str, texts: Path | str, tree: Path = REPO) -> dict:
    result = subprocess.run([sys.executable, "-c", _CHILD, kind, str(path), str(queries), str(texts)],
                            capture_output=True, text=True, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)})
    if result.returncode:
        raise SystemExit(result.stderr)
    return json.loads(result.stdout[result.stdout.rindex('{"startup"'):].splitlines()[0])  # after any progress bar


def marisa_names(entities: Path) -> float:
    """The marisa-trie candidate's files beside ``entities``: the trie of titles, and by key id the English
    names (offsets and bytes) and sources; its build time."""
    import duckdb
    import marisa_trie
    import pyarrow as pa

    start = time.perf_counter()
    con = duckdb.connect(str(entities), read_only=True)
    t = con.sql("SELECT title, english, source FROM entities").to_arrow_table()
    con.close()
    titles = t.column("title").to_pylist()
    trie = marisa_trie.Trie(titles)
    order = np.argsort(np.array([trie[x] for x in titles], np.int64))
    english = t.column("english").combine_chunks().cast(pa.large_string()).take(pa.array(order))
    buffers = english.buffers()
    off = np.frombuffer(buffers[1], np.int64)[: len(english) + 1]
    sources = sorted(set(t.column("source").to_pylist()))
    codes = np.array([sources.index(s) for s in t.column("source").to_pylist()], np.uint8)[order]
    trie.save(str(entities) + ".marisa")
    np.save(str(entities) + ".marisa-offsets.npy", off)
    np.save(str(entities) + ".marisa-data.npy", np.frombuffer(buffers[2], np.uint8)[: off[-1]])
    np.save(str(entities) + ".marisa-source.npy", codes)
    Path(str(entities) + ".marisa-sources.json").write_text(json.dumps(sources))
    return time.perf_counter() - start


def _size(path: Path, *suffixes: str) -> int:
    return sum(os.path.getsize(str(path) + s) for s in suffixes if os.path.exists(str(path) + s))


def _mb(n: float) -> str:
    return f"{n / 1e6:8.1f}"


def compare_names(entities: Path, tiny: Path, titles: list[str], folder: Path, rng: random.Random) -> None:
    import pickle

    import duckdb

    con = duckdb.connect(str(entities), read_only=True)
    named = [r[0] for r in con.execute("SELECT title FROM entities").fetchall()]
    con.close()
    np_rng = np.random.default_rng(0)
    ranked = list(named)
    rng.shuffle(ranked)

    def batch(zipf: bool) -> list[str]:
        if zipf:  # link targets: a few titles linked very often, most seldom
            picked = {ranked[r - 1] for r in np_rng.zipf(1.3, 6000) if r <= len(ranked)}
        else:
            picked = {rng.choice(named) for _ in range(4000)}
        return sorted(picked | {rng.choice(titles) for _ in range(1000)})

    query_sets = {"uniform": [batch(False) for _ in range(60)], "zipf": [batch(True) for _ in range(60)]}
    queries = folder / "queries.pkl"
    queries.write_bytes(pickle.dumps(query_sets))
    built = marisa_names(entities)
    marisa_names(tiny)
    print(f"\nnames: {len(named):,} titles with a name, {len(titles):,} in all; 60 batches of distinct titles "
          f"(4,000 with a name, uniformly, or drawn with a Zipf law of exponent 1.3, and 1,000 of any title), "
          "each set asked after the other")
    print(f"  the marisa-trie candidate built in {built:.1f} s")
    print("  candidate         table   start-up s   uniform titles/CPU-s   Zipf titles/CPU-s   file MB   RSS MB   PSS MB"
          "  anon MB   (memory over the same process before it opened the table)")
    for kind, suffixes in (("names-dict", ()), ("names-marisa", (".marisa", ".marisa-offsets.npy",
                                                                 ".marisa-data.npy", ".marisa-source.npy")),
                           ("names-file", (".names",))):
        for label, path in (("jawiki", entities), ("tiny", tiny)):
            r = child(kind, path, queries, "-")
            print(f"  {kind:16s} {label:7s} {r['startup']:10.3f}   {r['rates']['uniform']:20,.0f}   "
                  f"{r['rates']['zipf']:17,.0f}   {_mb(_size(path, *suffixes))} {_mb(r['rss'])} {_mb(r['pss'])} "
                  f"{_mb(r['anon'])}")


def compare_surfaces(trees: list[tuple[str, Path, dict[str, Path]]], folder: Path, automaton: bool = True) -> None:
    """The automaton, then the detector of each tree, with the jawiki-sized dictionary and the dev one."""
    import pickle

    dev = trees[0][2]
    texts = _texts(dev["documents"])
    texts_file = folder / "texts.pkl"
    texts_file.write_bytes(pickle.dumps(texts))
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"\nsurfaces: the {len(texts)} dev articles ({mb:.2f} MB of text): the longest surface at each position "
          "(scan), and detection, one article at a time and 16 at a time (MB per CPU-second)")
    print("  candidate            dictionary   start-up s   scan   detect  detect 16   file MB   RSS MB   PSS MB  anon MB")
    runs = [("automaton", "surfaces-automaton", REPO, trees[0][2], ())] if automaton else []
    runs += [(f"{name} detector", "surfaces-file", tree, files, (".surfaces",)) for name, tree, files in trees]
    for label, kind, tree, files, suffixes in runs:
        for size, path in (("jawiki", files["big-mentions"]), ("dev", files["mentions"])):
            r = child(kind, path, "-", texts_file, tree)
            detect, many = (f"{mb / r[k]:7.2f}" if r[k] else f"{'':7s}" for k in ("detect", "many"))
            print(f"  {label:20s} {size:10s} {r['startup']:10.3f} {r['rates']['scan']:6.2f}  {detect}    {many}   "
                  f"{_mb(_size(path, *suffixes))} {_mb(r['rss'])} {_mb(r['pss'])} {_mb(r['anon'])}")


# --- leia augment end to end, memory of every process

def watch(process: subprocess.Popen) -> dict:
    """Peak RSS, PSS and anonymous memory of the largest process of ``process``'s tree, and of all of them
    together."""
    peaks = {"rss": 0, "pss": 0, "anon": 0, "sum_rss": 0, "sum_pss": 0, "sum_anon": 0}
    while process.poll() is None:
        total = {"rss": 0, "pss": 0, "anon": 0}
        for pid in _tree(process.pid):
            try:
                m = memory(pid)
            except OSError:
                continue
            for k in total:
                total[k] += m[k]
                peaks[k] = max(peaks[k], m[k])
        for k in total:
            peaks[f"sum_{k}"] = max(peaks[f"sum_{k}"], total[k])
        time.sleep(0.05)
    return peaks


def augment_run(tree: Path, source: Path, entities: Path, mentions: Path | None, out: Path) -> dict:
    import resource

    shutil.rmtree(out, ignore_errors=True)
    code = "import sys; from leia.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, "augment", str(source), "--entities", str(entities), "-o", str(out),
           "--workers", "2", "-q"] + (["--mentions", str(mentions)] if mentions else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tree,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peaks = watch(process)
    _, err = process.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise SystemExit(err.decode())
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall": wall, "cpu": cpu, **peaks}


def compare_augment(trees: list[tuple[str, Path, dict[str, Path]]], folder: Path) -> None:
    dev = trees[0][2]
    mb = sum(len(t.encode()) for t in _texts(dev["documents"])) / 1e6
    cost: dict[tuple[str, str, bool], float] = {}
    for what, source, detect in (("the dev documents (their links)", dev["documents"], False),
                                 ("the dev articles as plain text, with --mentions", dev["corpus"], True)):
        print(f"\nleia augment --workers 2 on {what} ({mb:.2f} MB of text)")
        print("  tree     table    wall s   CPU s  CPU s/MB   largest process: RSS MB  PSS MB anon MB   all processes: "
              "RSS MB  PSS MB anon MB")
        for name, tree, files in trees:
            results = {}
            for label, entities, mentions in (("dev", files["entities"], files["mentions"]),
                                              ("jawiki", files["big-entities"], files["big-mentions"])):
                r = augment_run(tree, source, entities, mentions if detect else None,
                                folder / f"aug-{name}-{label}")
                results[label] = r
                cost[(name, label, detect)] = r["cpu"] / mb
                print(f"  {name:8s} {label:7s} {r['wall']:7.1f} {r['cpu']:7.1f} {r['cpu'] / mb:8.2f}   "
                      f"{_mb(r['rss'])}{_mb(r['pss'])}{_mb(r['anon'])}             {_mb(r['sum_rss'])}"
                      f"{_mb(r['sum_pss'])}{_mb(r['sum_anon'])}")
            growth = {k: results["jawiki"][k] - results["dev"][k] for k in ("rss", "pss", "anon")}
            print(f"  {name:8s} growth of the largest process with the jawiki-sized files: RSS "
                  f"{growth['rss'] / 1e6:.0f} MB, PSS {growth['pss'] / 1e6:.0f} MB, anon {growth['anon'] / 1e6:.0f} MB")
    print("\n--mentions against the links, CPU seconds per MB of text (all processes; start-up included)")
    for name, _, _ in trees:
        for label in ("dev", "jawiki"):
            plain, detected = cost[(name, label, False)], cost[(name, label, True)]
            print(f"  {name:8s} {label:7s} {detected:6.2f} against {plain:5.2f}: {detected / plain:4.1f} times, "
                  f"{detected - plain:5.2f} CPU s more per MB")


_PREPARE = """
import sys
from leia.entities import EntityTable
from leia.mentions import MentionTable
for path in sys.argv[1:3]:
    getattr(EntityTable(path), "names", None)
for path in sys.argv[3:]:
    getattr(MentionTable(path), "surfaces", None)
"""


def peer_files(folder: Path, name: str, tree: Path, files: dict[str, Path]) -> dict[str, Path]:
    """The DuckDB files hard-linked into a folder of the peer's own, and the files the peer maps built beside
    them in its format (which may not be this tree's), before anything is measured."""
    own = folder / f"peer-{name}"
    own.mkdir(exist_ok=True)
    linked = dict(files)
    keys = ("entities", "big-entities", "mentions", "big-mentions")
    for key in keys:
        target = own / files[key].name
        if target.exists() and not os.path.samefile(target, files[key]):  # inputs made again since
            for old in [target, *own.glob(f"{target.name}.*")]:
                old.unlink()
        if not target.exists():
            os.link(files[key], target)
        linked[key] = target
    done = subprocess.run([sys.executable, "-c", _PREPARE, *(str(linked[k]) for k in keys)], cwd=tree,
                          env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return linked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--titles", type=int, default=2_500_000)
    parser.add_argument("--surfaces", type=int, default=4_000_000)
    parser.add_argument("--peer", type=Path, nargs="*", default=[],
                        help="other trees of leia to detect mentions and run `leia augment` with")
    parser.add_argument("--folder", type=Path, help="where to write (default: a temporary folder)")
    parser.add_argument("--skip", nargs="*", default=(), choices=("names", "surfaces", "automaton", "augment"))
    parser.add_argument("--reuse", action="store_true", help="reuse the inputs an earlier run made in --folder")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    print(f"in {folder}; wall times on a shared machine, CPU times per core")
    start = time.perf_counter()
    made = folder / "titles.pkl"
    if args.reuse and made.is_file():  # the inputs of an earlier run in this folder
        import pickle

        dev = {"documents": folder / "documents", "entities": folder / "dev-entities.duckdb",
               "mentions": folder / "dev-mentions.duckdb", "corpus": folder / "corpus.jsonl"}
        entities, mentions, titles = folder / "big-entities.duckdb", folder / "big-mentions.duckdb", \
            pickle.loads(made.read_bytes())
    else:
        import pickle

        dev = dev_inputs(folder)
        entities, titles = big_entities(folder, dev, args.titles, rng)
        print(f"  entity table: {time.perf_counter() - start:.0f} s to make")
        start = time.perf_counter()
        mentions = big_mentions(folder, dev, args.surfaces, titles, rng)
        print(f"  mention dictionary: {time.perf_counter() - start:.0f} s to make")
        made.write_bytes(pickle.dumps(titles))
    from leia.entities import EntityTable
    from leia.mentions import MentionTable

    for path in (entities, dev["entities"]):  # built again here, not in a measured process, if their format changed
        EntityTable(path).names
    for path in (mentions, dev["mentions"]):
        MentionTable(path).surfaces
    print(f"  names file {_size(entities, '.names') / 1e6:.1f} MB beside a {entities.stat().st_size / 1e6:.1f} MB "
          f"entity table; surfaces file {_size(mentions, '.surfaces') / 1e6:.1f} MB beside a "
          f"{mentions.stat().st_size / 1e6:.1f} MB mention dictionary")
    if "names" not in args.skip:
        compare_names(entities, dev["entities"], titles, folder, rng)
    files = {**dev, "big-entities": entities, "big-mentions": mentions}
    trees = [("this", REPO, files)] + [(peer.name, peer.resolve(), peer_files(folder, peer.name, peer.resolve(), files))
                                       for peer in args.peer]
    if "surfaces" not in args.skip:
        compare_surfaces(trees, folder, "automaton" not in args.skip)
    del titles
    if "augment" not in args.skip:
        compare_augment(trees, folder)
    if not args.folder:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
