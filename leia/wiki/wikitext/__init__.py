"""Wikitext to plain text with anchors, by MediaWiki's rules.

In the order the data flows: ``convert`` (a page: the pre-pass, then line by line) runs the pre-pass with
``tags`` (extension and HTML tags), ``templates/`` (the expander), ``langconv`` (``-{...}-`` variants),
``structure`` (tables removed; headings, lists, definitions), ``links`` (file, category and language links
removed) and ``htmlentities``; then, per line, ``quotes`` (bold and italic) and either the fast path of
``links`` or ``nodes`` (the mwparserfromhell path), both by the same link rules; ``extlinks`` says where
URLs begin and end for all of them.
"""
