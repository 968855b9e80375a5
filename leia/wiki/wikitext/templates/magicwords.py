"""Magic words that need no template page: the page words (``{{PAGENAME}}``, ``{{NAMESPACE}}`` ... of the page
being rendered, or of a title given after a colon) and the date words (``{{CURRENTYEAR}}``,
``{{CURRENTMONTHNAME}}`` ... of the date the page is rendered as of), with the names jawiki also accepts.
A word whose page or date is unknown has the value :data:`UNKNOWN`.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING, Callable

from leia.wiki.titles import normalize_title

if TYPE_CHECKING:
    from leia.wiki.wikitext.templates.expand import Expander

__all__ = ["UNKNOWN", "Unknown", "PAGE_WORDS", "page_word", "variables"]


class Unknown:
    """The value of what depends on a template this converter does not render, or on an unknown page or
    date."""


UNKNOWN = Unknown()

# -- page words ---------------------------------------------------------------------------------------------

# Namespaces with subpages on the Wikipedias (MediaWiki's $wgNamespacesWithSubpages there): not articles.
_SUBPAGES = frozenset({1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 15, 100, 101, 828, 829})
_ESCAPED = re.compile(r"[\"&'<=>\[\]{|}]")


def _escape(text: str) -> str:
    """A title as wikitext that shows it literally (MediaWiki's wfEscapeWikiText)."""
    return _ESCAPED.sub(lambda m: f"&#{ord(m.group())};", text)


def _title_parts(expander: Expander, raw: str | None) -> tuple[int, str] | None:
    """(namespace, title without its namespace) of ``raw``, else of the page; None when unknown."""
    if raw is None:
        raw = expander.context.title
        if raw is None:
            return None
    normalized = normalize_title(raw, expander.site)
    if normalized is None:
        return None
    namespace, full = normalized
    if namespace != 0:
        full = full.split(":", 1)[1]
    return namespace, full


def page_word(kind: str, encoded: bool) -> Callable[[Expander, str | None], str | Unknown]:
    def word(expander: Expander, raw: str | None = None) -> str | Unknown:
        if raw is None and expander.context.title is None:
            return UNKNOWN
        parts = _title_parts(expander, raw)
        if parts is None:
            return ""
        namespace, name = parts
        site = expander.site
        subject = namespace - 1 if namespace % 2 and namespace > 0 else namespace
        talk = subject + 1 if subject >= 0 else subject
        if kind == "NAMESPACENUMBER":
            return str(namespace)
        if kind in ("NAMESPACE", "SUBJECTSPACE", "ARTICLESPACE", "TALKSPACE"):
            number = talk if kind == "TALKSPACE" else (namespace if kind == "NAMESPACE" else subject)
            shown = site.namespace_name(number)
        else:
            if namespace in _SUBPAGES and "/" in name:
                if kind == "BASEPAGENAME":
                    name = name.rsplit("/", 1)[0]
                elif kind == "ROOTPAGENAME":
                    name = name.split("/", 1)[0]
                elif kind == "SUBPAGENAME":
                    name = name.rsplit("/", 1)[1]
            if kind in ("FULLPAGENAME", "TALKPAGENAME", "SUBJECTPAGENAME", "ARTICLEPAGENAME"):
                number = {"FULLPAGENAME": namespace, "TALKPAGENAME": talk}.get(kind, subject)
                prefix = site.namespace_name(number)
                shown = f"{prefix}:{name}" if prefix else name
            else:
                shown = name
        if encoded:
            return _escape(urllib.parse.quote(shown.replace(" ", "_"), safe=";@$!*(),/~:"))
        return _escape(shown)

    return word


PAGE_WORDS = (
    "PAGENAME", "FULLPAGENAME", "BASEPAGENAME", "SUBPAGENAME", "ROOTPAGENAME", "TALKPAGENAME",
    "SUBJECTPAGENAME", "ARTICLEPAGENAME", "NAMESPACE", "NAMESPACENUMBER", "TALKSPACE", "SUBJECTSPACE",
    "ARTICLESPACE",
)



# -- date words ---------------------------------------------------------------------------------------------

_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "ja": tuple(f"{m}月" for m in range(1, 13)),
    "zh": tuple(f"{m}月" for m in range(1, 13)),
}
_MONTH_ABBREVIATIONS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "ja": _MONTHS["ja"], "zh": _MONTHS["zh"],
}
# Sunday first, as MediaWiki counts CURRENTDOW.
_DAYS = {
    "en": ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
    "ja": ("日曜日", "月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日"),
    "zh": ("星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"),
}


