"""The registry of text-bearing templates: each entry names a template with its aliases and redirects, the
function that renders what it shows (as wikitext, which may still hold links) and, for the documentation, what
it shows and an example. docs/templates.md lists the same entries in one table. Templates not in the
registry are dropped; so are parser functions and magic words the registry does not hold.

Names are template keys (``templates.template_key``: first letter upper-cased, underscores as spaces). A few
families are matched by a prefix or a suffix of the name instead (``lang-xx``, ``IPA-xx``, ``…範囲``).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from leia.wiki.countries import COUNTRIES, country
from leia.wiki.interlanguage import INTERLANGUAGE_TEMPLATES, interlanguage_templates
from leia.wiki.templates import Call, template_key
from leia.wiki.units import Unit, convert_value, default_precision, unit

__all__ = ["Template", "Registry", "REGISTRY", "PATTERNS", "registry_for", "markdown_tables"]

Renderer = Callable[[Call], str]


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


# --- simple renderers ---------------------------------------------------------------------------------------


def _nth(number: int) -> Renderer:
    def render(call: Call) -> str:
        return call.arg(number)

    return render


def _last(call: Call) -> str:
    return call.arg(len(call)) if len(call) else ""


def _last_of_two(call: Call) -> str:
    return call.arg(2) if len(call) >= 2 else call.arg(1)


def _joined(call: Call) -> str:
    return "".join(call.args())


def _transl(call: Call) -> str:
    return call.arg(len(call)) if len(call) > 1 else ""


def _reading(call: Call) -> str:
    """``base（reading、note…）`` for the 読み仮名 family and ルビ; the base alone without a reading."""
    base = call.arg(1)
    notes = [part for part in call.args(2) if part]
    return f"{base}（{'、'.join(notes)}）" if notes else base


def _visible_anchor(call: Call) -> str:
    return call.rendered_option("text") or call.arg(1)


def _quote(call: Call) -> str:
    text = call.rendered_option("text", "quote") or call.arg(1)
    source = [part for part in (call.rendered_option("author", "sign") or call.arg(2),
                                call.rendered_option("source", "title") or call.arg(3)) if part]
    if not text:
        return ""
    cite = f"<br>— {', '.join(source)}" if source else ""
    return f"<blockquote>{text}{cite}</blockquote>"


def _nihongo(call: Call) -> str:
    """enwiki: ``English (Japanese: 漢字, Hepburn: rōmaji)``; elsewhere ``English (漢字, rōmaji)``."""
    first, kanji, romaji = call.arg(1), call.arg(2), call.arg(3)
    extra = call.args(4)
    if call.lang == "en":
        rest = [f"Japanese: {kanji}" if kanji else "", f"Hepburn: {romaji}" if romaji else "", *extra]
    else:
        rest = [kanji, romaji, *extra]
    rest = [part for part in rest if part]
    if not rest:
        return first
    return f"{first} ({', '.join(rest)})" if first else ", ".join(rest)


def _nihongo3(call: Call) -> str:
    romaji, kanji, english = call.arg(1), call.arg(2), call.arg(3)
    rest = [part for part in (kanji, english) if part]
    return f"{romaji} ({', '.join(rest)})" if rest else romaji


def _ipac(call: Call) -> str:
    sounds = "".join(part for part in call.args() if part).replace("_", " ")
    return f"/{sounds}/" if sounds else ""


def _respell(call: Call) -> str:
    return "-".join(part for part in call.args() if part).replace("_", " ")


def _frac(call: Call) -> str:
    parts = call.args()
    if len(parts) == 1:
        return f"1⁄{parts[0]}"
    if len(parts) == 2:
        return f"{parts[0]}⁄{parts[1]}"
    if len(parts) >= 3:
        return f"{parts[0]} {parts[1]}⁄{parts[2]}"
    return ""


def _circa(call: Call) -> str:
    year = call.arg(1)
    return f"c. {year}" if year else "c."


def _as_of(call: Call) -> str:
    words = "as of" if call.option("lc") in ("y", "yes", "on") else "As of"
    date = _date_text(call, 1, call.lang == "ja")
    return f"{words} {date}" if date else words


def _lang_xx(call: Call) -> str:
    """jawiki ``{{lang-en|text}}``: ``英語: text``, ``{{lang-en-short|text}}``: ``英: text``; the text alone for a
    language code not in the table and on other wikis."""
    text = call.arg(1)
    if call.lang != "ja" or not text:
        return text
    code, short = call.key[len("Lang-"):].lower(), False
    if code.endswith("-short"):
        code, short = code[: -len("-short")], True
    names = JA_LANGUAGE_NAMES.get(code)
    if names is None:
        return text
    return f"{names[1] if short else names[0]}: {text}"


def _langx(call: Call) -> str:
    text = call.arg(2)
    names = JA_LANGUAGE_NAMES.get(call.text(1).lower()) if call.lang == "ja" else None
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


# --- dates and ages -----------------------------------------------------------------------------------------

_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
_YES = ("y", "yes", "on", "true", "1")


class _Date(NamedTuple):
    year: int
    month: int | None
    day: int | None


def _int(text: str) -> int | None:
    text = text.strip()
    if text.startswith("-"):
        return -int(text[1:]) if text[1:].isdigit() else None
    return int(text) if text.isdigit() else None


def _month(text: str) -> int | None:
    number = _int(text)
    if number is not None:
        return number if 1 <= number <= 12 else None
    name = text.strip().capitalize()
    for index, month in enumerate(_EN_MONTHS):
        if name in (month, month[:3]):
            return index + 1
    return None


def _date_at(call: Call, first: int) -> _Date | None:
    """The date in arguments ``first`` (year), ``first + 1`` (month), ``first + 2`` (day); month and day may
    be left out; None when the year is not a number or the date does not exist."""
    year = _int(call.text(first))
    if year is None:
        return None
    month = _month(call.text(first + 1)) if call.text(first + 1) else None
    day = _int(call.text(first + 2)) if month and call.text(first + 2) else None
    if day is not None:
        try:
            datetime.date(year, month, day)
        except ValueError:
            return None
    return _Date(year, month, day)


def _today(call: Call) -> _Date | None:
    date = call.date
    return None if date is None else _Date(date.year, date.month, date.day)


def _age(birth: _Date, on: _Date | None) -> tuple[int, int] | None:
    """The age (lowest, highest) at ``on`` of someone born on ``birth``: one number when both dates are
    known to the day (or the months differ), two when a missing month or day leaves it open."""
    if on is None:
        return None
    years = on.year - birth.year
    if birth.month is None or on.month is None:
        low, high = years - 1, years
    elif birth.month != on.month:
        low = high = years - (on.month < birth.month)
    elif birth.day is None or on.day is None:
        low, high = years - 1, years
    else:
        low = high = years - (on.day < birth.day)
    if high < 0:
        return None
    return max(low, 0), high


def _age_text(age: tuple[int, int]) -> str:
    return str(age[0]) if age[0] == age[1] else f"{age[0]}–{age[1]}"


def _with_age(shown: str, age: tuple[int, int] | None, ja: bool, died: bool = False) -> str:
    """A date followed by an age: ``（36歳）``/``（85歳没）`` on jawiki, ``(age 36)``/``(aged 85)`` elsewhere."""
    if age is None:
        return shown
    if ja:
        return f"{shown}（{_age_text(age)}歳{'没' if died else ''}）"
    return f"{shown} ({'aged' if died else 'age'} {_age_text(age)})"


def _format_date(date: _Date, ja: bool, day_first: bool = False) -> str:
    if ja:
        return f"{date.year}年" + (f"{date.month}月" if date.month else "") + (f"{date.day}日" if date.day else "")
    if date.month is None:
        return str(date.year)
    month = _EN_MONTHS[date.month - 1]
    if date.day is None:
        return f"{month} {date.year}"
    return f"{date.day} {month} {date.year}" if day_first else f"{month} {date.day}, {date.year}"


def _date_text(call: Call, first: int, ja: bool) -> str:
    date = _date_at(call, first)
    if date is None:
        return call.arg(first)
    return _format_date(date, ja, call.option("df") in _YES)


def _japanese(call: Call) -> bool:
    return call.lang == "ja"


def _birth_date_and_age(call: Call) -> str:
    """``1990年5月15日（36歳）`` (jawiki) / ``May 15, 1990 (age 36)``: the age as of the page's date, left
    out when that date is unknown."""
    birth = _date_at(call, 1)
    if birth is None:
        return call.arg(1)
    ja = _japanese(call)
    return _with_age(_format_date(birth, ja, call.option("df") in _YES), _age(birth, _today(call)), ja)


def _death_and_age(death: _Date | None, birth: _Date | None, call: Call, fallback: int) -> str:
    if death is None:
        return call.arg(fallback)
    ja = _japanese(call)
    age = _age(birth, death) if birth is not None else None
    return _with_age(_format_date(death, ja, call.option("df") in _YES), age, ja, died=True)


def _death_date_and_age_ja(call: Call) -> str:
    """jawiki ``{{死亡年月日と没年齢|birth y|m|d|death y|m|d}}``: ``2020年1月2日（85歳没）``."""
    return _death_and_age(_date_at(call, 4), _date_at(call, 1), call, 4)


def _death_date_and_age_en(call: Call) -> str:
    """enwiki ``{{death date and age|death y|m|d|birth y|m|d}}``: ``January 2, 2020 (aged 85)``."""
    return _death_and_age(_date_at(call, 1), _date_at(call, 4), call, 1)


def _age_number(call: Call, birth_first: int, end_first: int | None) -> str:
    birth = _date_at(call, birth_first)
    if birth is None:
        return ""
    end = _date_at(call, end_first) if end_first is not None and call.text(end_first) else _today(call)
    age = _age(birth, end)
    return "" if age is None else _age_text(age)


def _age_template(call: Call) -> str:
    """``{{年齢|y|m|d}}`` / ``{{age|y|m|d}}``: the age as of the page's date (or of a second date given)."""
    return _age_number(call, 1, 4)


