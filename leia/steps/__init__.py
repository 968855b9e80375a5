"""Steps: what one pass over an input computes, apart from where it runs (``leia.execute``).

- ``protocol``: what a step says (what it reads, the schema and manifest of what it writes, how its input
  is cut into work batches of a fixed shard layout, the pure work on one batch) and the defaults of the rest;
- ``extract``: dump -> documents, and in the same pass the page table the entity table is built from;
- ``sources``: what augmentation and detection read (a documents folder, a dump, a corpus), as classes;
- ``detect``: documents -> documents with the mentions a dictionary finds in their text, and the later
  occurrences of what each links;
- ``augment``: documents (a folder, a dump extracted on the fly, or a corpus) -> augmented shards;
- ``pack``: augmented shards -> the blocks of token ids of one epoch (``leia tokenize``)."""
