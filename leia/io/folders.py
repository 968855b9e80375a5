"""Output folders of a run: opened under a lock, resumed from their finished shards when they hold the same
run, refused when they hold another, replaced only with ``--overwrite`` (which removes only the files the
old manifest lists), and left without debris when a run stops before its first shard; what a stopped run
kept and a resumed one reuses, said in one place (:func:`kept_note`, :func:`resume_note`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from leia.errors import InputError, OutputError
from leia.io.card import CARD
from leia.io.files import LOCK, hold, is_temporary, release
from leia.io.integrity import identity_change
from leia.io.manifest import MANIFEST, REMOVING, SHARD_FILE, Manifest, read_manifest_file
from leia.io.shards import check_shard

__all__ = ["open_output", "finish_output", "remove_temporaries", "kept_note", "resume_note", "check_parameters"]

log = logging.getLogger(__name__)


def _run_key(m: Manifest) -> tuple:
    return m.kind, m.parameters, m.schema, m.extra.get("split")


def _input_names(m: Manifest) -> list:
    return [(i.get("kind"), i.get("path")) for i in m.inputs]


def _changed_input(old: Manifest, new: Manifest) -> str | None:
    for before, now in zip(old.inputs, new.inputs):
        change = identity_change(before, now)
        if change:
            return f"the input {now.get('path')} is not the one this folder was written from: {change}"
    return None


def open_output(folder: str | os.PathLike, new: Manifest, overwrite: bool = False,
                inputs: tuple[str | os.PathLike, ...] = ()) -> tuple[Path, Manifest]:
    """Prepare an output folder, lock it for this run, and return the manifest to continue from.

    An empty or missing folder starts afresh; a folder holding this same run (same kind, inputs, parameters,
    schema and part) resumes from its finished shards, each checked against its checksum (a damaged one is
    redone); anything else is refused before any work starts, unless ``overwrite``, which removes the files
    the old manifest lists, and only those, after writing the new manifest. A folder that is one of
    ``inputs`` or directly holds one is always refused. The lock is held until :func:`finish_output`.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    for given in inputs:
        source = Path(given).resolve()
        if out.resolve() == source or (source.is_file() and source.parent == out.resolve()):
            raise OutputError(f"{out}: holds the input {given}; write the output to another folder")
    hold(out)
    try:
        return out, _prepare(out, new, overwrite)
    except BaseException:
        release(out, failed=True, clean_up=_remove_empty)
        raise


def finish_output(folder: str | os.PathLike, failed: bool = False) -> None:
    """End the run :func:`open_output` started in ``folder``: release its lock."""
    release(folder, failed=failed, clean_up=_remove_empty)


def _shards(manifest: Manifest, total: int | None) -> str:
    done = len(manifest.shards)
    rows = sum(s["rows"] for s in manifest.shards)
    return (f"{done} of {total} shards" if total is not None else f"{done} shard{'s' if done != 1 else ''}") + \
        f" ({rows:,} rows)"


def kept_note(out: Path, manifest: Manifest, total: int | None = None) -> str:
    """What a run that stopped before its end kept in ``out`` (``total``: the shards of the whole run, when
    known), and what rerunning it does."""
    if not manifest.shards:
        return f"nothing finished yet in {out} (no shard was complete); rerunning the same command starts again"
    return f"kept {_shards(manifest, total)} in {out}; rerun the same command to resume"


def resume_note(out: Path, manifest: Manifest, total: int | None = None) -> str | None:
    """What a run that resumes reuses of an earlier one in ``out``; None when it starts afresh."""
    if not manifest.shards:
        return None
    return f"{out}: resuming: reusing {_shards(manifest, total)} written by an earlier run"