def _age_at_death(call: Call) -> str:
    """jawiki ``{{没年齢|birth y|m|d|death y|m|d}}``: the age at death, a number."""
    return _age_number(call, 1, 4)


def _plain_date(call: Call) -> str:
    return _date_text(call, 1, _japanese(call))


def _birth_year_and_age(call: Call) -> str:
    birth = _date_at(call, 1)
    if birth is None:
        return call.arg(1)
    ja = _japanese(call)
    return _with_age(_format_date(_Date(birth.year, None, None), ja), _age(birth, _today(call)), ja)


# --- numbers and units --------------------------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("0123456789-−+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻⁺")
_RANGE_WORDS = {
    "-": "–", "–": "–", "to": " to ", "to(-)": " to ", "and": " and ", "and(-)": " and ", "or": " or ",
    "x": " × ", "×": " × ", "by": " by ", "+": " + ", "&": " & ", "+/-": " ± ", "±": " ± ",
}


def _number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("−", "-")
    if not cleaned or cleaned[-1:] in ("e", "E") or not any(c.isdigit() for c in cleaned):
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) < 1e100 else None


def _group(digits: str) -> str:
    whole, dot, fraction = digits.partition(".")
    if len(whole) > 3 and whole.isdigit():
        whole = f"{int(whole):,}"
    return whole + dot + fraction


