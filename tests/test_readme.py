"""The README's commands on the sample run as written: the Quick start's `leia run` in a folder that stands for
a fresh clone (the repository's data/ and nothing else), the `datasets` snippet on its output, the commands of
"Text without links", the HTML-dump extraction and the -v line; the Python names and the options of the table
of steps exist. The commands on real dumps (and the installs) are run by tests/benchmarks/check_readme.py."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def blocks(lang: str) -> list[str]:
    """The README's fenced code blocks of ``lang``, in order."""
    return re.findall(rf"^```{lang}\n(.*?)^```", README, re.S | re.M)


def block_with(lang: str, text: str) -> str:
    (found,) = [b for b in blocks(lang) if text in b]
    return found


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """``command`` run by bash (stopping at the first failure) with this environment's `leia` and `python`."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONIOENCODING": "utf-8",
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_DATASETS_CACHE": str(cwd / ".hf-cache")}
    return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=600)


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A folder standing for a fresh clone, after the Quick start's `leia run` (its install is the checkout's)."""
    folder = tmp_path_factory.mktemp("clone")
    (folder / "data").symlink_to(REPO / "data")
    quick = blocks("bash")[0]
    install, _, command = quick.strip().partition(" && ")
    assert (install, command) == ("pip install -e .", "leia run")
    result = shell(command, folder)
    assert result.returncode == 0, result.stderr
    (folder / "run.out").write_text(result.stdout, encoding="utf-8")
    (folder / "run.err").write_text(result.stderr, encoding="utf-8")
    return folder


def test_the_quick_start_prints_where_the_output_is_and_a_few_documents(clone):
    out = (clone / "run.out").read_text(encoding="utf-8").splitlines()
    assert out[:3] == ["documents:      leia-output/documents", "entity table:   leia-output/entities.duckdb",
                       "augmented:      leia-output/augmented"]
    assert sum(line.startswith("== ") for line in out) == 3
    assert sorted(p.name for p in (clone / "leia-output").iterdir()) == ["augmented", "documents", "entities.duckdb",
                                                                         "entities.duckdb.names", "pages"]


def test_the_datasets_snippet_reads_the_quick_start_output(clone):
    snippet = block_with("python", "datasets.load_dataset")
    result = shell(f"python - <<'EOF'\n{snippet}print(ds.num_rows)\nEOF", clone)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "14\n"
    assert "dataset card" not in result.stderr and "Ignoring" not in result.stderr


def test_the_commands_of_text_without_links_run_as_written(clone):
    result = shell(block_with("bash", "leia mentions build"), clone)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("== document 0 ==\n東京<translate>Tokyo</translate>から富士山<translate>Mount Fuji"
                                  "</translate>が見える。\n\n")


def test_the_html_dump_of_the_sample_extracts_as_written(clone):
    (command,) = re.findall(r"`(leia extract data/\S+ -o \S+)`", README)
    result = shell(command, clone)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("documents in html-docs\n")


def test_the_verbose_line_of_the_readme_is_what_leia_prints(clone):
    (line,) = re.findall(r"`(DEBUG leia\.steps\.extract: [^`]+)`", README.replace("\n", " "))
    result = shell("leia extract -v data/sample-jawiki-pages-articles.xml -o verbose-docs -q", clone)
    assert result.returncode == 0, result.stderr
    assert line in result.stderr.splitlines()


def _table_rows() -> list[tuple[str, str]]:
    """(command, Python) cells of the table of steps."""
    section = README.split("## The steps", 1)[1].split("\n\n", 3)[2]
    rows = []
    for line in section.splitlines()[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append((cells[0], cells[1]))
    return rows


def test_the_python_names_of_the_table_of_steps_exist():
    import importlib

    names = set()
    for _, python in _table_rows():
        names.update(re.findall(r"`(leia(?:\.\w+)+)\(", python))
        names.update(f"leia.{n}" for n in re.findall(r"`leia\.(\w+)\([^`]*\)\.\w+", python))
    assert len(names) >= 10
    for name in sorted(names):
        module, _, attribute = name.rpartition(".")
        assert hasattr(importlib.import_module(module), attribute), name


def test_the_options_of_the_table_of_steps_are_those_of_the_commands():
    from leia.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    checked = 0
    for cell, _ in _table_rows():
        for synopsis in re.findall(r"`(leia [^`]+)`", cell.replace("\\|", "|")):
            words = shlex.split(synopsis.replace("[", " ").replace("]", " ").replace("|", " "))[1:]
            sub = commands[words[0]]
            if words[0] == "mentions":
                sub = sub._subparsers._group_actions[0].choices[words[1]]
            known = {s for action in sub._actions for s in action.option_strings}
            options = {w for w in words if w.startswith("-")}
            assert options <= known, (synopsis, options - known)
            checked += len(options)
    assert checked >= 25
