"""jawiki at full size, end to end: a generated input with jawiki's title space, then `leia run --workers 2`,
`leia mentions build` and `leia augment --mentions` on what it wrote, with per phase the wall time, the CPU
time of all processes, the peak memory of the largest process and of all processes together, and the disk
the phase's output takes.

The input (cached between runs under ``--cache``, about 0.3 GB at full size):
- a multistream ``.xml.bz2`` dump of ``--titles`` pages (2.5 M: 7 of every 12 an article, the others
  redirects, a few of them double, dangling or looping), about ``--mb`` MB of wikitext (1000): the 103 real
  dev articles again and again under new titles of the title space, their links rewritten to point into it
  (a sixth through a redirect), and every other article a stub of two sentences that links to three titles;
- a langlinks dump (mysqldump format) naming an English title for every second article (0.73 M rows),
  made-up names with disambiguators, "List of" pages and apostrophes as the real ones have;
- for ``leia augment --mentions``, ``--detect-mb`` MB of the extracted documents' text without their links, as
  a Parquet corpus.

Titles are the dev articles' link targets followed by ``・`` and a katakana suffix (articles) or a hiragana
one (redirects), so every title is unique and the link text varies as jawiki's does.

Memory is sampled every ``--interval`` seconds over the process tree: the largest process is its peak RSS
(the kernel's high-water mark, reset at each phase of `leia run`), all processes together the largest sum of
their PSS (shared pages counted once). CPU time is that of the process and its workers (user + system).

    python tests/benchmarks/bench_scale.py [--titles 2500000] [--mb 1000] [--cache /tmp/leia-bench-scale]
    python tests/benchmarks/bench_scale.py --titles 100000 --mb 40     # a quick try, about a minute

Needs ../shared/data beside the checkout, and psutil (in leia's `test` extra).
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import json
import multiprocessing as mp
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _dumps import DEV_DUMP, SHARED, siteinfo_block  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
LANGLINKS = SHARED / "jawiki-country-dev-langlinks.sql.gz"
GENERATOR = 1  # bump when the generated input changes, so that a cache of another version is not reused

_KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
_HIRAGANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわん"
_LINK = re.compile(r"\[\[([^\[\]|#\n]+)(#[^\[\]|\n]*)?(\|[^\[\]]*)?\]\]")
_ADJECTIVES = ("North", "South", "Old", "New", "Upper", "Lower", "Great", "Little", "Royal", "Central", "Eastern",
               "Western", "Red", "Black", "White", "Green", "Golden", "Silver", "High", "Saint")
_NOUNS = ("River", "Bridge", "Station", "Castle", "Harbor", "Temple", "Valley", "Island", "Tower", "Garden",
          "School", "Railway", "Museum", "Shrine", "Lake", "Forest", "Academy", "Company", "Theatre", "Party",
          "Orchestra", "Festival", "Dynasty", "Province", "Line", "Park", "Street", "Society", "Union", "Bay")
_KINDS = ("band", "film", "novel", "album", "ship", "horse", "company", "song", "TV series", "manga")
_CATEGORIES = ("日本の企業", "日本の河川", "日本の鉄道駅", "架空の人物", "日本の寺院", "アジアの島", "日本の城")


def _digits(n: int, alphabet: str) -> str:
    out = ""
    while True:
        n, d = divmod(n, len(alphabet))
        out = alphabet[d] + out
        if not n:
            return out


@dataclass(frozen=True)
class TitleSpace:
    """Pages 1..``pages`` by id: in each run of 12 ids, 7 articles and 5 redirects. Article ``a`` is titled
    ``bases[a % B]`` (the first B) or that followed by ``・`` and katakana, redirect ``r`` by ``・`` and hiragana."""

    bases: tuple[str, ...]
    pages: int

    ARTICLE_SLOTS = (0, 1, 3, 4, 6, 8, 10)
    REDIRECT_SLOTS = (2, 5, 7, 9, 11)

    def articles_before(self, page_id: int) -> int:
        block, slot = divmod(page_id, 12)
        return block * 7 + sum(s < slot for s in self.ARTICLE_SLOTS) - 1

    @property
    def articles(self) -> int:
        return self.articles_before(self.pages + 1)

    @property
    def redirects(self) -> int:
        return self.pages - self.articles

    def kind(self, page_id: int) -> tuple[str, int]:
        """("article", a) or ("redirect", r) of a page id."""
        if page_id % 12 in self.ARTICLE_SLOTS:
            return "article", self.articles_before(page_id)
        return "redirect", page_id - 1 - self.articles_before(page_id)

    def article_id(self, a: int) -> int:
        block, k = divmod(a + 1, 7)
        return block * 12 + self.ARTICLE_SLOTS[k]

    def article(self, a: int) -> str:
        b, k = a % len(self.bases), a // len(self.bases)
        return self.bases[b] if k == 0 else f"{self.bases[b]}・{_digits(k, _KATAKANA)}"

    def redirect(self, r: int) -> str:
        return f"{self.bases[r % len(self.bases)]}・{_digits(r // len(self.bases), _HIRAGANA)}"

    def redirect_target(self, r: int) -> str:
        """An article of the same base, a few redirects further on (double), nothing (dangling) or itself."""
        B = len(self.bases)
        if r % 997 == 5:
            return self.redirect(r)
        if r % 211 == 3:
            return f"{self.bases[r % B]}・消滅"
        if r % 50 == 1 and r + B < self.redirects:
            return self.redirect(r + B)
        return self.article(self._article_near(r % B, r // B))

    def _article_near(self, b: int, k: int) -> int:
        """An article of base ``b`` with suffix number about ``k``, inside the title space."""
        B = len(self.bases)
        spread = max(1, (self.articles - b + B - 1) // B)
        return b + B * (k % spread)

    def link(self, b: int, n: int) -> str:
        """The ``n``-th choice of a link to a title of base ``b``: one in six a redirect, else an article."""
        B = len(self.bases)
        if n % 6 == 0:
            spread = max(1, (self.redirects - b + B - 1) // B)
            if b < self.redirects:
                return self.redirect(b + B * (n // 6 % spread))
        return self.article(self._article_near(b, n * 7 + 3))

    def english(self, a: int) -> str:
        """A made-up English title for article ``a``, some with a disambiguator, an apostrophe, or a list."""
        words = [_ADJECTIVES[a % 20], _NOUNS[a // 20 % 30]]
        if a % 3:
            words.append(_NOUNS[a // 600 % 30])
        name = " ".join(words) + f" {a // 18000}" * (a >= 18000)
        if a % 9 == 0:
            name += f" ({_KINDS[a // 9 % 10]})"
        if a % 97 == 0:
            name = "List of " + name
        if a % 53 == 0:
            name = name.replace("Saint", "Saint's", 1) if "Saint" in name else "O'" + name
        return name


# --- generating the input (in worker processes, 100 pages to a bz2 stream) ---

_STATE: dict = {}


def _init_generator(space: TitleSpace, dev: list[tuple[str, str]], base_index: dict, stride: int, site) -> None:
    _STATE.update(space=space, dev=dev, base_index=base_index, stride=stride, site=site)


def _rewrite(text: str, copy: int) -> str:
    """The links of a dev article turned into links to titles of the title space (labels kept)."""
    from leia.wiki.titles import normalize_title

    space, base_index, site = _STATE["space"], _STATE["base_index"], _STATE["site"]
    ordinal = 0

    def sub(m: re.Match) -> str:
        nonlocal ordinal
        norm = normalize_title(m.group(1), site)
        b = base_index.get(norm[1]) if norm and norm[0] == 0 else None
        if b is None:
            return m.group()
        ordinal += 1
        return f"[[{space.link(b, copy * 13 + ordinal)}{m.group(2) or ''}{m.group(3) or ''}]]"

    return _LINK.sub(sub, text)


def _stub(a: int, title: str) -> str:
    space, B = _STATE["space"], len(_STATE["space"].bases)
    b1, b2, b3 = (a * 7919) % B, (a * 104729 + 1) % B, (a * 1299709 + 2) % B
    return (f"'''{title}'''は、[[{space.link(b1, a)}]]の[[{space.link(b2, a + 1)}]]である。"
            f"{1900 + a % 120}年に[[{space.link(b3, a + 2)}]]で記録された。\n\n"
            f"[[Category:{_CATEGORIES[a % len(_CATEGORIES)]}]]")


def _page_xml(page_id: int, title: str, text: str, redirect: str | None) -> tuple[bytes, int]:
    body = text.encode("utf-8")
    head = (f"  <page>\n    <title>{escape(title)}</title>\n    <ns>0</ns>\n    <id>{page_id}</id>\n"
            + (f'    <redirect title="{escape(redirect, {chr(34): "&quot;"})}" />\n' if redirect else "")
            + f"    <revision>\n      <id>{page_id + 10_000_000}</id>\n"
            "      <timestamp>2024-07-01T00:00:00Z</timestamp>\n      <model>wikitext</model>\n"
            f'      <format>text/x-wiki</format>\n      <text bytes="{len(body)}" xml:space="preserve">')
    return (head + escape(text) + "</text>\n    </revision>\n  </page>\n").encode("utf-8"), len(body)


def _generate_range(bounds: tuple[int, int]) -> tuple[bytes, dict]:
    """Pages ``bounds[0]..bounds[1]-1`` by id, as bz2 streams of 100 pages, and what they hold."""
    space, dev, stride = _STATE["space"], _STATE["dev"], _STATE["stride"]
    counts = {"wikitext_bytes": 0, "articles": 0, "redirects": 0, "dev_copies": 0}
    streams = []
    chunk: list[bytes] = []
    for page_id in range(*bounds):
        kind, n = space.kind(page_id)
        if kind == "article":
            title = space.article(n)
            if stride and n % stride == stride // 2:
                t = n // stride
                text = _rewrite(dev[t % len(dev)][1], t // len(dev))
                counts["dev_copies"] += 1
            else:
                text = _stub(n, title)
            xml, size = _page_xml(page_id, title, text, None)
            counts["articles"] += 1
        else:
            target = space.redirect_target(n)
            xml, size = _page_xml(page_id, space.redirect(n), f"#転送 [[{target}]]", target)
            counts["redirects"] += 1
        counts["wikitext_bytes"] += size
        chunk.append(xml)
        if len(chunk) == 100:
            streams.append(bz2.compress(b"".join(chunk), 9))
            chunk = []
    if chunk:
        streams.append(bz2.compress(b"".join(chunk), 9))
    return b"".join(streams), counts


def _dev_pages():
    from leia.wiki.dumps.xmldump import DumpReader

    reader = DumpReader(DEV_DUMP)
    site = reader.read_siteinfo()
    return [(p.title, p.text) for p in DumpReader(DEV_DUMP) if p.ns == 0 and p.redirect is None], site


def _title_bases(dev: list[tuple[str, str]], site) -> tuple[str, ...]:
    """The dev articles' titles and link targets (articles only, without ``・``), in a fixed order."""
    from leia.wiki.titles import normalize_title

    found = {title for title, _ in dev}
    for _, text in dev:
        for m in _LINK.finditer(text):
            norm = normalize_title(m.group(1), site)
            if norm and norm[0] == 0:
                found.add(norm[1])
    return tuple(sorted(t for t in found if "・" not in t and not t.startswith(" ")))


