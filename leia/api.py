"""The public API: each ``leia`` command as a Python function with the same parameters. Each builds its
step (leia.steps) and picks the executor that runs it (leia.execute: this machine's processes, a Ray
cluster, a part of a split run): ``extract`` (dump -> documents), ``augment`` (documents, a dump or a corpus
-> augmented shards), ``run`` (dump -> documents -> entities -> augmented shards in one go),
``augment_dataset`` (a ``datasets.Dataset`` in memory) and ``tokenize`` (augmented shards -> packed blocks of
token ids, ``leia[train]``)."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from leia.augmenter import AugmentConfig, augment_batch
from leia.entities import EntityTable, build_entities
from leia.entities.build import check_entities
from leia.errors import ConfigError, OutputError, check_counts
from leia.execute import check_engine
from leia.execute.parts import Part
from leia.io.files import make_folder
from leia.io.folders import check_parameters
from leia.io.manifest import Manifest
from leia.schemas import DOCUMENTS
from leia.steps.extract import ExtractOptions, ExtractStep

__all__ = ["extract", "augment", "detect_mentions", "augment_dataset", "run", "tokenize", "SAMPLE_DUMP",
           "SAMPLE_LANGLINKS"]


_DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_DUMP = _DATA / "sample-jawiki-pages-articles.xml"
SAMPLE_LANGLINKS = _DATA / "sample-jawiki-langlinks.sql"


def _execute(step, output: str | os.PathLike, *, engine: str, part: Part, workers: int | None,
             address: str | None, overwrite: bool, progress: bool) -> Manifest:
    """Run ``step`` on the executor ``engine`` names."""
    if check_engine(engine, part) == "ray":
        from leia.execute.ray import run_on_ray

        return run_on_ray(step, output, workers=workers, address=address, overwrite=overwrite, progress=progress)
    from leia.execute.local import run_step

    return run_step(step, output, workers=1 if workers is None else workers, overwrite=overwrite,
                    progress=progress, part=part)


def extract(
    dump: str | os.PathLike,
    output: str | os.PathLike,
    *,
    workers: int | None = 1,
    shard_size: int = 20_000,
    batch_size: int = 64,
    overwrite: bool = False,
    progress: bool = True,
    engine: str = "local",
    address: str | None = None,
    num_parts: int = 1,
    part_index: int = 0,
    skip_disambiguation: bool = True,
    drop_navigation_sections: bool = True,
    variant: str | None = None,
    pages: str | os.PathLike | None = None,
) -> Manifest:
    """Convert every article of ``dump`` into document shards under ``output`` and return the manifest.

    Disambiguation pages are skipped and navigation sections (see also, references, external links ...)
    cut unless ``skip_disambiguation`` / ``drop_navigation_sections`` is False; both are counted in the
    manifest. ``variant`` is the language variant ``-{...}-`` markup shows on zh wikis (default zh-hans).
    With ``pages`` (a folder), the page table the entity table is built from (titles, redirects,
    {{仮リンク}} names) is written there in the same pass over the dump (XML dumps, local engine).

    A rerun on the same dump and parameters continues where an interrupted run stopped, without redoing
    finished shards. The engine (``"local"`` processes or ``"ray"``, on the cluster at ``address``) does not
    change a byte of the output; with ``num_parts`` > 1 only part ``part_index`` of the shards is written
    (see :func:`leia.execute.parts.merge_manifests`).
    """
    from leia.wiki.htmldump import is_html_dump

    options = ExtractOptions(skip_disambiguation, drop_navigation_sections, variant)
    part = Part(num_parts, part_index)
    ray = check_engine(engine, part) == "ray"
    if ray and is_html_dump(dump):
        raise ConfigError(f"{dump}: the ray engine reads XML dumps; extract HTML dumps with --engine local")
    if ray and pages is not None:
        raise ConfigError("the page table (--pages) is gathered by the local engine; build the entity table "
                          "from the dump with `leia entities --dump` after a ray extraction")
    step = ExtractStep(Path(dump).absolute() if ray else dump, shard_size=shard_size, batch_size=batch_size,
                       options=options, pages=pages)
    return _execute(step, output, engine=engine, part=part, workers=workers, address=address, overwrite=overwrite,
                    progress=progress)


def augment(
    input: str | os.PathLike,
    entities: str | os.PathLike,
    output: str | os.PathLike,
    *,
    prob: float = 0.5,
    strategy: str = "right",
    seed: int = 0,
    workers: int | None = 1,
    shard_size: int = 20_000,
    batch_size: int = 256,
    overwrite: bool = False,
    progress: bool = True,
    engine: str = "local",
    address: str | None = None,
    num_parts: int = 1,
    part_index: int = 0,
    mentions: str | os.PathLike | None = None,
    repeat_mentions: bool = False,
    nearby: int = AugmentConfig.nearby,
    max_spans_per_entity: int | None = AugmentConfig.max_spans_per_entity,
) -> Manifest:
    """Write augmented shards of ``input`` to ``output`` and return the manifest.

    The same input, entity table, parameters and seed give byte-identical shards whatever ``workers``, the
    engine (``"local"`` processes or ``"ray"``, on the cluster at ``address``), and however the run was
    interrupted and resumed. With ``num_parts`` > 1 only part ``part_index`` of the shards is written;
    :func:`leia.execute.parts.merge_manifests` assembles the parts into what one run writes. With ``mentions``
    (a dictionary built by ``leia mentions build``), documents without anchors get the mentions detected in
    their text (:mod:`leia.mentions`) before the spans are inserted. With ``repeat_mentions``, the later
    occurrences of what each document links (or, in plain text, what was detected) are mentions too
    (:class:`leia.mentions.Propagator`, source ``repeat``). ``nearby`` and ``max_spans_per_entity`` are the
    span controls of :class:`leia.augmenter.AugmentConfig`.
    """
    from leia.steps.augment import AugmentStep
    from leia.steps.detect import mention_stages
    from leia.steps.sources import open_source

    part = Part(num_parts, part_index)
    config = AugmentConfig(prob=prob, strategy=strategy, seed=seed, nearby=nearby,
                           max_spans_per_entity=max_spans_per_entity)
    check_counts(shard_size=shard_size, batch_size=batch_size)
    ray = check_engine(engine, part) == "ray"
    if ray and (mentions is not None or repeat_mentions):
        raise ConfigError("mention detection (--mentions) and --repeat-mentions run on the local engine only")
    where = (lambda p: Path(p).absolute()) if ray else (lambda p: p)
    source = open_source(where(input), shard_size=shard_size, batch_size=batch_size)
    table = EntityTable(where(entities))
    _check_wikis(source, input, entities, table, mentions)
    step = AugmentStep(source, table, config, input)
    step.add_stages(mention_stages(mentions, repeat_mentions))
    return _execute(step, output, engine=engine, part=part, workers=workers, address=address, overwrite=overwrite,
                    progress=progress)


def detect_mentions(
    input: str | os.PathLike,
    output: str | os.PathLike,
    *,
    mentions: str | os.PathLike | None = None,
    repeat_mentions: bool = False,
    entities: str | os.PathLike | None = None,
    workers: int = 1,
    shard_size: int = 20_000,
    batch_size: int = 256,
    overwrite: bool = False,
    progress: bool = True,
    num_parts: int = 1,
    part_index: int = 0,
) -> Manifest:
    """Write document shards of ``input`` (a documents folder, a dump, a corpus) to ``output`` whose anchors
    include the mentions the dictionary ``mentions`` detects in plain text and, with ``repeat_mentions``, the
    later occurrences of what each document links; ``leia augment`` reads the folder like extracted
    documents. ``entities`` (optional) is the entity table the dictionary must share its wiki with."""
    from leia.steps.detect import DetectStep, mention_stages
    from leia.steps.sources import open_source

    part = Part(num_parts, part_index)
    check_counts(shard_size=shard_size, batch_size=batch_size)
    source = open_source(input, shard_size=shard_size, batch_size=batch_size)
    table = EntityTable(entities) if entities is not None else None
    _check_wikis(source, input, entities, table, mentions)
    step = DetectStep(source, mention_stages(mentions, repeat_mentions), input)
    return _execute(step, output, engine="local", part=part, workers=workers, address=None, overwrite=overwrite,
                    progress=progress)


def _check_wikis(source, input, entities, table: EntityTable | None, mentions) -> None:
    """The input, the entity table and the mention dictionary of one wiki (leia.io.provenance), read from
    their manifests, headers and ``meta`` before any work."""
    from leia.io.provenance import Named, check_provenance, named

    check_provenance([Named(source.kind, str(input), (source.wiki or {}).get("dbname", "")),
                      Named("entities", str(entities), table.dbname) if table is not None else None,
                      named("mentions", mentions)], lang=table.lang if table is not None else None)


def augment_dataset(dataset, entities: str | os.PathLike | EntityTable, *, prob: float = 0.5,
                    strategy: str = "right", seed: int = 0, nearby: int = AugmentConfig.nearby,
                    max_spans_per_entity: int | None = AugmentConfig.max_spans_per_entity, **map_kwargs):
    """Augment a ``datasets.Dataset`` with ``text`` and ``anchors`` columns in memory (``Dataset.map``)."""
    table = entities if isinstance(entities, EntityTable) else EntityTable(entities)
    config = AugmentConfig(prob=prob, strategy=strategy, seed=seed, nearby=nearby,
                           max_spans_per_entity=max_spans_per_entity)

    def fn(batch: dict) -> dict:
        n = len(batch["text"])
        ids = batch.get("id") or [None] * n
        rb = pa.RecordBatch.from_pydict({
            "id": pa.array([i if i is not None else k for k, i in enumerate(ids)], pa.int64()),
            "title": pa.array(batch.get("title") or [""] * n, pa.string()),
            "text": pa.array(batch["text"], pa.string()),
            "anchors": pa.array(batch["anchors"], DOCUMENTS.field("anchors").type),
        })
        out, _ = augment_batch(rb, table.lookup_with_source, config)
        return {"text": out.column("text").to_pylist(), "mentions": out.column("mentions").to_pylist()}

    return dataset.map(fn, batched=True, **map_kwargs)


def run(
    dump: str | os.PathLike | None = None,
    langlinks: str | os.PathLike | None = None,
    output: str | os.PathLike = "leia-output",
    *,
    wikidata: str | os.PathLike | None = None,
    prob: float = 0.5,
    strategy: str = "right",
    seed: int = 0,
    workers: int = 1,
    overwrite: bool = False,
    progress: bool = True,
    skip_disambiguation: bool = True,
    drop_navigation_sections: bool = True,
    variant: str | None = None,
) -> dict[str, Path]:
    """Extract, build the entity table and augment in one go; with no dump, on the sample in data/.
    The dump is read once: extraction writes the page table (``OUTPUT/pages``: titles, redirects,
    {{仮リンク}} names) the entity table is built from. Returns the paths of what was built (``documents``,
    ``entities``, ``augmented``). The filter and variant options are :func:`leia.extract`'s."""
    if dump is None:
        if langlinks is not None:
            raise ConfigError("--langlinks without --dump: give the dump the langlinks belong to")
        if not SAMPLE_DUMP.is_file():
            raise ConfigError(f"the sample dump is not at {SAMPLE_DUMP}: it comes with a clone of the repository "
                              "(pip install -e . there), or give a dump with --dump")
        dump, langlinks = SAMPLE_DUMP, SAMPLE_LANGLINKS
    out = Path(output)
    check_counts(workers=workers)
    created = make_folder(out, "; give a folder for the three outputs")
    paths = {"documents": out / "documents", "entities": out / "entities.duckdb", "augmented": out / "augmented"}
    from leia.wiki.htmldump import is_html_dump

    # One read of an XML dump: extraction writes the page table the entity table is built from.
    pages = None if is_html_dump(dump) else out / "pages"
    build = overwrite or not paths["entities"].exists()
    try:
        # Before any work: what the entity table will be built from (or was), and whether the inputs belong
        # together, from their headers.
        if build:
            check_entities(paths["entities"], dump=dump, langlinks=langlinks, wikidata=wikidata, overwrite=overwrite)
        else:
            _check_entity_inputs(paths["entities"], dump=dump, langlinks=langlinks, wikidata=wikidata)
        if not overwrite:
            check_parameters(paths["augmented"], "augmented", {
                "prob": prob, "strategy": strategy, "seed": seed, "nearby": AugmentConfig.nearby,
                "max_spans_per_entity": AugmentConfig.max_spans_per_entity})
        extract(dump, paths["documents"], workers=workers, overwrite=overwrite, progress=progress,
                skip_disambiguation=skip_disambiguation, drop_navigation_sections=drop_navigation_sections,
                variant=variant, pages=pages)
        if build:
            build_entities(paths["entities"], dump=dump, pages=pages, langlinks=langlinks, wikidata=wikidata,
                           overwrite=overwrite, progress=progress, warn=False)  # warned above, before extracting
        augment(paths["documents"], paths["entities"], paths["augmented"], prob=prob, strategy=strategy,
                seed=seed, workers=workers, overwrite=overwrite, progress=progress)
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    return paths


