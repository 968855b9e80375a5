"""Shared fixtures. The real Wikipedia files and the tokenizer live in ``../shared`` beside the checkout
(CC BY-SA text stays out of the repository); without it the tests that need them skip. Under
``LEIA_REQUIRE_SHARED=1`` (set by .ci/run) nothing may be skipped: a skip, for want of ../shared or of an
installed extra, is reported as a failure."""

from __future__ import annotations

import bz2
import gzip
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = REPO / "data"
SAMPLE_DUMP = DATA / "sample-jawiki-pages-articles.xml"
SAMPLE_LANGLINKS = DATA / "sample-jawiki-langlinks.sql"
SAMPLE_WIKIDATA = DATA / "sample-wikidata.json"


def write_compressed(path: Path, data: bytes, compress: str | None = None) -> Path:
    """Write ``data`` to ``path``, gzip- or bz2-compressed when asked."""
    if compress == "gzip":
        data = gzip.compress(data)
    elif compress == "bz2":
        data = bz2.compress(data)
    path.write_bytes(data)
    return path


def _shared(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        reason = f"{path} is absent: these tests read the real data in ../shared beside the checkout"
        if os.environ.get("LEIA_REQUIRE_SHARED") == "1":
            pytest.fail(reason + " (LEIA_REQUIRE_SHARED=1)")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def jawiki_dev_dump() -> Path:
    return _shared("data/jawiki-country-dev.xml.bz2")


@pytest.fixture(scope="session")
def jawiki_dev_jsonl() -> Path:
    return _shared("data/jawiki-country-dev.jsonl.gz")


@pytest.fixture(scope="session")
def jawiki_dev_langlinks() -> Path:
    return _shared("data/jawiki-country-dev-langlinks.sql.gz")


@pytest.fixture(scope="session")
def enwiki_sample_dump() -> Path:
    return _shared("data/enwiki-sample.xml.bz2")


@pytest.fixture(scope="session")
def tokenizer_path() -> Path:
    return _shared("tokenizers/llm-jp-v2.2-code10k-en20k-ja30k")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under LEIA_REQUIRE_SHARED=1 a skipped test fails instead."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("LEIA_REQUIRE_SHARED") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped at import (``pytest.importorskip``)."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("LEIA_REQUIRE_SHARED") == "1" and report.skipped:
        report.outcome = "failed"
