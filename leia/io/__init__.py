"""Files: how leia writes its outputs, so that nothing half-written is ever seen, and knows what it read.

- ``files``: one run at a time per output, temporary names no reader sees, atomic publication;
- ``integrity``: checksums of shards, and the identity of an input file;
- ``manifest``: the ``manifest.json`` of a shard folder, checked against its schema whenever it is read;
- ``shards``: shard files made visible only once complete, read back checked against their checksums;
- ``folders``: an output folder opened under a lock, resumed, refused, or replaced with ``--overwrite``;
- ``card``: the dataset card (``README.md``) of a shard folder;
- ``duckdb``: the one atomic build of a DuckDB file, rows appended through Arrow, and its ``meta``;
- ``mapped``: files beside a DuckDB file that every process memory-maps instead of loading;
- ``provenance``: what a built artefact records of its inputs, and the check that they come from one wiki.
"""