def generate(folder: Path, titles: int, mb: float, workers: int) -> dict:
    """Write the dump and the langlinks dump into ``folder`` (once: a folder that holds them is reused)."""
    stamp = folder / "input.json"
    if stamp.exists():
        return json.loads(stamp.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    if not DEV_DUMP.exists():
        raise SystemExit(f"{DEV_DUMP} is absent: the benchmarks read ../shared/data beside the checkout")
    started = time.perf_counter()
    dev, site = _dev_pages()
    bases = _title_bases(dev, site)
    space = TitleSpace(bases, titles)
    base_index = {b: i for i, b in enumerate(bases)}
    _init_generator(space, dev, base_index, 0, site)
    sample = range(0, min(space.articles, 20_000), 7)
    stub_bytes = sum(len(_stub(a, space.article(a)).encode()) for a in sample) / len(sample)
    redirect_bytes = sum(len(f"#転送 [[{space.redirect_target(r)}]]".encode()) for r in range(1000)) / 1000
    dev_bytes = sum(len(_rewrite(text, 0).encode()) for _, text in dev) / len(dev)
    room = mb * 1e6 - space.articles * stub_bytes - space.redirects * redirect_bytes
    text_pages = max(0, room / (dev_bytes - stub_bytes))
    stride = max(1, round(space.articles / text_pages)) if text_pages >= 1 else 0
    dump = folder / "jawiki-20240701-pages-articles-multistream.xml.bz2"
    tmp = dump.with_name(dump.name + ".tmp")
    counts = {"wikitext_bytes": 0, "articles": 0, "redirects": 0, "dev_copies": 0}
    step = 12 * 1000
    ranges = [(i, min(i + step, titles + 1)) for i in range(1, titles + 1, step)]
    with open(tmp, "wb") as f, mp.get_context("fork").Pool(
            workers, _init_generator, (space, dev, base_index, stride, site)) as pool:
        f.write(bz2.compress(siteinfo_block(DEV_DUMP), 9))
        for data, c in pool.imap(_generate_range, ranges):
            f.write(data)
            for k, v in c.items():
                counts[k] += v
            print(f"\rgenerating the dump: {counts['articles'] + counts['redirects']:,} of {titles:,} pages",
                  end="", file=sys.stderr, flush=True)
        f.write(bz2.compress(b"</mediawiki>\n", 9))
    print(file=sys.stderr)
    tmp.rename(dump)
    langlinks, rows = _langlinks(folder / "jawiki-20240701-langlinks.sql.gz", space)
    info = {"titles": titles, "mb": mb, "generator": GENERATOR, "dump": dump.name, "langlinks": langlinks.name,
            **counts, "langlinks_rows": rows, "bases": len(bases), "dev_stride": stride,
            "dump_bytes": dump.stat().st_size, "langlinks_bytes": langlinks.stat().st_size,
            "seconds": round(time.perf_counter() - started, 1)}
    stamp.write_text(json.dumps(info, indent=1))
    return info


def _langlinks(path: Path, space: TitleSpace) -> tuple[Path, int]:
    """Every second article's English title, as jawiki's langlinks dump writes it (rows of ~1 MB lines)."""
    lines = gzip.open(LANGLINKS, "rb").read().split(b"\n")
    head = [line for line in lines if not line.startswith(b"INSERT INTO")]
    tail_at = next(i for i, line in enumerate(head) if b"ENABLE KEYS" in line)
    rows = 0
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wb", compresslevel=6) as f:
        f.write(b"\n".join(head[:tail_at]) + b"\n")
        line: list[str] = []
        size = 0
        for a in range(0, space.articles, 2):
            name = space.english(a).replace("\\", "\\\\").replace("'", "\\'")
            row = f"({space.article_id(a)},'en','{name}')"
            line.append(row)
            size += len(row) + 1
            rows += 1
            if size > 1 << 20:
                f.write(("INSERT INTO `langlinks` VALUES " + ",".join(line) + ";\n").encode())
                line, size = [], 0
        if line:
            f.write(("INSERT INTO `langlinks` VALUES " + ",".join(line) + ";\n").encode())
        f.write(b"\n".join(head[tail_at:]))
    tmp.rename(path)
    return path, rows


def corpus(documents: Path, out: Path, mb: float) -> tuple[Path, float]:
    """The first ``mb`` MB of the documents' text, without links, as one Parquet file (id, title, text)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from leia.io.shards import iter_record_batches

    taken, batches = 0, []
    for rb in iter_record_batches(documents):
        rb = rb.select(["id", "title", "text"])
        batches.append(rb)
        taken += pc.sum(pc.binary_length(rb.column("text"))).as_py() or 0
        if taken >= mb * 1e6:
            break
    pq.write_table(pa.Table.from_batches(batches), out)
    return out, taken / 1e6


# --- running leia and watching its processes ---

_CHILD = r"""
import json, sys, time
import psutil
marks_path, phases, argv = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
me = psutil.Process()

def cpu():
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for c in me.children(recursive=True):
        try:
            ct = c.cpu_times()
            total += ct.user + ct.system
        except psutil.Error:
            pass
    return total

def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0

def mark(phase, event):
    if event == "start":
        try:
            open("/proc/self/clear_refs", "w").write("5")  # the peak RSS starts again from here
        except OSError:
            pass
    with open(marks_path, "a") as f:
        f.write(json.dumps({"phase": phase, "event": event, "t": time.time(), "cpu": cpu(), "hwm": hwm()}) + "\n")

def timed(name, call):
    def wrapped(*args, **kwargs):
        mark(name, "start")
        try:
            return call(*args, **kwargs)
        finally:
            mark(name, "end")
    return wrapped

import leia.api
for name in phases[1:]:
    setattr(leia.api, name, timed(name, getattr(leia.api, name)))
from leia.cli import main
sys.exit(timed(phases[0], main)(argv))
"""


def _proc_hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Watch:
    """Samples a process tree every ``interval`` seconds: each process's RSS high-water mark and PSS."""

    def __init__(self, pid: int, interval: float):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, dict[int, int], int]] = []  # (time, pid -> peak RSS, sum of PSS)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.root] + self.root.children(recursive=True)
            except psutil.Error:
                break
            peaks, pss = {}, 0
            for p in procs:
                try:
                    pss += p.memory_full_info().pss
                    peaks[p.pid] = _proc_hwm(p.pid)
                except psutil.Error:
                    pass
            self.samples.append((time.time(), peaks, pss))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()


