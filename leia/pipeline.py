"""The steps a user runs, as Python functions with the same parameters as the ``leia`` commands:
``augment`` (documents, a dump or a corpus -> augmented shards), ``run`` (dump -> documents -> entities ->
augmented shards), ``stats`` and ``preview``."""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path
from typing import Container, Iterator

import pyarrow as pa
from tqdm.auto import tqdm

from leia.augmenter import NO_SPAN_REASONS, UNNAMED, AugmentConfig, augment_batch
from leia.entities import EntityTable, build_entities
from leia.errors import ConfigError, OutputError
from leia.outputs import make_folder
from leia.extraction import convert_pages, extract
from leia.engines import check_engine
from leia.inputs import Source, open_source
from leia.runner import Batch, run_shards, run_whole_shards
from leia.schemas import AUGMENTED, DOCUMENTS, MARKER_CLOSE, MARKER_OPEN
from leia.shards import Manifest, iter_record_batches, open_output, read_manifest
from leia.split import Part, Skip
from leia.wiki.siteinfo import SiteInfo

__all__ = ["augment", "augment_dataset", "run", "stats", "preview", "SAMPLE_DUMP", "SAMPLE_LANGLINKS",
           "augment_locally"]

log = logging.getLogger(__name__)

_DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_DUMP = _DATA / "sample-jawiki-pages-articles.xml"
SAMPLE_LANGLINKS = _DATA / "sample-jawiki-langlinks.sql"


class _Augmenter:
    """The per-batch work of ``leia augment``: extract pages when the input is a dump, then insert spans."""

    def __init__(self, table: EntityTable, config: AugmentConfig, site: SiteInfo | None, detector=None,
                 dump: str = "dump", propagator=None):
        self.table, self.config, self.site, self.detector, self.dump = table, config, site, detector, dump
        self.propagator = propagator

    def __call__(self, payload: tuple[str, object]) -> tuple[pa.RecordBatch, dict]:
        kind, data = payload
        counters: Counter = Counter()
        if kind == "pages":
            rows, extracted = convert_pages(self.site, data, self.dump)  # type: ignore[arg-type]
            counters.update(extracted)
            counters.pop("documents", None)
            data = pa.RecordBatch.from_pylist(rows, schema=DOCUMENTS)
        if self.detector is not None:
            data, detected = self.detector.detect_batch(data)
            counters.update(detected)
        if self.propagator is not None:
            data, repeated = self.propagator.propagate_batch(data)
            counters.update(repeated)
        out, augmented = augment_batch(data, self.table.lookup_with_source, self.config)  # type: ignore[arg-type]
        counters.update(augmented)
        return out, dict(counters)


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
    num_shards: int = 1,
    shard_index: int = 0,
    mentions: str | os.PathLike | None = None,
    repeat_mentions: bool = False,
    nearby: int = AugmentConfig.nearby,
    max_spans_per_entity: int | None = AugmentConfig.max_spans_per_entity,
) -> Manifest:
    """Write augmented shards of ``input`` to ``output`` and return the manifest.

    The same input, entity table, parameters and seed give byte-identical shards whatever ``workers``, the
    engine (``"local"`` processes or ``"ray"``, on the cluster at ``address``), and however the run was
    interrupted and resumed. With ``num_shards`` > 1 only part ``shard_index`` of the shards is written;
    :func:`leia.split.merge_manifests` assembles the parts into what one run writes. With ``mentions`` (a
    dictionary built by ``leia mentions build``), documents without anchors get the mentions detected in
    their text (:mod:`leia.mentions`) before the spans are inserted. With ``repeat_mentions``, the later
    occurrences of what each document links (or, in plain text, what was detected) are mentions too
    (:class:`leia.mentions.Propagator`, source ``repeat``). ``nearby`` and ``max_spans_per_entity`` are the
    span controls of :class:`leia.augmenter.AugmentConfig`.
    """
    part = Part(num_shards, shard_index)
    config = _config(prob, strategy, seed, nearby, max_spans_per_entity)
    if check_engine(engine, part) == "ray":
        from leia.engines.ray import augment_on_ray

        if mentions is not None or repeat_mentions:
            raise ConfigError("mention detection (--mentions) and --repeat-mentions run on the local engine only")

        return augment_on_ray(input, entities, output, config, augment=augment_locally, plan=augment_manifest,
                              open_source=open_source, workers=workers, address=address,
                              shard_size=shard_size, batch_size=batch_size, overwrite=overwrite, progress=progress)
    return augment_locally(EntityTable(entities), input, output, config, workers=workers or 1,
                           shard_size=shard_size, batch_size=batch_size, overwrite=overwrite, progress=progress,
                           part=part, mentions=mentions, repeat_mentions=repeat_mentions)


def _config(prob: float, strategy: str, seed: int, nearby: int, max_spans_per_entity: int | None) -> AugmentConfig:
    try:
        return AugmentConfig(prob=prob, strategy=strategy, seed=seed, nearby=nearby,
                             max_spans_per_entity=max_spans_per_entity)
    except ValueError as e:
        raise ConfigError(str(e)) from None