def _date_word(kind: str) -> Callable[[Expander], str | Unknown]:
    def word(expander: Expander) -> str | Unknown:
        date = expander.context.date
        if date is None:
            return UNKNOWN
        lang = expander.site.lang if expander.site.lang in _MONTHS else "en"
        dow = date.isoweekday() % 7
        if kind == "YEAR":
            return str(date.year)
        if kind in ("MONTH", "MONTH2"):
            return f"{date.month:02d}"
        if kind == "MONTH1":
            return str(date.month)
        if kind in ("MONTHNAME", "MONTHNAMEGEN"):
            return _MONTHS[lang][date.month - 1]
        if kind == "MONTHABBREV":
            return _MONTH_ABBREVIATIONS[lang][date.month - 1]
        if kind == "DAY":
            return str(date.day)
        if kind == "DAY2":
            return f"{date.day:02d}"
        if kind == "DOW":
            return str(dow)
        if kind == "DAYNAME":
            return _DAYS[lang][dow]
        if kind == "WEEK":
            return str(date.isocalendar()[1])
        raise AssertionError(kind)

    return word


_DATE_KINDS = ("YEAR", "MONTH", "MONTH1", "MONTH2", "MONTHNAME", "MONTHNAMEGEN", "MONTHABBREV", "DAY",
               "DAY2", "DOW", "DAYNAME", "WEEK")

_VARIABLES: dict[str, Callable[[Expander], str | Unknown]] = {
    **{f"{prefix}{kind}": _date_word(kind) for prefix in ("CURRENT", "LOCAL") for kind in _DATE_KINDS},
    **{name: page_word(name, False) for name in PAGE_WORDS},
    **{name + "E": page_word(name, True) for name in PAGE_WORDS if name != "NAMESPACENUMBER"},
    "CONTENTLANGUAGE": lambda expander: expander.site.lang,
    "CONTENTLANG": lambda expander: expander.site.lang,
}

# The Japanese names jawiki also accepts (MediaWiki's MessagesJa): each line a word, then its names.
_JA_NAMES = """
CURRENTYEAR 現在の年 協定年
CURRENTMONTH 現在の月 協定月
CURRENTMONTH1 現在の月1 協定月1 協定月１
CURRENTMONTHNAME 現在の月名 協定月名
CURRENTMONTHNAMEGEN 現在の月属格
CURRENTMONTHABBREV 現在の月省略形 省略協定月 協定月省略 協定月省略形
CURRENTDAY 現在の日 協定日
CURRENTDAY2 現在の日2 協定日2 協定日２
CURRENTDAYNAME 現在の曜日名 協定曜日
CURRENTWEEK 現在の週
CURRENTDOW 現在の曜日番号
LOCALYEAR 地方時の年 現地年 ローカルイヤー
LOCALMONTH 地方時の月 現地月
LOCALMONTH1 地方時の月1 現地月1 現地月１
LOCALMONTHNAME 地方時の月名1 現地月名
LOCALMONTHNAMEGEN 地方時の月属格
LOCALMONTHABBREV 地方時の月省略形 省略現地月
LOCALDAY 地方時の日 現地日 ローカルデイ
LOCALDAY2 地方時の日2 現地日2 現地日２
LOCALDAYNAME 地方時の曜日名 現地曜日 ローカルデイネーム
LOCALWEEK 地方時の週 現地週 ローカルウィーク
LOCALDOW 地方時の曜日番号
PAGENAME ページ名
PAGENAMEE ページ名E ページ名Ｅ
NAMESPACE 名前空間
TALKSPACE トーク空間 ノート空間 会話空間 トークスペース
SUBJECTSPACE 主空間 標準空間 記事空間
FULLPAGENAME 完全なページ名 フルページ名 完全な記事名 完全記事名
SUBPAGENAME サブページ名
BASEPAGENAME 親ページ名
TALKPAGENAME トークページ名 会話ページ名
SUBJECTPAGENAME 主ページ名 記事ページ名
CONTENTLANGUAGE 内容言語 記事言語 プロジェクト言語
"""
_JA_VARIABLES = {alias: word for line in _JA_NAMES.strip().split("\n") for word, *aliases in [line.split()]
                 for alias in aliases}
_LOCAL_VARIABLES = {"ja": {**_VARIABLES, **{alias: _VARIABLES[word] for alias, word in _JA_VARIABLES.items()}}}


def variables(lang: str) -> dict[str, Callable[[Expander], str | Unknown]]:
    """The magic words of the wiki in language ``lang`` by name (case-sensitive, as MediaWiki's)."""
    return _LOCAL_VARIABLES.get(lang, _VARIABLES)
