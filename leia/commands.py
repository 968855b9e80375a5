"""Each command's settings, defined once as a dataclass (:mod:`leia.settings`): the ``leia`` command makes its
options from it and the Python API (:mod:`leia.api`, ``build_entities``, ``build_mentions``) takes its fields
as parameters, so both have the same names and defaults.

The settings several commands share are a group each, and a command's dataclass is made of the groups it
takes: :class:`Workers`, :class:`Parts` and :class:`Scale` (how many processes, which part of a split run,
which engine), :class:`PageFilters` (what extraction leaves out), :class:`SpanControls` (how spans are drawn
and placed), :class:`Cleaning` (how English titles become names), :class:`MentionSettings` (which anchor texts
are mentions) and :class:`OutputSettings` (--overwrite and the progress bar). Python takes what a command
reads, in the order data flows, then where it writes, as positional parameters; everything else is a keyword.
This module stays light (no numpy, pyarrow or DuckDB of its own): ``leia --help`` reads it."""

from __future__ import annotations

import os
from dataclasses import KW_ONLY, dataclass
from typing import Any

from leia.errors import ConfigError
from leia.settings import COUNT, POSITIVE, or_word, probability, setting
from leia.spans import STRATEGIES, check_strategy
from leia.wiki.wikitext.langconv import DEFAULT_VARIANT, VARIANTS

__all__ = [
    "ENGINES", "Workers", "Parts", "Scale", "PageFilters", "SpanControls", "Cleaning", "MentionSettings", "OutputSettings",
    "ExtractSettings", "AugmentSettings", "RunSettings", "EntitiesSettings", "BuildMentionsSettings",
    "DetectSettings", "TokenizeSettings",
]

ENGINES = ("local", "ray")  # where a step may run: leia.execute.local, leia.execute.ray


# -- groups -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class OutputSettings:
    """Whether another run's output may be replaced, and whether a progress bar is shown."""

    overwrite: bool = setting(False, "replace another run's output in OUTPUT (only what leia built)")
    progress: bool = setting(True, "show a progress bar", off=("-q",), old=("--quiet",))


@dataclass(frozen=True, kw_only=True)
class Workers:
    """How many processes work."""

    workers: int = setting(1, "parallel processes", type=POSITIVE, metavar="N")


@dataclass(frozen=True, kw_only=True)
class Parts:
    """Which part of a run split among independent processes (job arrays) this one computes; the parts'
    folders are put together by ``leia merge-manifests`` (:func:`leia.execute.parts.merge_manifests`)."""

    num_parts: int = setting(1, "split the run into N independent parts (job arrays); see merge-manifests",
                             type=POSITIVE, metavar="N", aliases=("--num-shards",))
    part_index: int = setting(0, "the part to run, 0..N-1: the shards whose index is I modulo N", type=int,
                              metavar="I", aliases=("--shard-index",))


@dataclass(frozen=True, kw_only=True)
class Scale(Parts, Workers):
    """Where a step runs (this machine's processes or a Ray cluster), with how many workers, and which part
    of a split run it computes. The engine does not change a byte of the output."""

    workers: int | None = setting(None, "parallel processes (1 when not given; with --engine ray, one per CPU "
                                        "of the cluster)", type=POSITIVE, metavar="N")
    engine: str = setting("local", "local processes or a Ray cluster (pip install 'leia[ray]')", choices=ENGINES)
    address: str | None = setting(None, "the Ray cluster to join (default: RAY_ADDRESS, else a local one)")


@dataclass(frozen=True, kw_only=True)
class PageFilters:
    """What extraction leaves out (each counted in the manifest) and the language variant it shows."""

    skip_disambiguation: bool = setting(True, "skip disambiguation pages (counted as skipped_disambiguation)",
                                        old=("--keep-disambiguation",))
    drop_navigation_sections: bool = setting(True, "cut the See also / References / External links ... sections "
                                                   "(counted as sections_dropped)", old=("--keep-navigation-sections",))
    variant: str | None = setting(None, f"language variant -{{...}}- markup shows on zh wikis (default "
                                        f"{DEFAULT_VARIANT}; {', '.join(sorted(VARIANTS))})",
                                  choices=tuple(sorted(VARIANTS)), metavar="VARIANT")


