"""The registry of text-bearing templates, looked up by name: the entries of ``table`` (each a
template with its aliases and redirects, the function that renders what it shows as wikitext, which may still
hold links, and what it shows for the documentation) and the wiki's interlanguage-link templates, found by a
template's name as written; and the tables of docs/templates.md. Templates not in the registry are dropped;
so are parser functions and magic words the registry does not hold.

Names are template keys (``calls.template_key``: first letter upper-cased, underscores as spaces). A few
families are matched by a prefix or a suffix of the name instead (``lang-xx``, ``IPA-xx``, ``…範囲``).
"""

from __future__ import annotations

from functools import lru_cache

from leia.wiki.wikitext.templates.calls import template_key
from leia.wiki.wikitext.templates.interlanguage import INTERLANGUAGE_TEMPLATES, interlanguage_templates
from leia.wiki.wikitext.templates.renderers.text import interlanguage
from leia.wiki.wikitext.templates.table import ENTRIES, PATTERNS, Template

__all__ = ["Registry", "registry_for", "markdown_tables"]


_HEADS_LIMIT = 200_000


class Registry:
    """The templates one wiki renders: names as written first, then in other cases (``{{ipa}}`` for
    ``{{IPA}}``: the wikis keep such variants as redirects), then the prefix and suffix families."""

    def __init__(self, templates: dict[str, Template]):
        self.templates = templates
        self._heads: dict[str, tuple[str, Template | None]] = {}
        self.folded = {key.casefold(): t for key, t in reversed(templates.items()) if not t.exact}
        self._prefixes = tuple(text.casefold() for kind, text, _ in PATTERNS if kind == "prefix")
        self._suffixes = tuple(text.casefold() for kind, text, _ in PATTERNS if kind == "suffix")

    def lookup(self, head: str) -> tuple[str, Template | None]:
        """(template key, entry or None) of a template's name as written, remembered for the next page."""
        found = self._heads.get(head)
        if found is None:
            key = template_key(head)
            found = (key, self.find(key) if key else None)
            if len(head) <= 100 and len(self._heads) < _HEADS_LIMIT:
                self._heads[head] = found
        return found

    def find(self, key: str) -> Template | None:
        found = self.templates.get(key)
        if found is not None or ":" in key:
            return found
        folded = key.casefold()
        found = self.folded.get(folded)
        if found is not None:
            return found
        if folded.startswith(self._prefixes) or folded.endswith(self._suffixes):
            for kind, text, template in PATTERNS:
                if folded.startswith(text.casefold()) if kind == "prefix" else folded.endswith(text.casefold()):
                    return template
        return None


@lru_cache(maxsize=32)
def registry_for(lang: str) -> Registry:
    """The registry of the wiki in language ``lang``: the common entries and that language's
    interlanguage-link templates (``interlanguage.INTERLANGUAGE_TEMPLATES``)."""
    templates: dict[str, Template] = {}
    for template in ENTRIES:
        for name in template.names:
            templates.setdefault(template_key(name), template)
    for name, parse in interlanguage_templates(lang).items():
        templates[template_key(name)] = Template((name,), interlanguage(parse), "an interlanguage link")
    return Registry(templates)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_tables() -> str:
    """The registry as the tables of docs/templates.md: one row per entry (then one per name family), and
    one row per wiki's interlanguage-link templates."""
    rows = ["| Template | Aliases and redirects | Shows | Example (wiki) |", "| --- | --- | --- | --- |"]
    for template in ENTRIES + tuple(entry for _, _, entry in PATTERNS):
        names = template.names
        if len(names) > 12:
            countries = "leia.wiki.wikitext.templates.renderers.countries"
            aliases = ", ".join(names[:6]) + f", … ({len(names)} codes: `{countries}`)"
        else:
            aliases = ", ".join(names[1:])
        wikitext, _, text = template.example.partition(" → ")
        example = f"`{_cell(wikitext)}` → `{_cell(text)}` ({template.wiki})" if wikitext else ""
        rows.append(f"| {_cell(names[0])} | {_cell(aliases)} | {_cell(template.shows)} | {example} |")
    rows += ["", "| Wiki | Interlanguage-link templates | Arguments |", "| --- | --- | --- |"]
    for lang, table in INTERLANGUAGE_TEMPLATES.items():
        by_parser: dict[object, list[str]] = {}
        for name, parse in table.items():
            by_parser.setdefault(parse.__doc__, []).append(name)
        for doc, names in by_parser.items():
            rows.append(f"| {lang} | {_cell(', '.join(names))} | {_cell(' '.join((doc or '').split()))} |")
    return "\n".join(rows) + "\n"
