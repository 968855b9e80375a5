"""The public API: each ``leia`` command as a Python function with the same parameters, made from the
command's settings (:mod:`leia.commands`: one dataclass each, whose fields are both the command's options and
the function's parameters, with the same names and defaults). Each builds its step (leia.steps) and picks the
executor that runs it (leia.execute: this machine's processes, a Ray cluster, a part of a split run):
``extract`` (dump -> documents), ``augment`` (documents, a dump or a corpus -> augmented shards),
``detect_mentions`` (-> documents with the mentions a dictionary finds), ``run`` (dump -> documents ->
entities -> augmented shards in one go), ``augment_dataset`` (a ``datasets.Dataset`` in memory) and
``tokenize`` (augmented shards -> packed blocks of token ids, ``leia[train]``)."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from leia.augmenter import AugmentConfig, augment_batch
from leia.commands import (AugmentSettings, DetectSettings, EntitiesSettings, ExtractSettings, PageFilters,
                           RunSettings, SpanControls, TokenizeSettings)
from leia.entities import EntityTable
from leia.entities.build import build_entity_table, check_entities
from leia.errors import ConfigError, OutputError, check_counts
from leia.execute import check_engine
from leia.execute.parts import Part
from leia.io.files import make_folder
from leia.io.folders import check_parameters
from leia.io.manifest import Manifest
from leia.schemas import DOCUMENTS
from leia.settings import takes, values
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


@takes(ExtractSettings)
def extract(settings: ExtractSettings) -> Manifest:
    """Convert every article of ``dump`` into document shards under ``output`` and return the manifest.

    Disambiguation pages are skipped and navigation sections (see also, references, external links ...)
    cut unless ``skip_disambiguation`` / ``drop_navigation_sections`` is False; both are counted in the
    manifest. ``variant`` is the language variant ``-{...}-`` markup shows on zh wikis (default zh-hans).
    With ``pages`` (a folder), the page table the entity table is built from (titles, redirects,
    {{仮リンク}} names, and each article's Wikidata item from an HTML dump) is written there in the same pass
    over the dump. ``batch_size`` articles are converted at a time by a worker.

    A rerun on the same dump and parameters continues where an interrupted run stopped, without redoing
    finished shards. The engine (``"local"`` processes or ``"ray"``, on the cluster at ``address``) does not
    change a byte of the output; ``workers`` is 1 when not given, or one per CPU of the Ray cluster. With
    ``num_parts`` > 1 only part ``part_index`` of the shards is written (see
    :func:`leia.execute.parts.merge_manifests`). Each parameter is the option of ``leia extract`` of the same
    name (:class:`leia.commands.ExtractSettings`).
    """
    s = settings
    options = ExtractOptions(**values(s, PageFilters))
    part = Part(s.num_parts, s.part_index)
    where = (lambda p: Path(p).absolute()) if check_engine(s.engine, part) == "ray" else (lambda p: p)
    step = ExtractStep(where(s.dump), shard_size=s.shard_size, batch_size=s.batch_size, options=options,
                       pages=None if s.pages is None else where(s.pages))
    return _execute(step, s.output, engine=s.engine, part=part, workers=s.workers, address=s.address,
                    overwrite=s.overwrite, progress=s.progress)


@takes(AugmentSettings)
def augment(settings: AugmentSettings) -> Manifest:
    """Write augmented shards of ``input`` to ``output`` and return the manifest.

    The same input, entity table, parameters and seed give byte-identical shards whatever ``workers``, the
    engine (``"local"`` processes or ``"ray"``, on the cluster at ``address``), and however the run was
    interrupted and resumed. With ``num_parts`` > 1 only part ``part_index`` of the shards is written;
    :func:`leia.execute.parts.merge_manifests` assembles the parts into what one run writes. With ``mentions``
    (a dictionary built by ``leia mentions build``), documents without anchors get the mentions detected in
    their text (:mod:`leia.mentions`) before the spans are inserted. With ``repeat_mentions``, the later
    occurrences of what each document links (or, in plain text, what was detected) are mentions too
    (:class:`leia.mentions.Propagator`, source ``repeat``). ``nearby`` and ``max_spans_per_entity`` are the
    span controls of :class:`leia.commands.SpanControls`. Each parameter is the option of ``leia augment`` of
    the same name (:class:`leia.commands.AugmentSettings`).
    """
    from leia.steps.augment import AugmentStep
    from leia.steps.detect import mention_stages
    from leia.steps.sources import open_source

    s = settings
    part = Part(s.num_parts, s.part_index)
    config = AugmentConfig(**values(s, SpanControls))
    check_counts(shard_size=s.shard_size, batch_size=s.batch_size)
    ray = check_engine(s.engine, part) == "ray"
    if ray and (s.mentions is not None or s.repeat_mentions):
        raise ConfigError("mention detection (--mentions) and --repeat-mentions run on the local engine only")
    where = (lambda p: Path(p).absolute()) if ray else (lambda p: p)
    source = open_source(where(s.input), shard_size=s.shard_size, batch_size=s.batch_size)
    table = EntityTable(where(s.entities))
    _check_wikis(source, s.input, s.entities, table, s.mentions)
    step = AugmentStep(source, table, config, s.input)
    step.add_stages(mention_stages(s.mentions, s.repeat_mentions))
    return _execute(step, s.output, engine=s.engine, part=part, workers=s.workers, address=s.address,
                    overwrite=s.overwrite, progress=s.progress)


@takes(DetectSettings)
def detect_mentions(settings: DetectSettings) -> Manifest:
    """Write document shards of ``input`` (a documents folder, a dump, a corpus) to ``output`` whose anchors
    include the mentions the dictionary ``mentions`` detects in plain text and, with ``repeat_mentions``, the
    later occurrences of what each document links; ``leia augment`` reads the folder like extracted
    documents. ``entities`` (optional) is the entity table the dictionary must share its wiki with. Each
    parameter is the option of ``leia mentions detect`` of the same name
    (:class:`leia.commands.DetectSettings`)."""
    from leia.steps.detect import DetectStep, mention_stages
    from leia.steps.sources import open_source

    s = settings
    part = Part(s.num_parts, s.part_index)
    check_counts(shard_size=s.shard_size, batch_size=s.batch_size)
    source = open_source(s.input, shard_size=s.shard_size, batch_size=s.batch_size)
    table = EntityTable(s.entities) if s.entities is not None else None
    _check_wikis(source, s.input, s.entities, table, s.mentions)
    step = DetectStep(source, mention_stages(s.mentions, s.repeat_mentions), s.input)
    return _execute(step, s.output, engine="local", part=part, workers=s.workers, address=None,
                    overwrite=s.overwrite, progress=s.progress)


def _check_wikis(source, input, entities, table: EntityTable | None, mentions) -> None:
    """The input, the entity table and the mention dictionary of one wiki (leia.io.provenance), read from
    their manifests, headers and ``meta`` before any work."""
    from leia.io.provenance import Named, check_provenance, named

    check_provenance([Named(source.kind, str(input), (source.wiki or {}).get("dbname", "")),
                      Named("entities", str(entities), table.dbname) if table is not None else None,
                      named("mentions", mentions)], lang=table.lang if table is not None else None)


def augment_dataset(dataset, entities: str | os.PathLike | EntityTable, *, prob: float = SpanControls.prob,
                    strategy: str = SpanControls.strategy, seed: int = SpanControls.seed,
                    nearby: int = SpanControls.nearby,
                    max_spans_per_entity: int | None = SpanControls.max_spans_per_entity, **map_kwargs):
    """Augment a ``datasets.Dataset`` with ``text`` and ``anchors`` columns in memory (``Dataset.map``, which
    takes ``map_kwargs``); the span controls are those of ``leia augment``
    (:class:`leia.commands.SpanControls`)."""
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


@takes(RunSettings)
def run(settings: RunSettings) -> dict[str, Path]:
    """Extract, build the entity table and augment in one go; with no dump, on the sample in data/.
    The dump is read once: extraction writes the page table (``OUTPUT/pages``: titles, redirects,
    {{仮リンク}} names) the entity table is built from. Returns the paths of what was built (``documents``,
    ``entities``, ``augmented``). The filters and the variant are :func:`leia.extract`'s, the span controls
    :func:`leia.augment`'s. Each parameter is the option of ``leia run`` of the same name
    (:class:`leia.commands.RunSettings`)."""
    s = settings
    dump, langlinks, wikidata = s.dump, s.langlinks, s.wikidata
    if dump is None:
        if langlinks is not None:
            raise ConfigError("--langlinks without --dump: give the dump the langlinks belong to")
        if not SAMPLE_DUMP.is_file():
            raise ConfigError(f"the sample dump is not at {SAMPLE_DUMP}: it comes with a clone of the repository "
                              "(pip install -e . there), or give a dump with --dump")
        dump, langlinks = SAMPLE_DUMP, SAMPLE_LANGLINKS
    out = Path(s.output)
    check_counts(workers=s.workers)
    created = make_folder(out, "; give a folder for the three outputs")
    paths = {"documents": out / "documents", "entities": out / "entities.duckdb", "augmented": out / "augmented"}
    # One read of the dump: extraction writes the page table the entity table is built from.
    pages = out / "pages"
    build = s.overwrite or not paths["entities"].exists()
    common = {"workers": s.workers, "overwrite": s.overwrite, "progress": s.progress}
    try:
        # Before any work: what the entity table will be built from (or was), and whether the inputs belong
        # together, from their headers.
        if build:
            check_entities(paths["entities"], dump=dump, langlinks=langlinks, wikidata=wikidata,
                           overwrite=s.overwrite)
        else:
            _check_entity_inputs(paths["entities"], dump=dump, langlinks=langlinks, wikidata=wikidata)
        if not s.overwrite:
            check_parameters(paths["augmented"], "augmented", values(s, SpanControls))
        extract(dump, paths["documents"], pages=pages, **common, **values(s, PageFilters))
        if build:
            table = EntitiesSettings(paths["entities"], dump=dump, pages=pages, langlinks=langlinks,
                                     wikidata=wikidata, overwrite=s.overwrite, progress=s.progress)
            build_entity_table(table, warn=False)  # warned above, before extracting
        augment(paths["documents"], paths["entities"], paths["augmented"], **common, **values(s, SpanControls))
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    return paths


@takes(TokenizeSettings)
def tokenize(settings: TokenizeSettings) -> Manifest:
    """Augmented shards (or documents) -> the packed blocks of epoch ``epoch``: shards of ``input_ids``,
    ``labels`` (the markers masked) and ``position_ids``, the blocks :class:`leia.training.PackedDataset` yields
    for the same settings, seed and epoch. ``tokenizer`` is a tokenizer or where to load one (the markers are
    added to it); ``prob`` redraws the spans as in training (None: the stored draw). Each parameter is the
    option of ``leia tokenize`` of the same name (:class:`leia.commands.TokenizeSettings`)."""
    from leia.io.manifest import read_manifest
    from leia.steps.pack import PackStep
    from leia.training.loading import load_tokenizer
    from leia.training.packing import PackedDataset
    from leia.training.tokens import add_leia_tokens

    s = settings
    check_counts(workers=s.workers, block_size=s.block_size)
    check_counts(at_least=0, epoch=s.epoch)
    read_manifest(s.input)  # the input first: a folder that is not there is named before any tokenizer is loaded
    tokenizer = s.tokenizer
    if isinstance(tokenizer, (str, os.PathLike)):
        tokenizer = load_tokenizer(tokenizer)
    else:
        add_leia_tokens(tokenizer)
    dataset = PackedDataset(s.input, tokenizer, s.block_size, prob=s.prob, strategy=s.strategy, seed=s.seed,
                            cross_document_attention=s.cross_document_attention)
    return _execute(PackStep(dataset, s.epoch), s.output, engine="local", part=Part(), workers=s.workers,
                    address=None, overwrite=s.overwrite, progress=s.progress)


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


