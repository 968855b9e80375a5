"""Templates, parser functions and magic words in article wikitext: almost all dropped, the few that carry
running text rendered to the wikitext they show.

In the order the data flows: ``braces`` (where each ``{{...}}`` begins, ends and splits), ``expand`` (the
expander of a page), ``calls`` (a template call: its key and numbered arguments), ``parserfunctions`` (with
``magicwords`` and ``expression``: what needs no template page), ``registry`` (the templates rendered,
looked up by name) with its ``table`` of entries, ``renderers/`` (what each entry shows) and
``interlanguage`` (each wiki's ``{{仮リンク}}``-like templates).
"""
