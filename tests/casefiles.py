"""The reader of the data-driven case files under tests/cases/ (format in tests/cases/wikitext/README.md): blocks
separated by a ``---`` line, each with ``key: value`` headers, then an ``input:``, a ``text:`` and optionally an
``anchors:`` section (one ``surface => target`` or ``surface => target @ English`` per line)."""

from __future__ import annotations

from pathlib import Path

import pytest


def read_cases(folder: Path, headers: tuple[str, ...], **defaults: str) -> list[dict]:
    """Every case of ``folder/*.case`` as a dict: the ``defaults``, the file's name, the ``headers`` given,
    ``input`` and ``text`` as strings and ``anchors`` as ``(surface, target, english or None)`` tuples."""
    starts = tuple(f"{header}: " for header in headers)
    cases = []
    for path in sorted(folder.glob("*.case")):
        for block in path.read_text(encoding="utf-8").split("\n---\n"):
            case: dict = {**defaults, "file": path.name}
            section = None
            sections: dict[str, list[str]] = {"input": [], "text": [], "anchors": []}
            for line in block.strip("\n").split("\n"):
                if section is None and line.startswith(starts):
                    key, _, value = line.partition(": ")
                    case[key] = value.strip()
                elif line in ("input:", "text:", "anchors:"):
                    section = line[:-1]
                else:
                    sections[section].append(line)
            case["input"] = "\n".join(sections["input"])
            case["text"] = "\n".join(sections["text"])
            case["anchors"] = [_anchor(line) for line in sections["anchors"] if line.strip()]
            cases.append(case)
    return cases


def _anchor(line: str) -> tuple[str, str, str | None]:
    surface, _, rest = line.partition(" => ")
    target, _, english = rest.partition(" @ ")
    return surface, target, english or None


def names_unique(cases: list[dict]) -> int:
    """How many cases there are, once their names are checked to be unique (AssertionError if not)."""
    names = [case["name"] for case in cases]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)
    return len(names)


def each_case(cases: list[dict]):
    """``pytest.mark.parametrize`` of a test's ``case`` argument over ``cases``, each named by its name."""
    return pytest.mark.parametrize("case", cases, ids=[case["name"] for case in cases])
