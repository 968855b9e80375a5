"""Files: locked and atomic writes (``files``), file identities and checksums (``integrity``), shard folders
and their manifests (``shards``, ``manifest``), dataset cards (``card``) and DuckDB builds (``duckdb``)."""
