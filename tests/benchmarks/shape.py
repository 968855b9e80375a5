"""The package's size figures: the largest modules by line count and every function over 60 lines (read
from the AST: a function's lines run from its ``def`` or first decorator to its last line).

    python tests/benchmarks/shape.py [--top 5] [--limit 60]
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "leia"


def long_functions(path: Path, limit: int) -> list[tuple[int, str, int]]:
    """``(lines, qualified name, first line)`` of each function in ``path`` longer than ``limit`` lines."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                    lines = child.end_lineno - first + 1
                    if lines > limit:
                        found.append((lines, name, first))
                visit(child, name + ".")

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=5, help="how many of the largest modules to list")
    parser.add_argument("--limit", type=int, default=60, help="list functions longer than this many lines")
    args = parser.parse_args()
    modules = sorted(PACKAGE.rglob("*.py"))
    sizes = sorted(((len(p.read_text(encoding="utf-8").splitlines()), p) for p in modules), reverse=True)
    print(f"{len(modules)} modules, {sum(n for n, _ in sizes)} lines")
    print(f"largest modules (target: under 450 lines; {sum(n >= 450 for n, _ in sizes)} at 450 or more):")
    for n, p in sizes[:args.top]:
        print(f"  {n:5d}  {p.relative_to(PACKAGE.parent)}")
    found = sorted(((lines, f"{p.relative_to(PACKAGE.parent)}:{first} {name}")
                    for p in modules for lines, name, first in long_functions(p, args.limit)), reverse=True)
    print(f"functions over {args.limit} lines: {len(found)}")
    for lines, where in found:
        print(f"  {lines:5d}  {where}")


if __name__ == "__main__":
    main()
