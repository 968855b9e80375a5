"""The registry's table of text-bearing templates: each entry names a template with its aliases and
redirects, the renderer of what it shows (``renderers``) and, for the documentation, what it shows and an
example; the name families matched by a prefix or a suffix; the constants. docs/templates.md lists
the same entries (``registry.markdown_tables``).
"""

from __future__ import annotations

from typing import NamedTuple

from leia.wiki.wikitext.templates.calls import Renderer
from leia.wiki.wikitext.templates.renderers.countries import COUNTRIES
from leia.wiki.wikitext.templates.renderers.dates import (
    age_at_death,
    age_template,
    as_of,
    birth_date_and_age,
    birth_year_and_age,
    death_date_and_age_en,
    death_date_and_age_ja,
    plain_date,
)
from leia.wiki.wikitext.templates.renderers.numbers import convert, val
from leia.wiki.wikitext.templates.renderers.text import (
    circa,
    enlink,
    frac,
    interlang,
    ipac,
    joined,
    lang_xx,
    langx,
    last,
    last_of_two,
    nihongo,
    nihongo3,
    nth,
    quote,
    reading,
    respell,
    transl,
    visible_anchor,
    country_code,
    flag,
)

__all__ = ["Template", "ENTRIES", "PATTERNS"]


class Template(NamedTuple):
    """One registry entry. ``names[0]`` is the name documented; ``constant`` is what a template that takes
    no arguments always shows (then ``render`` is unused); ``wiki`` is the wiki of the example; ``exact``:
    the names match only as written (first letter aside), not in other cases."""

    names: tuple[str, ...]
    render: Renderer | None
    shows: str
    example: str = ""
    constant: str | None = None
    wiki: str = "ja"
    exact: bool = False



_CONSTANTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("!",), "|"), (("=",), "="), (("0",), ""), (("-", "Clear", "Clearleft", "Clear left"), ""),
    (("Ndash", "En dash"), "–"), (("Mdash", "Em dash"), "—"), (("Snd", "Spnd", "Spaced ndash"), " – "),
    (("·", "Dot", "Middot"), " · "), (("•", "Bull", "Bullet"), " • "), (("Nbsp", "Sp", "Spaces"), " "),
    (("'",), "'"), (("Nowrap begin", "Nowrap end", "Nobr begin", "Nobr end"), ""),
)

