"""Steps: what one pass over an input computes, apart from where it runs (``leia.execute``).

Each step (:mod:`leia.steps.protocol`) says what it reads, the schema and manifest of what it writes, how
its input is cut into work batches of a fixed shard layout, and the pure work on one batch. Extraction
(``extract``: dump -> documents), mention detection (``detect``: documents -> documents with the mentions
found in their text) and augmentation (``augment``: documents -> augmented) are steps; ``sources`` reads
what augmentation is given (documents, a dump, a corpus)."""
