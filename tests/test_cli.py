"""The ``leia`` command: what each subcommand prints, its exit status, and that a failing command says why in
one line naming the file and leaves no shard behind."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE_DUMP, SAMPLE_LANGLINKS
from leia.cli import main
from leia.io.manifest import MANIFEST
from leia.io.shards import iter_record_batches

BIN = Path(sys.executable).parent / "leia"


def leia_command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "leia.cli"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", env=env,
                          timeout=300)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    """``leia run`` with no arguments in an empty folder, as a user would first try it."""
    cwd = tmp_path_factory.mktemp("cwd")
    result = leia_command("run", cwd=cwd)
    assert result.returncode == 0, result.stderr
    (cwd / "stdout.txt").write_text(result.stdout, encoding="utf-8")
    return cwd


def test_run_without_arguments(sample_run):
    out = (sample_run / "stdout.txt").read_text(encoding="utf-8")
    lines = out.splitlines()
    assert lines[:3] == ["documents:      leia-output/documents", "entity table:   leia-output/entities.duckdb",
                         "augmented:      leia-output/augmented"]
    visible = sorted(p.name for p in (sample_run / "leia-output").iterdir() if not p.name.startswith("."))
    assert visible == ["augmented", "documents", "entities.duckdb", "entities.duckdb.names", "pages"]
    assert [line for line in lines if line.startswith("== ")] == ["== 東京 ==", "== 富士山 ==", "== 寿司 =="]
    assert any("<translate>" in line and "</translate>" in line for line in lines)
    assert "\x1b[" not in out
    rows = [r for rb in iter_record_batches(sample_run / "leia-output" / "augmented") for r in rb.to_pylist()]
    assert len(rows) == 14
    for r in rows[:3]:
        assert r["text"][:300] in out


def test_run_again_resumes_without_error(sample_run):
    before = {p.name: p.read_bytes() for p in (sample_run / "leia-output" / "augmented").iterdir()}
    result = leia_command("run", "-q", cwd=sample_run)
    assert result.returncode == 0, result.stderr
    assert {p.name: p.read_bytes() for p in (sample_run / "leia-output" / "augmented").iterdir()} == before


def test_run_with_other_parameters_needs_overwrite(sample_run):
    result = leia_command("run", "-q", "--seed", "5", cwd=sample_run)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("leia run: error: leia-output/augmented: holds augmented shards of another run")


def test_lookup_prints_title_tab_english(sample_run, capsys):
    entities = str(sample_run / "leia-output" / "entities.duckdb")
    titles = ["東京", "東京都", "不二山", "nile_River", "水星", "冥王星", "火星", "月見団子", "Category:天体",
              "宝永大噴火", "かっぱ巻き", "ハレー彗星", "Halley's Comet"]
    assert main(["lookup", "--entities", entities, *titles]) == 0
    assert capsys.readouterr().out == (
        "東京\tTokyo\n東京都\tTokyo\n不二山\tMount Fuji\nnile_River\tNile\n水星\tMercury\n冥王星\t\n火星\t\n"
        "月見団子\t\nCategory:天体\t\n宝永大噴火\tHōei eruption\nかっぱ巻き\tMakizushi\n"
        "ハレー彗星\tHalley's Comet\nHalley's Comet\t\n")


def test_lookup_in_a_subprocess(sample_run):
    result = leia_command("lookup", "--entities", "leia-output/entities.duckdb", "エジプト", "おにぎり", cwd=sample_run)
    assert (result.returncode, result.stdout, result.stderr) == (0, "エジプト\tEgypt\nおにぎり\t\n", "")


def test_lookup_of_a_missing_table(tmp_path, capsys):
    assert main(["lookup", "--entities", str(tmp_path / "none.duckdb"), "東京"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"leia lookup: error: {tmp_path / 'none.duckdb'}: no such entity table; build one with " \
                           "`leia entities`\n"


def test_stats(sample_run, capsys):
    folder = sample_run / "leia-output" / "augmented"
    assert main(["stats", "--json", str(folder)]) == 0
    figures = json.loads(capsys.readouterr().out)
    rows = [r for rb in iter_record_batches(folder) for r in rb.to_pylist()]
    mentions = [m for r in rows for m in r["mentions"]]
    assert figures["documents"] == 14
    assert figures["mentions"] == len(mentions) == 85  # 90 links, 5 of them in 関連項目 sections (cut)
    assert figures["spans"] == sum(r["text"].count("<translate>") for r in rows)
    sources = {s: sum(m["source"] == s for m in mentions) for s in {m["source"] for m in mentions}}
    assert figures["mentions_by_source"] == dict(sorted(sources.items()))
    assert figures["parameters"]["entity_table"] == {  # the entity table's parameters as JSON, not a string of it
        "lang": "en", "harvest": True, "cleaning": {"drop_disambiguator": True, "drop_fragment": True,
                                                    "skip_namespaces": True, "skip_lists": True}}
    assert main(["stats", str(folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"documents  {14:>12,}"
    assert lines[1] == f"mentions   {85:>12,}"
    assert lines[2] == f"spans      {figures['spans']:>12,}"
    assert lines[3] == f"coverage   {figures['coverage']:>12.1%}  (mentions with an English name)"
    assert sources.keys() == {"inline", "langlinks", "unknown"}
    assert lines[4:] == [
        "mentions that may get a span, by where the name came from:",
        *(f"  {s:<16} {sources[s]:>10,}  {sources[s] / 85:6.1%}" for s in ("inline", "langlinks")),
        "mentions that get no span, by reason:",
        f"  {'unknown':<16} {sources['unknown']:>10,}  {sources['unknown'] / 85:6.1%}"]


def test_preview_without_color(sample_run, capsys):
    folder = sample_run / "leia-output" / "augmented"
    assert main(["preview", "--color", "never", "-n", "2", "--width", "500", str(folder)]) == 0
    out = capsys.readouterr().out
    rows = [r for rb in iter_record_batches(folder) for r in rb.to_pylist()][:2]
    assert out == "".join(f"== {r['title']} ==\n{r['text'][:500]}\n\n" for r in rows)
    assert "<translate>" in out and "\x1b[" not in out
    assert main(["preview", "--color", "always", "-n", "2", "--width", "500", str(folder)]) == 0
    assert "\x1b[1;36m<translate>" in capsys.readouterr().out


def test_preview_shows_what_leia_preview_shows(sample_run, capsys):
    """The command and the Python function show the same documents at the same width by default."""
    import leia
    from leia.report import PREVIEW_WIDTH

    folder = sample_run / "leia-output" / "augmented"
    assert main(["preview", "--color", "never", str(folder)]) == 0
    assert capsys.readouterr().out == "".join(f"{block}\n\n" for block in leia.preview(folder, color=False))
    assert PREVIEW_WIDTH == 600
    with pytest.raises(SystemExit):
        main(["preview", "--help"])
    assert "characters per document (default 600, leia.preview's)" in " ".join(capsys.readouterr().out.split())


def test_preview_of_documents_without_titles_names_them_by_id(tmp_path, sample_run, capsys):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": 7, "text": "東京は首都。", "anchors": [{"start": 0, "end": 2, "target": "東京"}]}\n',
                      encoding="utf-8")
    entities = sample_run / "leia-output" / "entities.duckdb"
    assert main(["augment", str(corpus), "--entities", str(entities), "-o", str(tmp_path / "out"), "--prob", "1",
                 "-q"]) == 0
    capsys.readouterr()
    assert main(["preview", "--color", "never", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out == "== document 7 ==\n東京<translate>Tokyo</translate>は首都。\n\n"


def test_stats_of_a_documents_folder_is_refused(sample_run, capsys):
    folder = sample_run / "leia-output" / "documents"
    assert main(["stats", str(folder)]) == 1
    assert capsys.readouterr().err == f"leia stats: error: {folder}: holds documents shards, expected augmented\n"


def test_augment_prob_out_of_range(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["augment", "docs", "--entities", "e.duckdb", "-o", str(tmp_path / "out"), "--prob", "2"])
    assert info.value.code == 2
    assert "argument --prob: must be between 0 and 1" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_augment_prob_out_of_range_exit_status(tmp_path):
    result = leia_command("augment", "docs", "--entities", "e.duckdb", "-o", "out", "--prob", "2", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "leia augment: error: argument --prob: must be between 0 and 1"


def test_workers_must_be_positive(capsys):
    with pytest.raises(SystemExit) as info:
        main(["extract", str(SAMPLE_DUMP), "-o", "x", "--workers", "0"])
    assert info.value.code == 2


def test_extract_missing_file(tmp_path):
    result = leia_command("extract", "nowhere.xml.bz2", "-o", "docs", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "leia extract: error: nowhere.xml.bz2: no such file\n"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_extract_not_a_dump(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("首都はカイロ。\n", encoding="utf-8")
    assert main(["extract", str(tmp_path / "notes.txt"), "-o", str(tmp_path / "docs"), "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"leia extract: error: {tmp_path / 'notes.txt'}: not a MediaWiki XML dump")
    assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_extract_truncated_dump_keeps_only_finished_shards(tmp_path, capsys, jawiki_dev_dump):
    compressed = jawiki_dev_dump.read_bytes()
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(compressed[: len(compressed) // 2])
    out = tmp_path / "docs"
    assert main(["extract", str(cut), "-o", str(out), "--shard-size", "10", "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"leia extract: error: {cut}: compressed stream is truncated or corrupt")
    assert err.count("\n") == 1 and "pages)" in err
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["complete"] is False
    finished = {s["file"] for s in manifest["shards"]}
    assert {p.name for p in out.iterdir()} == finished | {MANIFEST, "README.md"}
    assert len(finished) >= 1
    assert sum(s["rows"] for s in manifest["shards"]) == 10 * len(finished)


def test_entities_command(tmp_path, capsys):
    out = tmp_path / "e.duckdb"
    assert main(["entities", "--dump", str(SAMPLE_DUMP), "--langlinks", str(SAMPLE_LANGLINKS), "-o", str(out),
                 "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"entity table {out}"
    assert f"  {'redirect_cycle':<28} {2:>12,}" in lines
    assert f"  {'entities':<28} {27:>12,}" in lines
    assert main(["entities", "--dump", str(SAMPLE_DUMP), "-o", str(out), "-q"]) == 1
    assert "exists; choose another file or pass --overwrite" in capsys.readouterr().err
    assert main(["entities", "--langlinks", str(SAMPLE_LANGLINKS), "-o", str(tmp_path / "f.duckdb"), "-q"]) == 1
    assert capsys.readouterr().err.startswith("leia entities: error: --langlinks needs --dump")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.duckdb", "e.duckdb.names"]
    assert main(["entities", "--dump", str(SAMPLE_DUMP), "--langlinks", str(SAMPLE_LANGLINKS), "--no-drop-disambiguator",
                 "-o", str(out), "--overwrite", "-q"]) == 0
    capsys.readouterr()
    assert main(["lookup", "--entities", str(out), "水星"]) == 0
    assert capsys.readouterr().out == "水星\tMercury (planet)\n"


def test_augment_command(sample_run, tmp_path, capsys):
    docs = sample_run / "leia-output" / "documents"
    entities = sample_run / "leia-output" / "entities.duckdb"
    out = tmp_path / "aug"
    assert main(["augment", str(docs), "--entities", str(entities), "-o", str(out), "--prob", "1",
                 "--strategy", "left", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"augmented documents in {out}"
    rows = [r for rb in iter_record_batches(out) for r in rb.to_pylist()]
    spans = sum(r["text"].count("<translate>") for r in rows)
    assert f"  {'spans':<28} {spans:>12,}" in lines
    assert rows[1]["title"] == "富士山"
    assert "<translate>Tokyo</translate>東京からも見える" in rows[1]["text"]


_SMALL_SITEINFO = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" xml:lang="ja">\n<siteinfo><sitename>'
                   'Wikipedia</sitename><dbname>jawiki</dbname><case>first-letter</case><namespaces>'
                   '<namespace key="0" case="first-letter" /><namespace key="10" case="first-letter">Template'
                   '</namespace></namespaces></siteinfo>\n')


def _small_page(page_id: int, title: str, text: str, ns: int = 0, redirect: str | None = None) -> str:
    link = f'<redirect title="{redirect}" />' if redirect else ""
    return (f"<page><title>{title}</title><ns>{ns}</ns><id>{page_id}</id>{link}<revision><id>1</id>"
            f"<timestamp>2024-01-01T00:00:00Z</timestamp><text>{text}</text></revision></page>\n")


@pytest.fixture
def small_dump(tmp_path) -> Path:
    """One article, and one page of each kind extraction skips."""
    pages = [_small_page(1, "東京", "東京は[[日本]]の首都。"),
             _small_page(2, "水星 (曖昧さ回避)", "水星は次を指す。"),
             _small_page(3, "空", "[[Category:空]]"),
             _small_page(4, "Template:国", "{{{1}}}", ns=10),
             _small_page(5, "東京都", "#REDIRECT [[東京]]", redirect="東京"),
             _small_page(6, "Template:壊", "a &amp b", ns=10)]
    path = tmp_path / "small.xml"
    path.write_text(_SMALL_SITEINFO + "".join(pages) + "</mediawiki>\n", encoding="utf-8")
    return path


def test_verbose_logs_each_skipped_page(small_dump):
    cwd = small_dump.parent
    for verbose in (["extract", "-v"], ["-v", "extract"]):
        out = f"docs{len(verbose[0])}"
        result = leia_command(*verbose, "small.xml", "-o", out, "-q", cwd=cwd)
        assert result.returncode == 0, result.stderr
        assert f"  {'documents':<28} {1:>12,}" in result.stdout.splitlines()
        assert sorted(result.stderr.splitlines()) == [
            "DEBUG leia.steps.extract: page 2 '水星 (曖昧さ回避)' skipped: disambiguation page",
            "DEBUG leia.steps.extract: page 3 '空' skipped: empty after conversion",
            "DEBUG leia.steps.extract: page 4 'Template:国' skipped: namespace 10",
            "DEBUG leia.steps.extract: page 5 '東京都' skipped: redirect",
            "DEBUG leia.steps.extract: page number 6 of the dump skipped: namespace 10",
        ]


def test_without_verbose_skipped_pages_are_only_counted(small_dump, capsys):
    result = leia_command("extract", "small.xml", "-o", "docs", "-q", cwd=small_dump.parent)
    assert (result.returncode, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    for counter in ("skipped_disambiguation", "skipped_empty", "skipped_redirect"):
        assert f"  {counter:<28} {1:>12,}" in lines
    assert f"  {'skipped_other_namespace':<28} {2:>12,}" in lines


def test_log_lines_are_one_line_without_traceback():
    from leia.cli.logs import OneLine

    try:
        raise ValueError("inner")
    except ValueError:
        record = logging.LogRecord("leia.x", logging.WARNING, __file__, 1, "page %d %r skipped:\n%s",
                                   (7, "T", "two\nlines"), sys.exc_info())
    assert OneLine().format(record) == "WARNING leia.x: page 7 'T' skipped: two lines"


@pytest.mark.parametrize("words", [["extract", "d.xml", "-o", "x"], ["entities", "-o", "e.duckdb"],
                                   ["lookup", "--entities", "e", "T"], ["augment", "d", "--entities", "e", "-o", "x"],
                                   ["mentions", "build", "--documents", "d", "--entities", "e", "-o", "m"],
                                   ["run"], ["merge-manifests", "a", "-o", "x"], ["stats", "a"], ["verify", "a"],
                                   ["preview", "a"]])
def test_verbose_before_or_after_the_command_name(words):
    from leia.cli import build_parser

    name = words[:2] if words[0] == "mentions" else words[:1]
    parse = build_parser().parse_args
    assert parse(words).verbose is False
    assert parse(["-v", *words]).verbose is True
    assert parse([*name, "-v", *words[len(name):]]).verbose is True
    assert parse(words).command_name == "leia " + " ".join(name)


def test_python_m_leia_cli():
    result = subprocess.run([sys.executable, "-m", "leia.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: leia [-h] [--version] [-v] COMMAND ...\n")


def test_version_comes_from_the_package_metadata(capsys):
    from importlib.metadata import version

    import leia

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"leia {version('leia')}\n"
    assert leia.__version__ == version("leia")  # what manifests record is the installed version


@pytest.mark.parametrize("words", [["preview", "leia-output/augmented", "-n", "5"],
                                   ["stats", "leia-output/augmented"],
                                   ["lookup", "--entities", "leia-output/entities.duckdb", "東京", "富士山"]])
def test_a_reader_that_closes_the_pipe_early_ends_the_command_quietly(sample_run, words):
    """``leia preview DIR | head -2``: the reader has gone when leia writes; it stops with status 0 and no word,
    as Unix tools do."""
    command = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "leia.cli"]
    read, write = os.pipe()
    os.close(read)  # the reader went away before leia wrote a line
    try:
        result = subprocess.run([*command, *words], cwd=sample_run, stdout=write, stderr=subprocess.PIPE,
                                timeout=120)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr.decode()) == (0, "")


def test_a_closed_pipe_that_is_not_stdout_is_still_an_error(monkeypatch, capsys, tmp_path):
    """Only the reader of stdout going away ends a command quietly; a broken pipe elsewhere is reported."""
    import leia.cli.verify as verify

    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(verify, "run", broken)
    assert main(["verify", str(tmp_path)]) == 1
    assert capsys.readouterr().err == "leia verify: error: [Errno 32] Broken pipe\n"


def test_an_interrupt_outside_a_run_of_shards_says_to_rerun(monkeypatch, capsys, tmp_path):
    import leia.cli.verify as verify

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(verify, "run", interrupted)
    assert main(["verify", str(tmp_path)]) == 130
    assert capsys.readouterr().err == "leia verify: interrupted; rerun the same command to resume\n"