@dataclass(frozen=True, kw_only=True)
class SpanControls:
    """How spans are drawn and placed. ``prob`` 1.0 puts a span at every eligible mention.

    ``nearby``: a mention gets no span when its English name already stands within this many characters of
    it on the same line (``ニューヨーク（New York）``), ignoring case, as a word of its own (not inside a longer
    Latin word); 0 turns the check off.
    ``max_spans_per_entity``: at most this many mentions of one entity (one English name) per document may
    get a span, the first ones in the text; the later ones get none, whatever the draw. None: no limit.
    """

    prob: float = setting(0.5, "probability of a span per mention", type=probability, metavar="P")
    strategy: str = setting("right", "span after the mention (right), before it (left), or instead of it (replace)",
                            choices=STRATEGIES)
    seed: int = setting(0, "random seed", type=int, metavar="S")
    nearby: int = setting(20, "no span where the English name stands within CHARS characters on the same line "
                              "(0: off)", type=COUNT, metavar="CHARS")
    max_spans_per_entity: int | None = setting(10, "at most K mentions of one entity per document get a span "
                                                   "('none': no limit)", type=or_word("none", POSITIVE), metavar="K")

    def __post_init__(self) -> None:
        if not 0.0 <= self.prob <= 1.0:
            raise ConfigError(f"prob must be between 0 and 1, got {self.prob}")
        if self.nearby < 0:
            raise ConfigError(f"nearby must be at least 0, got {self.nearby}")
        if self.max_spans_per_entity is not None and self.max_spans_per_entity < 1:
            raise ConfigError(f"max_spans_per_entity must be at least 1, got {self.max_spans_per_entity}")
        check_strategy(self.strategy)


@dataclass(frozen=True, kw_only=True)
class Cleaning:
    """How English titles are cleaned into the names inserted in text (the paper's rules by default)."""

    drop_disambiguator: bool = setting(True, 'drop the disambiguator: "Mercury" for "Mercury (planet)"',
                                       old=("--keep-disambiguators",))
    drop_fragment: bool = setting(True, 'drop the fragment: "Cairo" for "Cairo#History"')
    skip_namespaces: bool = setting(True, "no name from a title of another namespace (Category:, Template: ...)")
    skip_lists: bool = setting(True, 'no name from a "List of ..." title')


@dataclass(frozen=True, kw_only=True)
class MentionSettings:
    """Which anchor texts count as mentions. ``min_link_count`` and the length limits (in characters) choose
    the surfaces a dictionary keeps when it is built; the rest applies when it is used.

    ``block``: a surface below ``min_link_prob`` still takes its span; ``context``: prefer the target an
    unambiguous mention of the same document links to.
    """

    min_link_prob: float = setting(0.2, "least share of a surface's occurrences that are links", type=probability,
                                   metavar="P")
    min_doc_link_prob: float | None = setting(0.2, "or: least share of the documents holding the surface that link "
                                                   "it ('off' for the share of occurrences alone)",
                                              type=or_word("off", probability), metavar="P")
    min_prior: float = setting(0.01, "least share of a surface's links that go to a target", type=probability,
                               metavar="P")
    min_link_count: int = setting(1, "least links of a surface", type=POSITIVE, metavar="N")
    min_length: int = setting(1, "shortest surface, in characters", type=POSITIVE, metavar="N")
    max_length: int = setting(50, "longest surface, in characters", type=POSITIVE, metavar="N")
    block: bool = setting(False, "surfaces below --min-link-prob still take their span (no mention inside them)")
    context: bool = setting(False, "prefer a target that an unambiguous mention of the same document links to")

    def __post_init__(self) -> None:
        for name in ("min_link_prob", "min_doc_link_prob", "min_prior"):
            if getattr(self, name) is not None and not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if self.min_length < 1 or self.max_length < self.min_length:
            raise ConfigError(f"length limits must satisfy 1 <= min_length <= max_length, got "
                              f"{self.min_length}..{self.max_length}")
        if self.min_link_count < 1:
            raise ConfigError(f"min_link_count must be at least 1, got {self.min_link_count}")