def tokenize(
    data: str | os.PathLike,
    output: str | os.PathLike,
    tokenizer,
    *,
    block_size: int,
    epoch: int = 0,
    prob: float | None = None,
    strategy: str = "right",
    seed: int = 0,
    cross_document_attention: bool = False,
    workers: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> Manifest:
    """Augmented shards (or documents) -> the packed blocks of epoch ``epoch``: shards of ``input_ids``,
    ``labels`` (the markers masked) and ``position_ids``, the blocks :class:`leia.training.PackedDataset` yields
    for the same settings, seed and epoch. ``tokenizer`` is a tokenizer or where to load one (the markers are
    added to it); ``prob`` redraws the spans as in training (None: the stored draw)."""
    from leia.errors import check_counts
    from leia.steps.pack import PackStep
    from leia.training.loading import load_tokenizer
    from leia.training.packing import PackedDataset
    from leia.training.tokens import add_leia_tokens

    from leia.io.manifest import read_manifest

    check_counts(workers=workers, block_size=block_size)
    check_counts(at_least=0, epoch=epoch)
    read_manifest(data)  # the input first: a folder that is not there is named before any tokenizer is loaded
    if isinstance(tokenizer, (str, os.PathLike)):
        tokenizer = load_tokenizer(tokenizer)
    else:
        add_leia_tokens(tokenizer)
    dataset = PackedDataset(data, tokenizer, block_size, prob=prob, strategy=strategy, seed=seed,
                            cross_document_attention=cross_document_attention)
    return _execute(PackStep(dataset, epoch), output, engine="local", part=Part(), workers=workers, address=None,
                    overwrite=overwrite, progress=progress)


def _check_entity_inputs(path: Path, **files: str | os.PathLike | None) -> None:
    """Refuse to reuse an entity table that was built from other files than this run's."""
    import json

    from leia.entities import file_input

    from leia.io.integrity import identity_change

    wanted = {(i["kind"], i["path"]): i for i in (file_input(f, kind) for kind, f in files.items() if f is not None)}
    recorded = {(i.get("kind"), i.get("path")): i for i in json.loads(EntityTable(path).meta.get("inputs", "[]"))}
    if set(wanted) != set(recorded):
        raise OutputError(f"{path}: an entity table built from other inputs; choose another folder or pass "
                          "--overwrite")
    for key, now in wanted.items():
        change = identity_change(recorded[key], now)
        if change:
            raise OutputError(f"{path}: built from another {key[1]} ({change}); pass --overwrite to rebuild it")


