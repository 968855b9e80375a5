"""Reading MediaWiki material: the dumps, and pages turned into plain text with anchors.

By concern, in the order the data flows:

- ``siteinfo`` (what a dump says about its wiki: language, title case, namespaces) and ``titles`` (titles as
  MediaWiki normalises them): the wiki's rules, read by every part below;
- ``dumps/``: the files (compression, XML pages, multistream blocks, SQL tables, Wikidata);
- ``filters``: the pages and sections a training corpus leaves out, read from a page's wikitext;
- ``wikitext/``: wikitext to text with anchors (the converter, with its templates in ``wikitext/templates/``);
- ``html/``: Enterprise HTML dumps, and Parsoid HTML to text with anchors by the wikitext route's rules;
- ``lines``: what both routes give (``Parsed``, ``Anchor``, ``UnparsablePage``) and how a line is finished;
- ``pagetable``: the page table of a dump (titles, redirects, the English names of interlanguage links), from
  either route.
"""