# -- commands -----------------------------------------------------------------------------------------------

_DUMP = ("pages-articles .xml, .xml.bz2 (multistream too) or .xml.gz; or an HTML dump (ENTERPRISE-HTML "
         ".json.tar.gz, or one of its .ndjson files)")
_INPUT = "documents folder from `leia extract`, a dump, or .jsonl/.parquet/.arrow files"


@dataclass(frozen=True)
class ExtractSettings(PageFilters, Scale, OutputSettings):
    """``leia extract`` / :func:`leia.extract`: a dump -> document shards."""

    dump: str | os.PathLike = setting(help=_DUMP, positional=True)
    output: str | os.PathLike = setting(help="output folder of Arrow shards + manifest.json", short="-o")
    _: KW_ONLY
    pages: str | os.PathLike | None = setting(
        None, "also write the page table (titles, redirects, {{仮リンク}} names) to FOLDER in the same pass, for "
              "`leia entities --pages FOLDER`", metavar="FOLDER")
    shard_size: int = setting(20_000, "documents per shard", type=POSITIVE, metavar="N")
    batch_size: int = setting(64, "articles per batch of work, what a worker converts at a time", type=POSITIVE,
                              metavar="N")


@dataclass(frozen=True)
class AugmentSettings(SpanControls, Scale, OutputSettings):
    """``leia augment`` / :func:`leia.augment`: documents (or a dump, or a corpus) and an entity table ->
    augmented shards."""

    input: str | os.PathLike = setting(help=_INPUT, positional=True)
    entities: str | os.PathLike = setting(help="entity table built by `leia entities`")
    output: str | os.PathLike = setting(help="output folder", short="-o")
    _: KW_ONLY
    mentions: str | os.PathLike | None = setting(
        None, "mention dictionary (`leia mentions build`): find the mentions of documents without anchors in their "
              "plain text", metavar="DICT")
    repeat_mentions: bool = setting(False, "later occurrences of what a document links (or, in plain text, what "
                                           "was detected) are mentions too, source 'repeat' (pip install "
                                           "'leia[mentions]')")
    shard_size: int = setting(20_000, "documents per shard for a dump or corpus input; the shards of a documents "
                                      "folder keep their layout", type=POSITIVE, metavar="N")
    batch_size: int = setting(256, "documents per batch of work for a dump or corpus input", type=POSITIVE,
                              metavar="N")


@dataclass(frozen=True)
class RunSettings(SpanControls, PageFilters, Workers, OutputSettings):
    """``leia run`` / :func:`leia.run`: extract, build the entity table and augment in one go."""

    dump: str | os.PathLike | None = setting(
        None, "the wiki's XML dump, or its HTML dump (default: the sample in data/)")
    output: str | os.PathLike = setting("leia-output", "output folder", short="-o")
    _: KW_ONLY
    langlinks: str | os.PathLike | None = setting(
        None, "the wiki's langlinks SQL dump (.sql or .sql.gz), which names most English titles; without it (or "
              "--wikidata) they come from the dump's {{仮リンク}} alone")
    wikidata: str | os.PathLike | None = setting(None, "a Wikidata JSON dump (.json, .json.bz2, .json.gz)")