def run_leia(argv: list[str], phases: list[str], marks: Path, interval: float, log: Path) -> list[dict]:
    """Run ``leia ARGV`` with the named phases (the command first, then functions of leia.api it calls) marked;
    return one record per phase: wall, CPU, the largest process's peak RSS, the largest sum of PSS."""
    marks.unlink(missing_ok=True)
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(marks), ",".join(phases), *argv],
                                cwd=REPO, stdout=err, stderr=subprocess.STDOUT)
        watch = Watch(proc.pid, interval)
        code = proc.wait()
        watch.stop()
    if code:
        raise SystemExit(f"leia {' '.join(argv)} failed ({code}); see {log}:\n{log.read_text()[-3000:]}")
    events = [json.loads(line) for line in marks.read_text().splitlines()]
    records = []
    for name in phases:
        starts = [e for e in events if e["phase"] == name and e["event"] == "start"]
        ends = [e for e in events if e["phase"] == name and e["event"] == "end"]
        if not starts:
            continue
        start, end = starts[0], ends[-1]
        window = [s for s in watch.samples if start["t"] <= s[0] <= end["t"]]
        workers = max((peak for _, peaks, _ in window for pid, peak in peaks.items() if pid != proc.pid), default=0)
        records.append({"phase": name, "wall": end["t"] - start["t"], "cpu": end["cpu"] - start["cpu"],
                        "largest": max(end["hwm"], workers), "total": max((s[2] for s in window), default=0)})
    if records:  # the command's own peak was reset at each of its phases
        records[0]["largest"] = max(r["largest"] for r in records)
    return records


