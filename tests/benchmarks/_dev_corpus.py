"""The dev articles augmented the way a user builds them: leia extract on the dev dump, leia entities with the
dev langlinks, leia augment (prob 1.0 unless told otherwise), into a temporary folder."""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DUMP = SHARED / "data" / "jawiki-country-dev.xml.bz2"
LANGLINKS = SHARED / "data" / "jawiki-country-dev-langlinks.sql.gz"
ENWIKI = SHARED / "data" / "enwiki-sample.xml.bz2"
TOKENIZER = SHARED / "tokenizers" / "llm-jp-v2.2-code10k-en20k-ja30k"


def build(folder: Path, prob: float = 1.0, batch_size: int = 256) -> Path:
    """Write documents, entities.duckdb and augmented/ under ``folder``; return the augmented folder."""
    from leia.entities import build_entities
    from leia.api import extract
    from leia.api import augment

    extract(DUMP, folder / "documents", progress=False)
    build_entities(folder / "entities.duckdb", dump=DUMP, langlinks=LANGLINKS, progress=False)
    augment(folder / "documents", folder / "entities.duckdb", folder / "augmented", prob=prob,
            batch_size=batch_size, progress=False)
    return folder / "augmented"
