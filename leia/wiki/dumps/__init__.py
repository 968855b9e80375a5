"""Wikimedia's dump files, streamed with bounded memory.

In the order the data flows: ``compression`` (a file opened by what its magic bytes say: bz2, multistream
bz2, gzip or none), ``xmldump`` (an XML dump's ``<siteinfo>`` and pages, the one ``<page>`` cutter),
``multistream`` (the blocks of a dump, so that several processes each read their own part), ``sqldump``
(the rows of a mysqldump table such as langlinks) and ``wikidata`` (the sitelinks of the Wikidata JSON
dump).
"""