def _show_input(text: str) -> str:
    cleaned = text.strip().replace(",", "")
    negative = cleaned.startswith(("-", "−"))
    body = _group(cleaned.lstrip("-−+"))
    return ("−" if negative else "") + body


_MAX_PLACES = 12


def _show_number(value: float, places: int) -> str:
    places = max(-_MAX_PLACES, min(places, _MAX_PLACES))
    rounded = round(value, places)
    if places <= 0:
        shown = f"{int(rounded):,}"
    else:
        shown = f"{rounded:,.{places}f}"
    if shown.startswith("-"):
        shown = "0" if not rounded else "−" + shown[1:]
    return shown


def _feet_inches(metres: float) -> str:
    inches = round(metres / 0.0254)
    feet, inches = divmod(inches, 12)
    return f"{feet} ft {inches} in" if feet else f"{inches} in"


def _convert(call: Call) -> str:
    """``{{convert|100|C|F}}``: ``100 °C (212 °F)``, full-width parentheses on jawiki."""
    args = [call.arg(number) for number in range(1, len(call) + 1)]
    if not args:
        return ""
    values = [args[0]]
    joiners: list[str] = []
    index = 1
    while index + 1 < len(args) and args[index] in _RANGE_WORDS and _number(args[index + 1]) is not None:
        joiners.append(_RANGE_WORDS[args[index]])
        values.append(args[index + 1])
        index += 2
    source = unit(args[index]) if index < len(args) else None
    written_unit = args[index] if index < len(args) else ""
    index += 1
    parts = [(values[0], source)]
    if (len(values) == 1 and source is not None and index + 1 < len(args) and _number(args[index]) is not None
            and (second := unit(args[index + 1])) is not None and second.dimension == source.dimension
            and second.dimension != "temperature"):
        parts.append((args[index], second))
        index += 2
    numbers = [_number(value) for value in values]
    shown_in = "".join(_show_input(v) + j for v, j in zip(values, joiners + [""])) if None not in numbers \
        else "".join(v + j for v, j in zip(values, joiners + [""]))
    if source is None or None in numbers or any(_number(v) is None for v, _ in parts):
        return f"{shown_in} {written_unit}".strip()
    if len(parts) > 1:
        shown_in = " ".join(f"{_show_input(v)} {u.symbol}" for v, u in parts)
    else:
        shown_in = f"{shown_in} {source.symbol}" if not source.code.startswith("/") else shown_in + source.symbol
    target_codes = (args[index] if index < len(args) else "").split()
    if len(target_codes) == 1 and _int(target_codes[0]) is not None:
        target_codes = []
    else:
        index += 1
    target_codes = target_codes or [source.default]
    places_arg = _int(args[index]) if index < len(args) else None
    outputs: list[str] = []
    for code in target_codes:
        shown = _converted(code, source, parts, numbers, joiners, values, places_arg, call)
        if shown:
            outputs.append(shown)
    if not outputs:
        return shown_in
    result = "; ".join(outputs)
    disp = call.option("disp").lower()
    if disp in ("out", "output only"):
        return result
    if disp == "or":
        return f"{shown_in} or {result}"
    if disp == "flip":
        shown_in, result = result, shown_in
    return f"{shown_in}（{result}）" if call.lang == "ja" else f"{shown_in} ({result})"


