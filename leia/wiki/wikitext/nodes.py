"""The parser path: a line's content that the fast path of regular expressions cannot take is parsed by
mwparserfromhell and written out node by node (text, links, external links, tags, entities, headings),
by the same link rules (``links.LinkRules``).
"""

from __future__ import annotations

import html

from leia.wiki.wikitext.extlinks import shown_url
from leia.wiki.lines import BREAK, Anchor, UnparsablePage
from leia.wiki.wikitext.links import ANCHOR, DROP, LITERAL, LinkRules, Links
from leia.wiki.wikitext.tags import DROPPED_TAGS, KNOWN_TAGS

__all__ = ["ParserPath"]

_MAX_LINE_MARKUP = 1_000


class ParserPath:
    """Lines through mwparserfromhell, by the link rules of one wiki."""

    def __init__(self, rules: LinkRules):
        self.rules = rules

    def convert(self, content: str, links: Links) -> tuple[str, list[Anchor]]:
        """Text and anchors of one line's content, parsed by mwparserfromhell."""
        import mwparserfromhell

        if content.count("[") + content.count("<") > _MAX_LINE_MARKUP:
            raise UnparsablePage(f"a line with more than {_MAX_LINE_MARKUP} brackets for the parser")
        try:
            code = mwparserfromhell.parse(content, skip_style_tags=True)
            out: list[str] = []
            anchors: list[Anchor] = []
            self._nodes(code.nodes, out, anchors, links)
        except RecursionError:
            raise UnparsablePage("markup nested too deep") from None
        except mwparserfromhell.parser.ParserError as exc:
            raise UnparsablePage(f"mwparserfromhell failed: {exc}") from None
        return "".join(out), anchors

    def _plain(self, nodes, links: Links) -> str:
        out: list[str] = []
        self._nodes(nodes, out, None, links)
        return "".join(out)

    def _nodes(self, nodes, out: list[str], anchors: list[Anchor] | None, links) -> None:
        from mwparserfromhell import nodes as n

        skip = 0
        for index, node in enumerate(nodes):
            if isinstance(node, n.Text):
                out.append(node.value[skip:])
                skip = 0
            elif isinstance(node, n.Wikilink):
                following = nodes[index + 1] if index + 1 < len(nodes) else None
                skip = self._wikilink(node, following, out, anchors, links)
            elif isinstance(node, n.ExternalLink):
                if node.brackets:
                    if node.title is not None:
                        self._nodes(node.title.nodes, out, anchors, links)
                else:
                    out.append(shown_url(html.unescape(str(node.url)[skip:])))
                skip = 0
            elif isinstance(node, n.Tag):
                self._tag(node, out, anchors, links)
            elif isinstance(node, n.HTMLEntity):
                char = html.unescape(str(node))
                out.append(" " if char == "\u00a0" else char)
            elif isinstance(node, n.Heading):
                mark = "=" * node.level
                out.append(mark)
                self._nodes(node.title.nodes, out, anchors, links)
                out.append(mark)
            elif isinstance(node, (n.Comment, n.Template, n.Argument)):
                continue
            else:
                out.append(str(node))

    def _wikilink(self, node, following, out: list[str], anchors: list[Anchor] | None, links) -> int:
        """Append what a link shows; return how many characters of the following text it took (its
        trail, or the ``]`` that closes a label holding a ``[``)."""
        from mwparserfromhell import nodes as n

        title = str(node.title)
        kind, target, english = self.rules.resolve(title, links)
        if kind == DROP:
            return 0
        label = None if node.text is None else self._label(node.text.nodes, links)
        if kind == LITERAL or label == "" or (
                node.text is not None and any(isinstance(x, n.Wikilink) for x in node.text.nodes)):
            out.append("[[" + self._plain(node.title.nodes, links))
            if node.text is not None:
                out.append("|")
                self._nodes(node.text.nodes, out, anchors, links)
            out.append("]]")
            return 0
        skip = 0
        if label is not None and "[" in label and isinstance(following, n.Text) \
                and following.value.startswith("]"):
            label += "]"
            skip = 1
        display = None if label else self._plain(node.title.nodes, links)
        shown = self.rules.shown(title, label, links, display)
        if isinstance(following, n.Text):
            after = following.value
        elif isinstance(following, n.ExternalLink) and not following.brackets:
            after = str(following.url)
        else:
            after = ""
        if self.rules.trail is not None and after and not skip:
            m = self.rules.trail.match(after)
            if m:
                shown += m.group()
                skip = m.end()
        if kind == ANCHOR and anchors is not None:
            start = sum(map(len, out))
            anchors.append(Anchor(start, start + len(shown), target, english))
        out.append(shown)
        return skip

    def _label(self, nodes, links) -> str:
        """The text of a link's label: an external link inside it is shown as written (MediaWiki keeps a
        label aside while it reads external links)."""
        from mwparserfromhell import nodes as n

        out: list[str] = []
        for node in nodes:
            if isinstance(node, n.ExternalLink) and node.brackets:
                out.append(html.unescape(str(node)))
            else:
                self._nodes([node], out, None, links)
        return "".join(out)

    def _tag(self, node, out: list[str], anchors: list[Anchor] | None, links) -> None:
        if node.wiki_markup:
            out.append(str(node))
            return
        name = str(node.tag).strip().lower()
        if name in ("br", "hr"):
            out.append(BREAK)
            return
        if name in DROPPED_TAGS:
            return
        if name in ("nowiki", "pre"):
            out.append(str(node.contents or ""))
            return
        known = name in KNOWN_TAGS
        if not known:
            attributes = "".join(str(attribute) for attribute in node.attributes)
            out.append(f"<{node.tag}{attributes}{node.padding}{'/>' if node.self_closing else '>'}")
        if not node.self_closing and node.contents is not None:
            self._nodes(node.contents.nodes, out, anchors, links)
            if not known and not node.implicit:
                out.append(f"</{node.closing_tag}>")