def augment_manifest(source: Source, table: EntityTable, config: AugmentConfig, input: str | os.PathLike
                     ) -> tuple[Manifest, SiteInfo]:
    """The manifest an augmentation of ``source`` writes, and the wiki its pages are parsed as; refuses an
    entity table of another wiki."""
    if source.wiki:
        table.check_wiki(source.wiki.get("dbname", ""), f"{input}")
    site = SiteInfo.from_dict(source.wiki) if source.wiki else table.site
    cleaning = table.meta.get("parameters")
    manifest = Manifest(
        kind="augmented", inputs=source.inputs + [_entities_input(table.path)],
        parameters={"prob": config.prob, "strategy": config.strategy, "seed": config.seed,
                    "nearby": config.nearby, "max_spans_per_entity": config.max_spans_per_entity,
                    "shard_size": source.shard_size if source.kind != "documents" else None,
                    "entity_table": cleaning},
        schema=AUGMENTED.to_string(), extra={"wiki": source.wiki or table.wiki},
    )
    return manifest, site


def _entities_input(path: Path) -> dict:
    from leia.integrity import file_identity

    return {"kind": "entities", "path": path.name, **file_identity(path)}


def augment_locally(
    table: EntityTable,
    input: str | os.PathLike,
    output: str | os.PathLike,
    config: AugmentConfig,
    *,
    workers: int,
    shard_size: int,
    batch_size: int,
    overwrite: bool,
    progress: bool,
    part: Part = Part(),
    exclude: Container[int] = frozenset(),
    mentions: str | os.PathLike | None = None,
    repeat_mentions: bool = False,
) -> Manifest:
    """The local engine: part ``part`` of the shards, less those in ``exclude``, with ``workers`` processes."""
    source = open_source(input, shard_size=shard_size, batch_size=batch_size)
    manifest, site = augment_manifest(source, table, config, input)
    detector = None
    if mentions is not None:
        from leia.mentions import mention_detector

        detector, described = mention_detector(mentions, table, source.wiki)
        manifest.parameters["mentions"] = described
    propagator = None
    if repeat_mentions:
        from leia.mentions import Propagator

        propagator = Propagator()
        propagator.segmenter  # load MeCab once, before workers fork
        manifest.parameters["repeat_mentions"] = True
    out, manifest = open_output(output, part.mark(manifest), overwrite=overwrite, inputs=tuple(source.paths))
    done = {s["index"] for s in manifest.shards}
    table.lookup([])  # load the names once, before workers fork
    seen: Counter = Counter(manifest.counters)
    unit = "B" if source.kind == "dump" else " docs"
    bar = tqdm(total=(source.total or None) if source.kind != "corpus" else None, unit=unit, unit_scale=unit == "B", desc=f"augment {Path(input).name}",
               disable=not progress, dynamic_ncols=True)

    def on_batch(batch: Batch, result) -> None:
        seen.update(result[1])
        bar.update(batch.progress)
        bar.set_postfix(docs=seen["documents"], spans=seen["spans"], refresh=False)

    work = _Augmenter(table, config, site, detector, str(source.paths[0]), propagator)
    try:
        if source.kind == "documents" and workers > 1:
            skip = Skip(part, done, exclude)
            shards = [i for i in source.shard_indices() if i not in skip]

            def on_shard(entry: dict) -> None:
                seen.update(entry["counters"])
                bar.update(entry["rows"])
                bar.set_postfix(docs=seen["documents"], spans=seen["spans"], refresh=False)

            run_whole_shards(shards, _ShardBatches(source), work, out=out, manifest=manifest,
                             schema=AUGMENTED, workers=workers, on_shard=on_shard)
        else:
            run_shards(source.batches(Skip(part, done, exclude)), work, out=out, manifest=manifest,
                       schema=AUGMENTED, workers=workers, on_batch=on_batch)
    finally:
        bar.close()
    return manifest


class _ShardBatches:
    """The batches of one shard of a source, as a picklable callable."""

    def __init__(self, source: Source):
        self.source = source

    def __call__(self, index: int) -> Iterator[Batch]:
        return self.source.batches(_Only(index))


class _Only:
    """Every shard is "done" but one: the batches of a single shard."""

    def __init__(self, index: int):
        self.index = index

    def __contains__(self, shard: object) -> bool:
        return shard != self.index