def _converted(code: str, source: Unit, parts, numbers, joiners, values, places_arg, call: Call) -> str:
    if code == "ftin" and source.dimension == "length":
        if len(numbers) > 1:
            return ""
        metres = sum(_number(v) * u.factor for v, u in parts)
        return _feet_inches(metres)
    target = unit(code)
    if target is None or target.dimension != source.dimension or target.code == source.code:
        return ""
    if len(parts) > 1:
        base = sum(_number(v) * u.factor for v, u in parts)
        results = [base / target.factor]
        written = [parts[-1][0]]
        inputs = [_number(parts[-1][0]) * parts[-1][1].factor / source.factor]
    else:
        results = [convert_value(n, source, target) for n in numbers]
        written = values
        inputs = numbers
    sigfig = _int(call.option("sigfig"))
    shown: list[str] = []
    for result, text, value in zip(results, written, inputs):
        if sigfig and sigfig > 0 and result:
            places = sigfig - 1 - math.floor(math.log10(abs(result)))
        elif places_arg is not None:
            places = places_arg
        else:
            places = default_precision(text, value, result, source, target)
        shown.append(_show_number(result, places))
    if len(parts) > 1:
        number = shown[0]
    else:
        number = "".join(s + j for s, j in zip(shown, joiners + [""]))
    return number + target.symbol if target.code.startswith("/") else f"{number} {target.symbol}"


