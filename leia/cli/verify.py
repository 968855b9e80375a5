"""``leia verify``: check shard folders (manifest, checksums, rows) and the DuckDB files leia builds, printing
what is wrong with each; exit status 1 when anything is."""

from __future__ import annotations

import argparse
from pathlib import Path

from leia.cli.options import add_command

__all__ = ["add_parser", "run", "duckdb_problems"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = add_command(commands, "verify", help="check shard folders (manifest, checksums, rows) or DuckDB files; say "
                                           "what is wrong")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a folder of shards, an entity table or a mention "
                                                            "dictionary")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leia.io.shards import verify_folder

    status = 0
    for target in args.paths:
        path = Path(target)
        problems = duckdb_problems(path) if path.is_file() else verify_folder(path)
        if problems:
            status = 1
            for line in problems:
                print(line)
        else:
            print(f"{path}: ok")
    return status


def duckdb_problems(path: Path) -> list[str]:
    """What is wrong with a DuckDB file leia built (an entity table or a mention dictionary)."""
    import duckdb

    problems = []
    if Path(str(path) + ".wal").exists():
        problems.append(f"{path}.wal: a write-ahead log beside the table (its build did not finish cleanly)")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        return problems + [f"{path}: not a DuckDB file that opens ({_first_line(e)})"]
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "meta" not in tables or not ({"entities", "candidates"} & tables):
            problems.append(f"{path}: not an entity table nor a mention dictionary built by leia")
        else:
            for table in sorted(tables):
                con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    except duckdb.Error as e:
        problems.append(f"{path}: unreadable ({_first_line(e)})")
    finally:
        con.close()
    if not problems:
        problems += _companion_problems(path, meta, tables)
    return problems


def _companion_problems(path: Path, meta: dict, tables: set) -> list[str]:
    """What is wrong with the file mapped beside the DuckDB file (an entity table's names, a mention
    dictionary's surfaces)."""
    from leia.entities.lookup import NAMES
    from leia.io.mapped import companion_problems
    from leia.mentions.surfaces import SURFACES

    companion = NAMES if "entities" in tables else SURFACES
    return companion_problems(path, meta, companion)


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0]
