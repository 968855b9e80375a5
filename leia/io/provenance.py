"""What a built artefact records of what it was built from: the manifest record of an input file, and the
refusal to pair material of two wikis (documents, an entity table, a mention dictionary)."""

from __future__ import annotations

import os
from pathlib import Path

from leia.errors import ConfigError

__all__ = ["file_input", "check_same_wiki"]


def file_input(path: str | os.PathLike, kind: str) -> dict:
    """The manifest record of an input file of kind ``kind``: its name and identity."""
    from leia.io.integrity import file_identity, regular_file

    p = Path(path)
    regular_file(p, kind)
    return {"kind": kind, "path": p.name, **file_identity(p)}


def check_same_wiki(used: str, what: str, built: str, artefact: str, fix: str) -> None:
    """ConfigError when ``what`` (material of the wiki ``used``) is paired with ``artefact``, built from the
    wiki ``built``: both name their wiki (database names such as "jawiki") and the names differ. ``fix`` says
    what to do instead."""
    if used and built and used != built:
        raise ConfigError(f"{what} comes from {used} but {artefact} was built from {built}; {fix}")