def _val(call: Call) -> str:
    """``{{val|1.234|0.005|e=5|u=m}}``: ``1.234±0.005×10⁵ m``."""
    number = call.arg(1)
    if not number:
        return ""
    shown = _show_input(number) if _number(number) is not None else number
    second, third = call.arg(2), call.arg(3)
    if second.startswith("(") and second.endswith(")"):
        shown += second
    elif second and third:
        shown += f"+{second.lstrip('+')}−{third.lstrip('-−')}"
    elif second:
        shown += f"±{second}"
    exponent = call.option("e")
    if exponent:
        shown = f"{shown}×10{exponent.translate(_SUPERSCRIPTS)}"
    prefix = call.rendered_option("p")
    suffix = call.rendered_option("s")
    units = call.rendered_option("u", "ul")
    per = call.rendered_option("up", "upl")
    if units:
        shown += units if units[:1] in ("%", "°", "′", "″") else f" {units}"
    if per:
        shown += f"/{per}"
    return f"{prefix}{shown}{suffix}"


# --- countries ----------------------------------------------------------------------------------------------


def _country_link(call: Call, name: str) -> str:
    found = country(name) if name else None
    shown = call.rendered_option("name")
    if found is None or call.lang not in ("ja", "en"):
        return shown or call.render(name)
    title = found.ja if call.lang == "ja" else found.en
    return f"[[{title}|{shown}]]" if shown else f"[[{title}]]"


def _flag(call: Call) -> str:
    """``{{flagcountry|JPN}}``: the country's name (jawiki ``日本``, enwiki ``Japan``), linked to its article."""
    return _country_link(call, call.text(1))


def _country_code(call: Call) -> str:
    return _country_link(call, call.key)


# --- interlanguage links ------------------------------------------------------------------------------------


def _interlanguage(parse) -> Renderer:
    def render(call: Call) -> str:
        link = parse(call)
        return call.link(link.local, call.render(link.label) if link.label else "", link.english)

    return render


def _interlang(call: Call) -> str:
    return call.arg(3) or call.arg(2)


def _enlink(call: Call) -> str:
    return call.arg(2) or call.arg(1)


# --- the registry -------------------------------------------------------------------------------------------

_CONSTANTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("!",), "|"), (("=",), "="), (("0",), ""), (("-", "Clear", "Clearleft", "Clear left"), ""),
    (("Ndash", "En dash"), "–"), (("Mdash", "Em dash"), "—"), (("Snd", "Spnd", "Spaced ndash"), " – "),
    (("·", "Dot", "Middot"), " · "), (("•", "Bull", "Bullet"), " • "), (("Nbsp", "Sp", "Spaces"), " "),
    (("'",), "'"), (("Nowrap begin", "Nowrap end", "Nobr begin", "Nobr end"), ""),
)