ENTRIES: tuple[Template, ...] = (
    Template(("読み仮名", "読み仮名 ruby不使用", "読み仮名_ruby不使用"), reading,
             "the term, then its reading (and any further notes) in full-width parentheses",
             "{{読み仮名|'''織田 信長'''|おだ のぶなが}} → 織田 信長（おだ のぶなが）"),
    Template(("ルビ", "Ruby", "Ruby-ja"), reading, "the base text, then its reading in full-width parentheses",
             "{{ルビ|漢字|かんじ}} → 漢字（かんじ）"),
    Template(("Lang",), nth(2), "the text (argument 2)", "{{lang|en|Tokyo}} → Tokyo"),
    Template(("Langx",), langx, "jawiki: language name and text; elsewhere the text",
             "{{langx|fr|Paris}} → フランス語: Paris"),
    Template(("En", "La", "Fr", "De", "Es", "It", "Ru", "El", "Zh", "Ko"), nth(1),
             "jawiki's language-code templates: the text", "{{en|Tokyo}} → Tokyo"),
    Template(("Nihongo", "Nihongo4"), nihongo,
             "enwiki: English (Japanese: kanji, Hepburn: rōmaji); elsewhere English (kanji, rōmaji)",
             "{{nihongo|Tokyo|東京|Tōkyō}} → Tokyo (Japanese: 東京, Hepburn: Tōkyō)", wiki="en"),
    Template(("Nihongo3",), nihongo3, "rōmaji (kanji, English)", "{{nihongo3|Tōkyō|東京|Tokyo}} → Tōkyō (東京, Tokyo)"),
    Template(("Nihongo2", "Nihongo foot"), nth(1), "the Japanese text", "{{nihongo2|東京}} → 東京"),
    Template(("JIS2004フォント", "補助漢字フォント", "CP932フォント", "JIS90フォント", "JIS X 0213フォント",
              "Unicode", "Polytonic", "Script/Hebrew"), nth(1),
             "the character (the template only picks a font)", "{{JIS2004フォント|𠮷}}野家 → 𠮷野家"),
    Template(("拡張漢字",), last, "the character (the last argument; the first names its plane)",
             "{{拡張漢字|B|𠀋}} → 𠀋"),
    Template(("生年月日と年齢", "Birth date and age", "Bda", "Birth-date and age"), birth_date_and_age,
             "the birth date and the age as of the page's revision date (jawiki: 年月日（N歳）)",
             "{{生年月日と年齢|1990|5|15}} → 1990年5月15日（36歳）"),
    Template(("死亡年月日と没年齢",), death_date_and_age_ja,
             "jawiki (birth y|m|d|death y|m|d): the death date and the age at death",
             "{{死亡年月日と没年齢|1934|5|3|2020|1|2}} → 2020年1月2日（85歳没）"),
    Template(("Death date and age", "Dda"), death_date_and_age_en,
             "enwiki order (death y|m|d|birth y|m|d): the death date and the age at death",
             "{{death date and age|2020|1|2|1934|5|3}} → January 2, 2020 (aged 85)", wiki="en"),
    Template(("没年齢",), age_at_death, "the age at death (a number)", "{{没年齢|1934|5|3|2020|1|2}}歳 → 85歳"),
    Template(("年齢", "Age"), age_template,
             "the age as of the page's revision date, or at a second date given (a number)",
             "{{年齢|1990|5|15|2020|5|14}} → 29"),
    Template(("生年月日", "Birth date", "Death date", "Start date", "End date", "死亡年月日", "Dts"), plain_date,
             "the date (jawiki: 年月日; enwiki: Month D, YYYY, or D Month YYYY with df=y)",
             "{{birth date|1990|5|15}} → May 15, 1990", wiki="en"),
    Template(("Birth year and age", "生年と年齢"), birth_year_and_age,
             "the birth year and the possible ages as of the page's revision date",
             "{{birth year and age|1990}} → 1990 (age 35–36)", wiki="en"),
    Template(("Convert", "Cvt", "単位変換", "Convert/flip"), convert,
             "value and unit symbol, then the converted value (full-width parentheses on jawiki)",
             "{{convert|100|C|F}} → 100 °C（212 °F）"),
    Template(("Val",), val, "the number with its uncertainty, exponent and unit",
             "{{val|1.234|0.005|e=5|u=m}} → 1.234±0.005×10⁵ m"),
    Template(("Flag", "Flagcountry", "Flag country", "Flagu", "国旗"), flag,
             "the country's name (jawiki/enwiki article title), linked; other names as written",
             "{{flagcountry|JPN}} → 日本"),
    Template(tuple(sorted(code for code in {*COUNTRIES, "UK", "PHI", "GER", "NED", "SUI", "POR", "DEN", "CRO", "RSA",
                                            "GRE", "BUL", "INA", "IRI", "MAS", "URS", "KSA", "UAE"}
                          if code not in ("EU",))),
             country_code, "country-code templates: the country's name, linked", "{{THA}} → タイ王国", exact=True),
    Template(("Math", "Mvar", "Var", "Tmath"), nth(1),
             "the formula as written (wikitext rendered; Tmath: its TeX source)", "{{mvar|n}} → n"),
    Template(("Chem",), joined, "the formula's parts joined", "{{chem|H|2|O}} → H2O"),
    Template(("Chem2", "Ce", "化学式"), nth(1), "the formula as written", "{{chem2|H2O}} → H2O"),
    Template(("Sub", "Sup"), nth(1), "the text", "x{{sup|2}} → x2"),
    Template(("Frac", "Sfrac", "分数"), frac, "the fraction with a fraction slash", "{{frac|1|2}} → 1⁄2"),
    Template(("Quote", "Blockquote", "Quotation", "Cquote", "Quote box"), quote,
             "the quotation as its own line, then “— author, source” when given",
             "{{Quote|来た、見た、勝った。|カエサル}} → 来た、見た、勝った。 / — カエサル"),
    Template(("Visible anchor", "Vanchor", "Visible anchors"), visible_anchor, "the text",
             "{{Visible anchor|Foo}} → Foo"),
    Template(("Nowrap", "Nobr", "Keep together"), nth(1), "the text", "{{nowrap|東京 都}} → 東京 都"),
    Template(("Small", "Smaller", "Big", "Larger", "Large", "Midsize", "Center", "Font", "Bold", "Italic", "Abbr",
              "Sic", "IPA", "Transl-short", "Ipa2", "IPA2", "Smallcaps", "Strikethrough", "Underline",
              "Highlight"),
             nth(1), "the text (formatting only)", "{{small|注}} → 注"),
    Template(("Resize", "Font color", "Fontcolor", "Colour"), last, "the text (the last argument)",
             "{{resize|90%|小}} → 小"),
    Template(("Color", "Legend", "Audio", "Weight", "Rtl-lang", "Script"), last_of_two,
             "the text (argument 2)", "{{color|red|赤}} → 赤"),
    Template(("IPAc-en", "IPAc-ja"), ipac, "the sounds joined, between slashes", "{{IPAc-en|ˈ|t|oʊ|k|i|oʊ}} → /ˈtoʊkioʊ/"),
    Template(("Respell",), respell, "the respelling, syllables joined by hyphens", "{{respell|ASS|kee}} → ASS-kee",
             wiki="en"),
    Template(("Transl",), transl, "the transliteration (the last argument)", "{{transl|ja|Tōkyō}} → Tōkyō"),
    Template(("Circa", "C."), circa, "c. and the year", "{{circa|1900}} → c. 1900"),
    Template(("As of",), as_of, "As of and the date", "{{as of|2020}} → As of 2020", wiki="en"),
    Template(("Interlang",), interlang, "the text of a link to another wiki, no anchor", "{{interlang|et|Tallinn}} → Tallinn"),
    Template(("Enlink",), enlink, "the text of a link to enwiki, no anchor", "{{enlink|Example Lake|湖}} → 湖"),
    *(Template(names, None, "a constant", f"a{{{{{names[0]}}}}}b → a{value}b", value) for names, value in _CONSTANTS),
)

PATTERNS: tuple[tuple[str, str, Template], ...] = (
    ("prefix", "Lang-", Template(("Lang-xx",), lang_xx,
                                 "jawiki: language name and text (英語: text; -short: 英: text); elsewhere the text",
                                 "{{lang-en-short|Tokyo}} → 英: Tokyo")),
    ("prefix", "IPA-", Template(("IPA-xx",), nth(1), "the transcription", "{{IPA-ja|toːkʲoː}} → toːkʲoː")),
    ("suffix", "範囲", Template(("…範囲",), nth(1), "the text the template marks (要出典範囲 ...)",
                               "{{要出典範囲|町は湖の畔にある}} → 町は湖の畔にある")),
)