def _text_mb(documents: Path) -> float:
    import pyarrow.compute as pc

    from leia.io.shards import iter_record_batches

    return sum(pc.sum(pc.binary_length(rb.column("text"))).as_py() or 0 for rb in iter_record_batches(documents)) / 1e6


def du(*paths: Path) -> int:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_blocks * 512
        elif path.is_dir():
            total += sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--titles", type=int, default=2_500_000, help="pages of the dump (default 2.5 M)")
    parser.add_argument("--mb", type=float, default=1000, help="MB of wikitext in the dump (default 1000)")
    parser.add_argument("--detect-mb", type=float, default=100,
                        help="MB of plain text for leia augment --mentions (default 100)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/leia-bench-scale"),
                        help="folder of the generated input, kept between runs (default /tmp/leia-bench-scale)")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between memory samples")
    parser.add_argument("--keep", action="store_true", help="keep what leia wrote (under CACHE/.../runs)")
    parser.add_argument("--skip-mentions", action="store_true", help="only leia run")
    args = parser.parse_args()

    folder = args.cache / f"titles{args.titles}-mb{args.mb:g}-v{GENERATOR}"
    info = generate(folder, args.titles, args.mb, args.workers)
    dump, langlinks = folder / info["dump"], folder / info["langlinks"]
    print(f"input ({folder}, {du(dump, langlinks) / 1e9:.2f} GB on disk): {info['titles']:,} pages, {info['articles']:,} "
          f"articles ({info['dev_copies']:,} of them dev articles), {info['redirects']:,} redirects, "
          f"{info['wikitext_bytes'] / 1e6:,.0f} MB of wikitext ({info['dump_bytes'] / 1e6:,.0f} MB bz2), "
          f"{info['langlinks_rows']:,} langlinks rows ({info['langlinks_bytes'] / 1e6:,.1f} MB gz)")
    runs = folder / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir()
    out = runs / "leia-run"
    marks = runs / "marks.jsonl"
    rows = run_leia(["run", "--dump", str(dump), "--langlinks", str(langlinks), "-o", str(out), "--workers",
                     str(args.workers), "--no-progress"], ["run", "extract", "build_entity_table", "augment"], marks,
                    args.interval, runs / "run.log")
    disk = {"run": du(out), "extract": du(out / "documents", out / "pages"),
            "build_entity_table": du(out / "entities.duckdb"),
            "augment": du(out / "augmented")}
    with open(out / "augmented" / "manifest.json") as f:
        augmented = json.load(f)["counters"]
    text_mb = _text_mb(out / "documents")
    if not args.skip_mentions:
        mentions = runs / "mentions.duckdb"
        rows += run_leia(["mentions", "build", "--documents", str(out / "documents"), "--entities",
                          str(out / "entities.duckdb"), "-o", str(mentions), "--workers", str(args.workers),
                          "--no-progress"], ["mentions build"], marks, args.interval, runs / "mentions.log")
        disk["mentions build"] = du(mentions)
        text, plain_mb = corpus(out / "documents", runs / "corpus.parquet", args.detect_mb)
        rows += run_leia(["augment", str(text), "--entities", str(out / "entities.duckdb"), "--mentions",
                          str(mentions), "-o", str(runs / "corpus-leia"), "--workers", str(args.workers),
                          "--no-progress"],
                         ["augment --mentions"], marks, args.interval, runs / "augment-mentions.log")
        disk["augment --mentions"] = du(runs / "corpus-leia")
    mb = info["wikitext_bytes"] / 1e6
    print(f"{args.workers} workers; wall times on a shared machine, CPU time is of all processes; memory: peak RSS "
          "of the largest process, largest sum of PSS of all")
    print(f"{'phase':>20} {'wall s':>8} {'CPU s':>8} {'largest MB':>11} {'all MB':>8} {'disk MB':>8}")
    for r in rows:
        name = {"run": "leia run (all)", "extract": "  extract", "build_entity_table": "  entities",
                "augment": "  augment"}.get(r["phase"], r["phase"])
        print(f"{name:>20} {r['wall']:8.1f} {r['cpu']:8.1f} {r['largest'] / 1e6:11.0f} {r['total'] / 1e6:8.0f} "
              f"{disk.get(r['phase'], 0) / 1e6:8.0f}")
    by = {r["phase"]: r for r in rows}
    print(f"extraction: {mb / by['extract']['cpu']:.1f} MB of wikitext per CPU-s, {mb / by['extract']['wall']:.1f} "
          f"MB/s wall")
    print(f"augmentation: {text_mb / by['augment']['cpu']:.1f} MB of text per CPU-s")
    print(f"entity table: {info['titles'] / by['build_entity_table']['wall'] / 1e3:.0f} k titles/s wall")
    print(f"augmentation: {augmented['documents']:,} documents, {augmented['mentions']:,} mentions, "
          f"{augmented['spans']:,} spans, {text_mb:,.0f} MB of text")
    if not args.skip_mentions:
        print(f"augment --mentions on {plain_mb:.0f} MB of plain text: "
              f"{plain_mb / by['augment --mentions']['cpu']:.1f} MB per CPU-s")
    if not args.keep:
        shutil.rmtree(runs, ignore_errors=True)


if __name__ == "__main__":
    main()