REGISTRY: tuple[Template, ...] = (
    Template(("読み仮名", "読み仮名 ruby不使用", "読み仮名_ruby不使用"), _reading,
             "the term, then its reading (and any further notes) in full-width parentheses",
             "{{読み仮名|'''織田 信長'''|おだ のぶなが}} → 織田 信長（おだ のぶなが）"),
    Template(("ルビ", "Ruby", "Ruby-ja"), _reading, "the base text, then its reading in full-width parentheses",
             "{{ルビ|漢字|かんじ}} → 漢字（かんじ）"),
    Template(("Lang",), _nth(2), "the text (argument 2)", "{{lang|en|Tokyo}} → Tokyo"),
    Template(("Langx",), _langx, "jawiki: language name and text; elsewhere the text",
             "{{langx|fr|Paris}} → フランス語: Paris"),
    Template(("En", "La", "Fr", "De", "Es", "It", "Ru", "El", "Zh", "Ko"), _nth(1),
             "jawiki's language-code templates: the text", "{{en|Tokyo}} → Tokyo"),
    Template(("Nihongo", "Nihongo4"), _nihongo,
             "enwiki: English (Japanese: kanji, Hepburn: rōmaji); elsewhere English (kanji, rōmaji)",
             "{{nihongo|Tokyo|東京|Tōkyō}} → Tokyo (Japanese: 東京, Hepburn: Tōkyō)", wiki="en"),
    Template(("Nihongo3",), _nihongo3, "rōmaji (kanji, English)", "{{nihongo3|Tōkyō|東京|Tokyo}} → Tōkyō (東京, Tokyo)"),
    Template(("Nihongo2", "Nihongo foot"), _nth(1), "the Japanese text", "{{nihongo2|東京}} → 東京"),
    Template(("JIS2004フォント", "補助漢字フォント", "CP932フォント", "JIS90フォント", "JIS X 0213フォント",
              "Unicode", "Polytonic", "Script/Hebrew"), _nth(1),
             "the character (the template only picks a font)", "{{JIS2004フォント|𠮷}}野家 → 𠮷野家"),
    Template(("拡張漢字",), _last, "the character (the last argument; the first names its plane)",
             "{{拡張漢字|B|𠀋}} → 𠀋"),
    Template(("生年月日と年齢", "Birth date and age", "Bda", "Birth-date and age"), _birth_date_and_age,
             "the birth date and the age as of the page's revision date (jawiki: 年月日（N歳）)",
             "{{生年月日と年齢|1990|5|15}} → 1990年5月15日（36歳）"),
    Template(("死亡年月日と没年齢",), _death_date_and_age_ja,
             "jawiki (birth y|m|d|death y|m|d): the death date and the age at death",
             "{{死亡年月日と没年齢|1934|5|3|2020|1|2}} → 2020年1月2日（85歳没）"),
    Template(("Death date and age", "Dda"), _death_date_and_age_en,
             "enwiki order (death y|m|d|birth y|m|d): the death date and the age at death",
             "{{death date and age|2020|1|2|1934|5|3}} → January 2, 2020 (aged 85)", wiki="en"),
    Template(("没年齢",), _age_at_death, "the age at death (a number)", "{{没年齢|1934|5|3|2020|1|2}}歳 → 85歳"),
    Template(("年齢", "Age"), _age_template,
             "the age as of the page's revision date, or at a second date given (a number)",
             "{{年齢|1990|5|15|2020|5|14}} → 29"),
    Template(("生年月日", "Birth date", "Death date", "Start date", "End date", "死亡年月日", "Dts"), _plain_date,
             "the date (jawiki: 年月日; enwiki: Month D, YYYY, or D Month YYYY with df=y)",
             "{{birth date|1990|5|15}} → May 15, 1990", wiki="en"),
    Template(("Birth year and age", "生年と年齢"), _birth_year_and_age,
             "the birth year and the possible ages as of the page's revision date",
             "{{birth year and age|1990}} → 1990 (age 35–36)", wiki="en"),
    Template(("Convert", "Cvt", "単位変換", "Convert/flip"), _convert,
             "value and unit symbol, then the converted value (full-width parentheses on jawiki)",
             "{{convert|100|C|F}} → 100 °C（212 °F）"),
    Template(("Val",), _val, "the number with its uncertainty, exponent and unit",
             "{{val|1.234|0.005|e=5|u=m}} → 1.234±0.005×10⁵ m"),
    Template(("Flag", "Flagcountry", "Flag country", "Flagu", "国旗"), _flag,
             "the country's name (jawiki/enwiki article title), linked; other names as written",
             "{{flagcountry|JPN}} → 日本"),
    Template(tuple(sorted(code for code in {*COUNTRIES, "UK", "PHI", "GER", "NED", "SUI", "POR", "DEN", "CRO", "RSA",
                                            "GRE", "BUL", "INA", "IRI", "MAS", "URS", "KSA", "UAE"}
                          if code not in ("EU",))),
             _country_code, "country-code templates: the country's name, linked", "{{THA}} → タイ王国", exact=True),
    Template(("Math", "Mvar", "Var", "Tmath"), _nth(1),
             "the formula as written (wikitext rendered; Tmath: its TeX source)", "{{mvar|n}} → n"),
    Template(("Chem",), _joined, "the formula's parts joined", "{{chem|H|2|O}} → H2O"),
    Template(("Chem2", "Ce", "化学式"), _nth(1), "the formula as written", "{{chem2|H2O}} → H2O"),
    Template(("Sub", "Sup"), _nth(1), "the text", "x{{sup|2}} → x2"),
    Template(("Frac", "Sfrac", "分数"), _frac, "the fraction with a fraction slash", "{{frac|1|2}} → 1⁄2"),
    Template(("Quote", "Blockquote", "Quotation", "Cquote", "Quote box"), _quote,
             "the quotation as its own line, then “— author, source” when given",
             "{{Quote|来た、見た、勝った。|カエサル}} → 来た、見た、勝った。 / — カエサル"),
    Template(("Visible anchor", "Vanchor", "Visible anchors"), _visible_anchor, "the text",
             "{{Visible anchor|Foo}} → Foo"),
    Template(("Nowrap", "Nobr", "Keep together"), _nth(1), "the text", "{{nowrap|東京 都}} → 東京 都"),
    Template(("Small", "Smaller", "Big", "Larger", "Large", "Midsize", "Center", "Font", "Bold", "Italic", "Abbr",
              "Sic", "IPA", "Transl-short", "Ipa2", "IPA2", "Smallcaps", "Strikethrough", "Underline",
              "Highlight"),
             _nth(1), "the text (formatting only)", "{{small|注}} → 注"),
    Template(("Resize", "Font color", "Fontcolor", "Colour"), _last, "the text (the last argument)",
             "{{resize|90%|小}} → 小"),
    Template(("Color", "Legend", "Audio", "Weight", "Rtl-lang", "Script"), _last_of_two,
             "the text (argument 2)", "{{color|red|赤}} → 赤"),
    Template(("IPAc-en", "IPAc-ja"), _ipac, "the sounds joined, between slashes", "{{IPAc-en|ˈ|t|oʊ|k|i|oʊ}} → /ˈtoʊkioʊ/"),
    Template(("Respell",), _respell, "the respelling, syllables joined by hyphens", "{{respell|ASS|kee}} → ASS-kee",
             wiki="en"),
    Template(("Transl",), _transl, "the transliteration (the last argument)", "{{transl|ja|Tōkyō}} → Tōkyō"),
    Template(("Circa", "C."), _circa, "c. and the year", "{{circa|1900}} → c. 1900"),
    Template(("As of",), _as_of, "As of and the date", "{{as of|2020}} → As of 2020", wiki="en"),
    Template(("Interlang",), _interlang, "the text of a link to another wiki, no anchor", "{{interlang|et|Tallinn}} → Tallinn"),
    Template(("Enlink",), _enlink, "the text of a link to enwiki, no anchor", "{{enlink|Example Lake|湖}} → 湖"),
    *(Template(names, None, "a constant", f"a{{{{{names[0]}}}}}b → a{value}b", value) for names, value in _CONSTANTS),
)