@dataclass(frozen=True)
class EntitiesSettings(Cleaning, OutputSettings):
    """``leia entities`` / :func:`leia.build_entities`: the entity table of a wiki's pages."""

    output: str | os.PathLike = setting(help="the DuckDB file to write", short="-o")
    _: KW_ONLY
    dump: str | os.PathLike | None = setting(
        None, "the wiki's XML dump, or its HTML dump (.json.tar.gz/.ndjson, with each page's Wikidata item): titles, "
              "redirects and inline {{仮リンク}} names")
    pages: str | os.PathLike | None = setting(
        None, "the page table `leia extract --pages FOLDER` wrote: titles, redirects and {{仮リンク}} names without "
              "reading the dump again (stands for --dump)", metavar="FOLDER")
    target_dump: str | os.PathLike | None = setting(
        None, "an HTML dump of the target wiki: names through the pages' Wikidata items (with an HTML --dump)")
    langlinks: str | os.PathLike | None = setting(
        None, "the wiki's langlinks SQL dump (.sql or .sql.gz); needs --dump or --pages")
    wikidata: str | os.PathLike | None = setting(None, "a Wikidata JSON dump (.json, .json.bz2, .json.gz)")
    lang: str = setting("en", "language of the names to insert; names in another language come from --langlinks, "
                              "--wikidata or --target-dump")
    wiki: str | None = setting(None, "source wiki database name (e.g. jawiki) when there is no --dump")
    harvest: bool = setting(True, "take English names from the {{仮リンク}} of the dump (with --lang en)")


@dataclass(frozen=True)
class BuildMentionsSettings(MentionSettings, Workers, OutputSettings):
    """``leia mentions build`` / :func:`leia.mentions.build_mentions`: documents -> mention dictionary."""

    documents: str | os.PathLike = setting(help="documents folder from `leia extract`")
    entities: str | os.PathLike = setting(help="entity table of the same wiki (resolves redirects)")
    output: str | os.PathLike = setting(help="the DuckDB file to write", short="-o")


@dataclass(frozen=True)
class DetectSettings(Workers, Parts, OutputSettings):
    """``leia mentions detect`` / :func:`leia.detect_mentions`: documents -> documents whose anchors include the
    mentions detected in plain text."""

    input: str | os.PathLike = setting(help="documents folder, a dump, or .jsonl/.parquet/.arrow files",
                                       positional=True)
    output: str | os.PathLike = setting(help="output folder of document shards", short="-o")
    _: KW_ONLY
    mentions: str | os.PathLike | None = setting(None, "the mention dictionary (`leia mentions build`)",
                                                 metavar="DICT")
    entities: str | os.PathLike | None = setting(None, "entity table the dictionary must share its wiki with")
    repeat_mentions: bool = setting(False, "the later occurrences of what each document links (or what was "
                                           "detected) too")
    shard_size: int = setting(20_000, "documents per shard when the input is a dump or a corpus", type=POSITIVE,
                              metavar="N")
    batch_size: int = setting(256, "documents per batch of work when the input is a dump or a corpus",
                              type=POSITIVE, metavar="N")


@dataclass(frozen=True)
class TokenizeSettings(Workers, OutputSettings):
    """``leia tokenize`` / :func:`leia.tokenize`: augmented shards -> packed blocks of token ids."""

    input: str | os.PathLike = setting(help="folder of augmented shards (or of documents)", positional=True)
    output: str | os.PathLike = setting(help="output folder", short="-o")
    _: KW_ONLY
    tokenizer: Any = setting(help="the tokenizer: a folder or a Hub name (the markers are added); in Python also a "
                                  "tokenizer")
    block_size: int = setting(help="tokens per block", type=POSITIVE, metavar="N")
    epoch: int = setting(0, "the epoch whose draw of spans to pack (the same blocks leia train reads)", type=COUNT,
                         metavar="E")
    prob: float | None = setting(0.5, "redraw the spans with this probability per mention, as leia train does "
                                      "('none': the stored draw)", type=or_word("none", probability), metavar="P")
    strategy: str = setting("right", "where redrawn spans go", choices=STRATEGIES)
    seed: int = setting(0, "seed of the span draws", type=int)
    cross_document_attention: bool = setting(False, "positions count through each block (attention across "
                                                    "documents)")
