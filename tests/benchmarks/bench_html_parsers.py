"""selectolax (lexbor) against lxml on Parsoid HTML: parse + walk time, and whether both give the same text
and link offsets as the standard library's html.parser (the reference: slow but exact HTML tokenisation).

The HTML is the ``!! html/parsoid`` sections of ../shared/data/mediawiki-parsertests/*.txt, each parsed on
its own (many small documents) and concatenated four times into one page of about 2 MB (large documents). The walk is the
same on all three: text of every node, a line break at block elements, the code-point offsets of each
``<a rel="mw:WikiLink">``.

    python tests/benchmarks/bench_html_parsers.py
"""

from __future__ import annotations

import sys
import time
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parsertests import DATA, _sections  # noqa: E402

BLOCK = frozenset("p div h1 h2 h3 h4 h5 h6 li dt dd ul ol dl pre blockquote section table tr br".split())


def parsoid_sections() -> list[str]:
    found = []
    for path in sorted(DATA.glob("*.txt")):
        lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
        for name, body in _sections(lines):
            if name.lower() == "html/parsoid":
                found.append("\n".join(body))
    return found


class _Std(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.n = 0
        self.links: list[tuple[int, str]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK:
            self.out.append("\n")
            self.n += 1
        if tag == "a" and dict(attrs).get("rel") == "mw:WikiLink":
            self.links.append((self.n, dict(attrs).get("href", "")))

    def handle_data(self, data):
        self.out.append(data)
        self.n += len(data)


def walk_std(html: str):
    p = _Std()
    p.feed(html)
    p.close()
    return "".join(p.out), p.links


def walk_selectolax(html: str):
    from selectolax.lexbor import LexborHTMLParser

    out: list[str] = []
    links: list[tuple[int, str]] = []
    n = 0
    root = LexborHTMLParser(html).body
    stack = [root.first_child] if root is not None and root.first_child is not None else []
    while stack:
        node = stack.pop()
        if node.next is not None:
            stack.append(node.next)
        tag = node.tag
        if tag == "-text":
            t = node.text_content
            out.append(t)
            n += len(t)
            continue
        if tag == "-comment":
            continue
        if tag in BLOCK:
            out.append("\n")
            n += 1
        if tag == "a" and node.attributes.get("rel") == "mw:WikiLink":
            links.append((n, node.attributes.get("href") or ""))
        if node.first_child is not None:
            stack.append(node.first_child)
    return "".join(out), links


def walk_lxml(html: str):
    import lxml.html

    out: list[str] = []
    links: list[tuple[int, str]] = []
    n = 0
    try:
        root = lxml.html.document_fromstring(html)
    except Exception:
        return "", []
    body = root.find("body")
    if body is None:
        return "", []

    def visit(el):
        nonlocal n
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else None
            if tag is not None:
                if tag in BLOCK:
                    out.append("\n")
                    n += 1
                if tag == "a" and child.get("rel") == "mw:WikiLink":
                    links.append((n, child.get("href") or ""))
                if child.text:
                    out.append(child.text)
                    n += len(child.text)
                visit(child)
            if child.tail:
                out.append(child.tail)
                n += len(child.tail)

    if body.text:
        out.append(body.text)
        n += len(body.text)
    visit(body)
    return "".join(out), links


def _same(a, b) -> bool:
    return a[0].strip() == b[0].strip() and [h for _, h in a[1]] == [h for _, h in b[1]] and \
        [o - (len(a[0]) - len(a[0].lstrip())) for o, _ in a[1]] == [o - (len(b[0]) - len(b[0].lstrip())) for o, _ in b[1]]


def _time(fn, docs, repeat=3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        for d in docs:
            fn(d)
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    docs = [d for d in parsoid_sections() if d.strip()]
    mb = sum(len(d.encode()) for d in docs) / 1e6
    page = "\n".join(docs)
    big = "\n".join([page] * 4)
    print(f"{len(docs)} Parsoid sections, {mb:.2f} MB; one concatenated page of {len(big.encode()) / 1e6:.2f} MB")
    ref = [walk_std(d) for d in docs]
    for name, fn in (("selectolax", walk_selectolax), ("lxml", walk_lxml), ("html.parser", walk_std)):
        agree = sum(_same(fn(d), r) for d, r in zip(docs, ref))
        small = _time(fn, docs)
        large = _time(fn, [big], repeat=2)
        print(f"{name:12s} agrees with html.parser on {agree}/{len(docs)} sections; "
              f"small docs {mb / small:6.1f} MB/CPU-s; large page {len(big.encode()) / 1e6 / large:6.1f} MB/CPU-s")
    big_ref = walk_std(big)
    for name, fn in (("selectolax", walk_selectolax), ("lxml", walk_lxml)):
        print(f"{name:12s} large page agrees with html.parser: {_same(fn(big), big_ref)}")


if __name__ == "__main__":
    main()
