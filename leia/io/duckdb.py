"""The DuckDB files leia builds (the entity table, the mention dictionary): rows appended through Arrow, and the
``meta`` of a built file read back once its tables are checked, and the one way a file is built
(:func:`atomic_duckdb`: under a lock, published whole or not at all)."""

from __future__ import annotations

import glob
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import duckdb
import pyarrow as pa

from leia.errors import InputError, OutputError
from leia.io.files import fsync_folder, held, is_temporary, temp_name, write_error
from leia.io.mapped import Companion, companion_path, table_key

__all__ = ["Appender", "insert_arrow", "read_meta", "built_by_leia", "check_output_file", "atomic_duckdb"]


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


def built_by_leia(path: Path) -> bool:
    """Whether ``path`` is a DuckDB file leia built: one that opens with a ``meta`` table recording the leia
    version that wrote it."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except (duckdb.Error, OSError):
        return False
    try:
        return con.execute("SELECT count(*) FROM meta WHERE key = 'leia_version'").fetchone()[0] > 0
    except duckdb.Error:
        return False
    finally:
        con.close()


def check_output_file(output: str | os.PathLike, overwrite: bool, what: str,
                      inputs: Sequence[str | os.PathLike | None] = ()) -> None:
    """Refuse an output path a DuckDB file (the ``what``, "entity table") may not be written to, by the rule
    :func:`leia.io.files.replaceable` states: a folder, an input, an existing file leia did not build (with or
    without ``overwrite``), or one it built without ``overwrite``."""
    from leia.io.files import replaceable

    out = Path(output)
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give the path of the {what} to write (a file)")
    for given in inputs:
        if given is not None and out.resolve() == Path(given).resolve():
            raise OutputError(f"{out}: is an input; write the {what} to another file")
    replaceable(out, overwrite, built_by_leia)


@contextmanager
def atomic_duckdb(output: str | os.PathLike, *, overwrite: bool = False,
                  companions: Sequence[Companion] = ()) -> Iterator[Any]:
    """Build a DuckDB file: yields a connection to a temporary file that becomes ``output`` when the block
    ends without error, checkpointed (no write-ahead log left behind) and checked to open read-only.

    ``companions`` are the mapped files built from its tables when the block ends (leia.io.mapped), each
    recorded in its ``meta`` by digest and published just before it: both or neither.
    ``output`` is locked meanwhile; an existing file is replaced only with ``overwrite``, and only when leia
    built it (:func:`check_output_file`). A failed write (a full disk, a read-only folder) raises OutputError
    naming the file, and leaves nothing behind."""
    out = Path(output)
    with held(out, folder=False):
        check_output_file(out, overwrite, "DuckDB file")
        for name in [out.name] + [companion_path(out, c).name for c in companions]:
            for stale in out.parent.glob(f".{glob.escape(name)}.tmp-*"):  # of runs that were killed
                if is_temporary(stale.name):
                    stale.unlink(missing_ok=True)
        tmp = out.with_name(temp_name(out.name))
        wal = tmp.with_name(tmp.name + ".wal")
        sidecars = [(companion_path(out, c).with_name(temp_name(companion_path(out, c).name)),
                     companion_path(out, c), c) for c in companions]

        def discard() -> None:
            tmp.unlink(missing_ok=True)
            wal.unlink(missing_ok=True)
            for sidecar, _, _ in sidecars:
                sidecar.unlink(missing_ok=True)

        try:
            con = duckdb.connect(str(tmp))
        except (duckdb.IOException, OSError) as e:
            discard()
            raise OutputError(f"{out}: cannot write ({e})") from None
        try:
            yield con
            if sidecars:
                meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
                for sidecar, _, companion in sidecars:
                    digest = companion.build(con, sidecar, table_key(meta, companion))
                    con.execute("INSERT INTO meta VALUES (?, ?)", [companion.key, companion.record(digest)])
            con.execute("CHECKPOINT")
            con.close()
            if wal.exists():
                raise OutputError(f"{out}: DuckDB left a write-ahead log behind; the table was not published")
            check = duckdb.connect(str(tmp), read_only=True)
            check.execute("SELECT count(*) FROM information_schema.tables").fetchone()
            check.close()
            Path(str(out) + ".wal").unlink(missing_ok=True)  # never let an old log replay onto the new file
            for sidecar, final, _ in sidecars:  # an old table beside a new companion refuses it (its digest)
                os.replace(sidecar, final)
            os.replace(tmp, out)
            fsync_folder(out.parent)
        except BaseException as e:
            try:
                con.close()
            except Exception:
                pass
            discard()
            if isinstance(e, OSError):
                raise write_error(out, e) from None
            if isinstance(e, duckdb.InterruptException):  # Ctrl-C inside a query
                raise KeyboardInterrupt from None
            if isinstance(e, duckdb.Error) and _is_space_error(e):
                raise OutputError(f"{out}: cannot write (no space left on the device: {_first_line(e)}); free "
                                  "some space and rerun") from None
            if isinstance(e, duckdb.IOException):
                raise OutputError(f"{out}: cannot write ({_first_line(e)})") from None
            raise


def _is_space_error(e: Exception) -> bool:
    text = str(e).lower()
    return any(s in text for s in ("no space left", "file too large", "disk full", "disk quota"))


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__