def augment_dataset(dataset, entities: str | os.PathLike | EntityTable, *, prob: float = 0.5,
                    strategy: str = "right", seed: int = 0, nearby: int = AugmentConfig.nearby,
                    max_spans_per_entity: int | None = AugmentConfig.max_spans_per_entity, **map_kwargs):
    """Augment a ``datasets.Dataset`` with ``text`` and ``anchors`` columns in memory (``Dataset.map``)."""
    table = entities if isinstance(entities, EntityTable) else EntityTable(entities)
    config = _config(prob, strategy, seed, nearby, max_spans_per_entity)

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
    Returns the paths of what was built (``documents``, ``entities``, ``augmented``). The filter and
    variant options are :func:`leia.extract`'s."""
    if dump is None:
        if langlinks is not None:
            raise ConfigError("--langlinks without --dump: give the dump the langlinks belong to")
        if not SAMPLE_DUMP.is_file():
            raise ConfigError(f"the sample dump is not at {SAMPLE_DUMP}: it comes with a clone of the repository "
                              "(pip install -e . there), or give a dump with --dump")
        dump, langlinks = SAMPLE_DUMP, SAMPLE_LANGLINKS
    out = Path(output)
    created = make_folder(out, "; give a folder for the three outputs")
    paths = {"documents": out / "documents", "entities": out / "entities.duckdb", "augmented": out / "augmented"}
    try:
        extract(dump, paths["documents"], workers=workers, overwrite=overwrite, progress=progress,
                skip_disambiguation=skip_disambiguation, drop_navigation_sections=drop_navigation_sections,
                variant=variant)
        if overwrite or not paths["entities"].exists():
            build_entities(paths["entities"], dump=dump, langlinks=langlinks, wikidata=wikidata,
                           overwrite=overwrite, progress=progress)
        else:
            _check_entity_inputs(paths["entities"], dump=dump, langlinks=langlinks, wikidata=wikidata)
        augment(paths["documents"], paths["entities"], paths["augmented"], prob=prob, strategy=strategy,
                seed=seed, workers=workers, overwrite=overwrite, progress=progress)
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    return paths


def _check_entity_inputs(path: Path, **files: str | os.PathLike | None) -> None:
    """Refuse to reuse an entity table that was built from other files than this run's."""
    import json

    from leia.entities import file_input

    from leia.integrity import identity_change

    wanted = {(i["kind"], i["path"]): i for i in (file_input(f, kind) for kind, f in files.items() if f is not None)}
    recorded = {(i.get("kind"), i.get("path")): i for i in json.loads(EntityTable(path).meta.get("inputs", "[]"))}
    if set(wanted) != set(recorded):
        raise OutputError(f"{path}: an entity table built from other inputs; choose another folder or pass "
                          "--overwrite")
    for key, now in wanted.items():
        change = identity_change(recorded[key], now)
        if change:
            raise OutputError(f"{path}: built from another {key[1]} ({change}); pass --overwrite to rebuild it")


def stats(folder: str | os.PathLike) -> dict:
    """Documents, mentions, spans and coverage (the share of mentions with an English name, by source) of a
    folder of augmented shards, computed from the shards themselves; ``mentions_by_source`` counts every value
    of ``source`` (where the name came from, ``repeat``, or why there is no span), ``no_span_by_reason`` the
    reasons alone (:data:`leia.augmenter.NO_SPAN_REASONS`)."""
    import pyarrow.compute as pc

    manifest = read_manifest(folder, "augmented")
    _warn_incomplete(folder, manifest)
    by_source: Counter = Counter()
    docs = mentions = spans = 0
    for rb in iter_record_batches(folder, "augmented"):
        docs += rb.num_rows
        flat = pc.list_flatten(rb.column("mentions"))
        mentions += len(flat)
        spans += pc.sum(flat.field("inserted").cast(pa.int64())).as_py() or 0
        for value, count in zip(*_value_counts(flat.field("source"))):
            by_source[value] += count
    named = sum(v for k, v in by_source.items() if k not in UNNAMED)
    return {
        "documents": docs, "mentions": mentions, "spans": spans,
        "coverage": named / mentions if mentions else 0.0,
        "coverage_by_source": {k: v / mentions for k, v in sorted(by_source.items())} if mentions else {},
        "mentions_by_source": dict(sorted(by_source.items())),
        "no_span_by_reason": {k: by_source[k] for k in NO_SPAN_REASONS if by_source[k]},
        "parameters": manifest.parameters,
        "complete": manifest.complete,
    }


def _warn_incomplete(folder: str | os.PathLike, manifest: Manifest) -> None:
    if not manifest.complete:
        log.warning("%s: the run that writes it has not finished (%d shards so far); these figures cover the "
                    "finished shards only", folder, len(manifest.shards))


def _value_counts(array: pa.Array) -> tuple[list, list]:
    import pyarrow.compute as pc

    vc = pc.value_counts(array)
    return vc.field("values").to_pylist(), vc.field("counts").to_pylist()


def preview(folder: str | os.PathLike, n: int = 3, width: int = 400, color: bool = True) -> Iterator[str]:
    """The first ``n`` documents of an augmented folder, each cut to ``width`` characters, with the spans
    highlighted (ANSI colours when ``color``)."""
    open_, close = ("\x1b[1;36m", "\x1b[0m") if color else ("", "")
    _warn_incomplete(folder, read_manifest(folder, "augmented"))
    shown = 0
    for rb in iter_record_batches(folder, "augmented"):
        for title, text in zip(rb.column("title").to_pylist(), rb.column("text").to_pylist()):
            if shown >= n:
                return
            snippet = text[:width]
            if color:
                snippet = snippet.replace(MARKER_OPEN, open_ + MARKER_OPEN).replace(MARKER_CLOSE, MARKER_CLOSE + close)
                if snippet.rfind(open_) > snippet.rfind(close):
                    snippet += close  # cut inside a span
            yield f"== {title} ==\n{snippet}"
            shown += 1