PATTERNS: tuple[tuple[str, str, Template], ...] = (
    ("prefix", "Lang-", Template(("Lang-xx",), _lang_xx,
                                 "jawiki: language name and text (英語: text; -short: 英: text); elsewhere the text",
                                 "{{lang-en-short|Tokyo}} → 英: Tokyo")),
    ("prefix", "IPA-", Template(("IPA-xx",), _nth(1), "the transcription", "{{IPA-ja|toːkʲoː}} → toːkʲoː")),
    ("suffix", "範囲", Template(("…範囲",), _nth(1), "the text the template marks (要出典範囲 ...)",
                               "{{要出典範囲|町は湖の畔にある}} → 町は湖の畔にある")),
)


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
    for template in REGISTRY:
        for name in template.names:
            templates.setdefault(template_key(name), template)
    for name, parse in interlanguage_templates(lang).items():
        templates[template_key(name)] = Template((name,), _interlanguage(parse), "an interlanguage link")
    return Registry(templates)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_tables() -> str:
    """The registry as the tables of docs/templates.md: one row per entry (then one per name family), and
    one row per wiki's interlanguage-link templates."""
    rows = ["| Template | Aliases and redirects | Shows | Example (wiki) |", "| --- | --- | --- | --- |"]
    for template in REGISTRY + tuple(entry for _, _, entry in PATTERNS):
        names = template.names
        if len(names) > 12:
            aliases = ", ".join(names[:6]) + f", … ({len(names)} codes: `leia.wiki.countries`)"
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
