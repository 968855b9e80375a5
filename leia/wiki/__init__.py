"""Reading MediaWiki material: XML dumps, wikitext, SQL dumps, Wikidata.

In the order the data flows:

- files: ``compression`` (told by magic bytes), ``dump`` (XML pages, the one ``<page>`` cutter),
  ``multistream`` (blocks of a dump for parallel readers), ``htmldump``, ``sqldump``, ``wikidata``,
  ``siteinfo``;
- page filters: ``filters`` (disambiguation pages, navigation sections);
- wikitext to text with anchors: ``wikitext`` (``to_text``: the pre-pass and the per-line conversion) using
  ``tags``, ``templates`` (the expander; ``braces`` scans, ``calls`` models a call, ``parserfunctions`` with
  ``magicwords`` and ``expression``, ``registry`` with ``templatetable`` and ``renderers``, ``units``,
  ``countries``, ``interlanguage``), ``langconv``, ``structure``, ``links``, ``extlinks``, ``htmlentities``,
  ``quotes``, ``nodes`` (the mwparserfromhell path), ``titles``; ``lines`` is what it gives;
- Parsoid HTML to the same: ``parsoid``.
"""
