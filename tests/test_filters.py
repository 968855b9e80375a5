"""Page and section filters: the data-driven cases of tests/cases/filters/*.case (format in their README),
their counters in the manifest, and the options that switch them off."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from casefiles import each_case, names_unique, read_cases
from conftest import SAMPLE_DUMP
from leia.cli import main
from leia.errors import ConfigError
from leia.api import extract
from leia.steps.extract import ExtractOptions
from leia.io.manifest import MANIFEST
from leia.io.shards import iter_record_batches
from leia.wiki.filters import drop_navigation_sections, is_disambiguation, is_navigation_heading
from leia.wiki.siteinfo import SiteInfo
from leia.wiki.wikitext.convert import to_text

CASES = Path(__file__).resolve().parent / "cases" / "filters"
_CASES = read_cases(CASES, ("name", "site", "title", "skipped", "dropped"), site="ja", title="架空",
                    dropped="0")


def test_case_names_are_unique():
    assert names_unique(_CASES) >= 15


@each_case(_CASES)
def test_case(case):
    site = SiteInfo.for_language(case["site"])
    skipped = is_disambiguation(case["input"], site, case["title"])
    assert skipped == (case.get("skipped") == "disambiguation")
    if skipped:
        assert case["text"] == ""
        return
    kept, dropped = drop_navigation_sections(case["input"], site)
    assert dropped == int(case["dropped"])
    if not dropped:
        assert kept is case["input"]
    assert to_text(kept, site).text == case["text"]


@pytest.mark.parametrize("lang, heading, expected", [
    ("ja", " 関連項目 ", True), ("ja", "脚注・出典", True), ("ja", "出典と脚注", True), ("ja", "<span>注釈</span>", True),
    ("ja", "関連項目と日本", False), ("ja", "歴史", False), ("ja", "", False), ("ja", "==", False),
    ("en", "See Also", True), ("en", "Notes and references", True), ("en", "Notes on the name", False),
    ("ja", "See also", False),
])
def test_navigation_headings(lang, heading, expected):
    assert is_navigation_heading(heading, SiteInfo.for_language(lang)) == expected


def test_unbalanced_braces_before_a_heading_keep_the_section():
    text = "本文{{壊れた\n== 関連項目 ==\n* [[甲]]"
    assert drop_navigation_sections(text, SiteInfo.for_language("ja")) == (text, 0)


# -- extraction: counters, options, manifest ----------------------------------------------------------------

_PAGES = [
    ("架空国", "'''架空国'''は国である。\n== 歴史 ==\n{{仮リンク|甲|en|Ko}}がある。\n== 関連項目 ==\n* [[乙]]\n== 外部リンク ==\n* x"),
    ("架空", "'''架空'''は以下を指す。\n* [[架空国]]\n{{曖昧さ回避}}"),
    ("架空川", "'''架空川'''は川。\n== 脚注 ==\n{{Reflist}}"),
]


@pytest.fixture()
def filter_dump(tmp_path) -> Path:
    header = SAMPLE_DUMP.read_text(encoding="utf-8").split("  <page>", 1)[0]
    pages = []
    for number, (title, text) in enumerate(_PAGES, start=1):
        pages.append(
            f"  <page>\n    <title>{escape(title)}</title>\n    <ns>0</ns>\n    <id>{number}</id>\n"
            f"    <revision>\n      <id>{1000 + number}</id>\n      <timestamp>2015-06-01T00:00:00Z</timestamp>\n"
            f"      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
            f'      <text bytes="{len(text.encode())}" xml:space="preserve">{escape(text)}</text>\n'
            f"    </revision>\n  </page>\n")
    path = tmp_path / "filters-pages-articles.xml"
    path.write_text(header + "".join(pages) + "</mediawiki>\n", encoding="utf-8")
    return path


def _documents(folder: Path) -> dict[str, str]:
    return {r["title"]: r["text"] for rb in iter_record_batches(folder) for r in rb.to_pylist()}


def test_extract_filters_by_default_and_counts(filter_dump, tmp_path):
    manifest = extract(filter_dump, tmp_path / "out", progress=False)
    assert manifest.counters["skipped_disambiguation"] == 1
    assert manifest.counters["sections_dropped"] == 3
    assert manifest.counters["documents"] == 2
    assert _documents(tmp_path / "out") == {"架空国": "架空国は国である。\n歴史\n甲がある。", "架空川": "架空川は川。"}
    on_disk = json.loads((tmp_path / "out" / MANIFEST).read_text(encoding="utf-8"))
    assert on_disk["counters"]["skipped_disambiguation"] == 1 and on_disk["counters"]["sections_dropped"] == 3
    assert on_disk["parameters"]["skip_disambiguation"] is True
    assert on_disk["parameters"]["drop_navigation_sections"] is True
    assert "variant" not in on_disk["parameters"]


def test_extract_options_switch_the_filters_off(filter_dump, tmp_path):
    manifest = extract(filter_dump, tmp_path / "out", progress=False, skip_disambiguation=False,
                       drop_navigation_sections=False)
    assert "skipped_disambiguation" not in manifest.counters and "sections_dropped" not in manifest.counters
    documents = _documents(tmp_path / "out")
    assert documents["架空"] == "架空は以下を指す。\n架空国"
    assert documents["架空国"] == "架空国は国である。\n歴史\n甲がある。\n関連項目\n乙\n外部リンク\nx"
    assert manifest.parameters["skip_disambiguation"] is False


def test_cli_flags_switch_the_filters_off(filter_dump, tmp_path, capsys):
    assert main(["extract", str(filter_dump), "-o", str(tmp_path / "on"), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "skipped_disambiguation" in printed and "sections_dropped" in printed
    assert main(["extract", str(filter_dump), "-o", str(tmp_path / "off"), "-q", "--no-skip-disambiguation",
                 "--no-drop-navigation-sections"]) == 0
    off = json.loads((tmp_path / "off" / MANIFEST).read_text(encoding="utf-8"))
    assert off["counters"]["documents"] == 3
    assert "skipped_disambiguation" not in off["counters"] and "sections_dropped" not in off["counters"]
    on = json.loads((tmp_path / "on" / MANIFEST).read_text(encoding="utf-8"))
    assert on["counters"]["documents"] == 2 and on["counters"]["sections_dropped"] == 3


def test_changed_filters_do_not_resume_another_runs_shards(filter_dump, tmp_path, capsys):
    assert main(["extract", str(filter_dump), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert main(["extract", str(filter_dump), "-o", str(tmp_path / "out"), "-q", "--no-skip-disambiguation"]) == 1
    assert "different inputs, parameters" in capsys.readouterr().err


def test_unknown_variant_stops_before_the_run(filter_dump, tmp_path):
    with pytest.raises(ConfigError, match="unknown language variant 'zh-xx'"):
        extract(filter_dump, tmp_path / "out", progress=False, variant="zh-xx")
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit):
        main(["extract", str(filter_dump), "-o", str(tmp_path / "out"), "--variant", "zh-xx"])


def test_variant_is_recorded_for_wikis_with_a_converter():
    assert ExtractOptions(variant="zh-tw").parameters(SiteInfo.for_language("zh"))["variant"] == "zh-tw"
    assert ExtractOptions().parameters(SiteInfo.for_language("zh"))["variant"] == "zh-hans"
    assert "variant" not in ExtractOptions(variant="zh-tw").parameters(SiteInfo.for_language("ja"))


def test_run_takes_the_filter_flags(filter_dump, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--dump", str(filter_dump), "-o", str(out), "-q", "--no-drop-navigation-sections"]) == 0
    documents = json.loads((out / "documents" / MANIFEST).read_text(encoding="utf-8"))
    assert documents["parameters"]["drop_navigation_sections"] is False
    assert documents["parameters"]["skip_disambiguation"] is True
    assert documents["counters"]["skipped_disambiguation"] == 1 and "sections_dropped" not in documents["counters"]
    assert "関連項目\n乙" in _documents(out / "documents")["架空国"]
