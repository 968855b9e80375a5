"""What the text-bearing templates of the registry that show their arguments' text show: the text itself
(formatting, font and language templates), readings, Japanese terms, pronunciations, fractions, quotations,
language names before a text (jawiki's ``{{lang-xx}}``), country names linked to their articles, and
interlanguage links.
"""

from __future__ import annotations

from leia.wiki.wikitext.templates.calls import Call, Renderer
from leia.wiki.wikitext.templates.renderers.countries import country

__all__ = [
    "nth", "last", "last_of_two", "joined", "transl", "reading", "visible_anchor", "quote",
    "nihongo", "nihongo3", "ipac", "respell", "frac", "circa", "lang_xx", "langx",
    "flag", "country_code", "interlanguage", "interlang", "enlink", "JA_LANGUAGE_NAMES",
]


def nth(number: int) -> Renderer:
    def render(call: Call) -> str:
        return call.rendered(number)

    return render


def last(call: Call) -> str:
    return call.rendered(len(call)) if len(call) else ""


def last_of_two(call: Call) -> str:
    return call.rendered(2) if len(call) >= 2 else call.rendered(1)


def joined(call: Call) -> str:
    return "".join(call.rendered_from())


def transl(call: Call) -> str:
    return call.rendered(len(call)) if len(call) > 1 else ""


def reading(call: Call) -> str:
    """``base（reading、note…）`` for the 読み仮名 family and ルビ; the base alone without a reading."""
    base = call.rendered(1)
    notes = [part for part in call.rendered_from(2) if part]
    return f"{base}（{'、'.join(notes)}）" if notes else base


def visible_anchor(call: Call) -> str:
    return call.rendered_option("text") or call.rendered(1)


def quote(call: Call) -> str:
    text = call.rendered_option("text", "quote") or call.rendered(1)
    source = [part for part in (call.rendered_option("author", "sign") or call.rendered(2),
                                call.rendered_option("source", "title") or call.rendered(3)) if part]
    if not text:
        return ""
    cite = f"<br>— {', '.join(source)}" if source else ""
    return f"<blockquote>{text}{cite}</blockquote>"


def nihongo(call: Call) -> str:
    """enwiki: ``English (Japanese: 漢字, Hepburn: rōmaji)``; elsewhere ``English (漢字, rōmaji)``."""
    first, kanji, romaji = call.rendered(1), call.rendered(2), call.rendered(3)
    extra = call.rendered_from(4)
    if call.lang == "en":
        rest = [f"Japanese: {kanji}" if kanji else "", f"Hepburn: {romaji}" if romaji else "", *extra]
    else:
        rest = [kanji, romaji, *extra]
    rest = [part for part in rest if part]
    if not rest:
        return first
    return f"{first} ({', '.join(rest)})" if first else ", ".join(rest)


def nihongo3(call: Call) -> str:
    romaji, kanji, english = call.rendered(1), call.rendered(2), call.rendered(3)
    rest = [part for part in (kanji, english) if part]
    return f"{romaji} ({', '.join(rest)})" if rest else romaji


def ipac(call: Call) -> str:
    sounds = "".join(part for part in call.rendered_from() if part).replace("_", " ")
    return f"/{sounds}/" if sounds else ""


def respell(call: Call) -> str:
    return "-".join(part for part in call.rendered_from() if part).replace("_", " ")


def frac(call: Call) -> str:
    parts = call.rendered_from()
    if len(parts) == 1:
        return f"1⁄{parts[0]}"
    if len(parts) == 2:
        return f"{parts[0]}⁄{parts[1]}"
    if len(parts) >= 3:
        return f"{parts[0]} {parts[1]}⁄{parts[2]}"
    return ""


def circa(call: Call) -> str:
    year = call.rendered(1)
    return f"c. {year}" if year else "c."