def _remove_empty(out: Path) -> None:
    """Remove a folder that holds nothing but what a run writes before its first shard."""
    if not out.is_dir():
        return
    names = {p.name for p in out.iterdir()}
    if not names <= {LOCK, MANIFEST, CARD} | {n for n in names if is_temporary(n)}:
        return
    if MANIFEST in names:
        try:
            if read_manifest_file(out / MANIFEST).shards:
                return
        except Exception:
            return
    for name in names:
        (out / name).unlink(missing_ok=True)
    try:
        out.rmdir()
    except OSError:
        pass


def _prepare(out: Path, new: Manifest, overwrite: bool) -> Manifest:
    manifest_path = out / MANIFEST
    if not manifest_path.exists():
        listed = sorted(p.name for p in out.iterdir() if SHARD_FILE.match(p.name))
        if listed:
            raise OutputError(f"{out}: holds shard files without a manifest ({listed[0]}, ...), not a folder leia "
                              "can resume or replace; remove them or choose another folder")
        _check_card_is_ours(out)
        remove_temporaries(out)
        return new
    try:
        old = read_manifest_file(manifest_path)
    except InputError as e:
        raise OutputError(f"{e}; choose another folder (leia replaces only a folder whose manifest it can "
                          "read)") from None
    _check_card_is_ours(out)
    remove_temporaries(out)
    _finish_removing(out, old)
    if not overwrite:
        if _run_key(old) != _run_key(new) or _input_names(old) != _input_names(new):
            raise _another_run(out, old)
        if old.inputs != new.inputs:
            change = _changed_input(old, new) or "its description in the manifest differs"
            raise OutputError(f"{out}: {change}; rerun with the original input, or pass --overwrite to start "
                              "again")
        new.shards = []
        for shard in old.shards:
            problem = check_shard(out, shard)
            if problem is None:
                new.shards.append(shard)
            elif problem != "is missing":
                log.warning("%s: shard %s %s; it is written again", out, shard["file"], problem)
                (out / shard["file"]).unlink()
        return new
    # --overwrite: first a manifest of the new run that still names the old files, then remove them.
    stale = [s["file"] for s in old.shards if (out / s["file"]).exists()]
    new.shards = []
    if stale:
        new.extra[REMOVING] = stale
        new.save(out)
        for name in stale:
            (out / name).unlink(missing_ok=True)
        del new.extra[REMOVING]
    new.save(out)
    return new


def _another_run(out: Path, old: Manifest) -> OutputError:
    return OutputError(f"{out}: holds {old.kind} shards of another run (different inputs, parameters, schema or "
                       "part of a split); choose another folder or pass --overwrite")


def check_parameters(folder: str | os.PathLike, kind: str, parameters: dict) -> None:
    """For a run that opens ``folder`` only after other work: refuse at once (as :func:`open_output` would,
    without ``--overwrite``) a folder holding ``kind`` shards written with other values of ``parameters``."""
    out = Path(folder)
    if not (out / MANIFEST).is_file():
        return
    try:
        old = read_manifest_file(out / MANIFEST)
    except InputError:
        return  # open_output says what is wrong with it
    if old.kind != kind or any(old.parameters.get(k, v) != v for k, v in parameters.items()):
        raise _another_run(out, old)


def _finish_removing(out: Path, old: Manifest) -> None:
    """Complete the removal an interrupted --overwrite started."""
    stale = old.extra.get(REMOVING)
    if stale:
        for name in stale:
            (out / name).unlink(missing_ok=True)
        del old.extra[REMOVING]
        old.save(out)


def _check_card_is_ours(out: Path) -> None:
    from leia.io.card import is_leia_card

    card = out / CARD
    if card.exists() and not is_leia_card(card):
        raise OutputError(f"{card}: a README.md leia did not write; leia writes the folder's dataset card there, "
                          "so move it away or choose another folder")


def remove_temporaries(out: Path) -> None:
    """Files that runs left under leia's temporary names (shards, manifest, card). Only the holder of the
    folder's lock calls this, so none of them is being written."""
    for p in out.iterdir():
        if p.name != LOCK and is_temporary(p.name):
            p.unlink(missing_ok=True)


