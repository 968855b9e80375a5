"""The DuckDB files leia builds (the entity table, the mention dictionary): rows appended through Arrow, and the
``meta`` of a built file read back once its tables are checked. A file is built by
:func:`leia.outputs.atomic_duckdb`."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import duckdb
import pyarrow as pa

from leia.errors import InputError

__all__ = ["Appender", "insert_arrow", "read_meta"]


def insert_arrow(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table, order: str = "") -> None:
    """Insert an Arrow table's rows into ``table`` (columns in the table's order), sorted by ``order`` if given."""
    con.register("_rows", rows)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _rows" + (f" ORDER BY {order}" if order else ""))
    finally:
        con.unregister("_rows")


class Appender:
    """Buffers rows and appends them to a DuckDB table through Arrow, a large batch at a time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema, size: int = 200_000):
        self.con, self.table, self.schema, self.size = con, table, schema, size
        self.rows: list[tuple] = []

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        columns = list(zip(*self.rows))
        batch = pa.table([pa.array(c, type=f.type) for c, f in zip(columns, self.schema)], schema=self.schema)
        insert_arrow(self.con, self.table, batch)
        self.rows = []


def read_meta(path: Path, what: str, command: str, table: str, columns: Sequence[str] = ()) -> dict[str, str]:
    """The ``meta`` rows of a DuckDB file that leia built, after checking it holds ``table`` with ``columns``;
    InputError naming ``what`` it should have been and the ``command`` that builds one."""
    if not path.is_file():
        raise InputError(f"{path}: no such {what}; build one with `{command}`")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise InputError(f"{path}: not a DuckDB {what} ({str(e).strip().splitlines()[0]})") from None
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        con.execute(f"SELECT count(*) FROM {table}").fetchone()
        found = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
    except duckdb.Error:
        raise InputError(f"{path}: not a leia {what} (one is built by `{command}`)") from None
    finally:
        con.close()
    missing = [c for c in columns if c not in found]
    if missing:
        raise InputError(f"{path}: its table {table} has no column {', '.join(missing)}; rebuild the {what} with "
                         f"`{command}`")
    return meta