def lang_xx(call: Call) -> str:
    """jawiki ``{{lang-en|text}}``: ``英語: text``, ``{{lang-en-short|text}}``: ``英: text``; the text alone for a
    language code not in the table and on other wikis."""
    text = call.rendered(1)
    if call.lang != "ja" or not text:
        return text
    code, short = call.key[len("Lang-"):].lower(), False
    if code.endswith("-short"):
        code, short = code[: -len("-short")], True
    names = JA_LANGUAGE_NAMES.get(code)
    if names is None:
        return text
    return f"{names[1] if short else names[0]}: {text}"


def langx(call: Call) -> str:
    text = call.rendered(2)
    names = JA_LANGUAGE_NAMES.get(call.stripped(1).lower()) if call.lang == "ja" else None
    return f"{names[0]}: {text}" if names and text else text


# jawiki's {{lang-xx}} shows "<language name>: text"; {{lang-xx-short}} "<short name>: text".
JA_LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "en": ("英語", "英"), "fr": ("フランス語", "仏"), "de": ("ドイツ語", "独"), "es": ("スペイン語", "西"),
    "it": ("イタリア語", "伊"), "ru": ("ロシア語", "露"), "pt": ("ポルトガル語", "葡"), "nl": ("オランダ語", "蘭"),
    "la": ("ラテン語", "羅"), "el": ("ギリシア語", "希"), "zh": ("中国語", "中"), "ko": ("朝鮮語", "朝"),
    "ar": ("アラビア語", "アラビア語"), "fa": ("ペルシア語", "ペルシア語"), "tr": ("トルコ語", "トルコ語"),
    "pl": ("ポーランド語", "ポーランド語"), "km": ("クメール語", "クメール語"), "id": ("インドネシア語", "インドネシア語"),
    "ms": ("マレー語", "マレー語"), "vi": ("ベトナム語", "ベトナム語"), "th": ("タイ語", "タイ語"),
    "hi": ("ヒンディー語", "ヒンディー語"), "sw": ("スワヒリ語", "スワヒリ語"), "et": ("エストニア語", "エストニア語"),
    "fi": ("フィンランド語", "フィンランド語"), "sv": ("スウェーデン語", "スウェーデン語"), "da": ("デンマーク語", "デンマーク語"),
    "no": ("ノルウェー語", "ノルウェー語"), "hu": ("ハンガリー語", "ハンガリー語"), "cs": ("チェコ語", "チェコ語"),
    "ca": ("カタルーニャ語", "カタルーニャ語"), "qu": ("ケチュア語", "ケチュア語"), "he": ("ヘブライ語", "ヘブライ語"),
    "uk": ("ウクライナ語", "ウクライナ語"), "ro": ("ルーマニア語", "ルーマニア語"), "sr": ("セルビア語", "セルビア語"),
    "hr": ("クロアチア語", "クロアチア語"), "bg": ("ブルガリア語", "ブルガリア語"), "mn": ("モンゴル語", "モンゴル語"),
}



# --- countries ----------------------------------------------------------------------------------------------


def _country_link(call: Call, name: str) -> str:
    found = country(name) if name else None
    shown = call.rendered_option("name")
    if found is None or call.lang not in ("ja", "en"):
        return shown or call.render(name)
    title = found.ja if call.lang == "ja" else found.en
    return f"[[{title}|{shown}]]" if shown else f"[[{title}]]"


def flag(call: Call) -> str:
    """``{{flagcountry|JPN}}``: the country's name (jawiki ``日本``, enwiki ``Japan``), linked to its article."""
    return _country_link(call, call.stripped(1))


def country_code(call: Call) -> str:
    return _country_link(call, call.key)


# --- interlanguage links ------------------------------------------------------------------------------------


def interlanguage(parse) -> Renderer:
    def render(call: Call) -> str:
        link = parse(call)
        return call.link(link.local, call.render(link.label) if link.label else "", link.english)

    return render


def interlang(call: Call) -> str:
    return call.rendered(3) or call.rendered(2)


def enlink(call: Call) -> str:
    return call.rendered(2) or call.rendered(1)
