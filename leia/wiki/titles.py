"""Page titles as MediaWiki normalises them, and the prefixes that make a link leave the wiki.

``normalize_title`` returns ``(namespace, title)``: the title of a namespace-0 page has no prefix
(``"Cairo"``); any other title carries the wiki's own name of its namespace (``"Category:Egypt"`` on
enwiki, ``"Category:エジプト"`` on jawiki, whose dump names namespace 14 ``Category``), whatever alias the
link used (``画像:X.jpg`` -> ``(6, "ファイル:X.jpg")`` when the dump names namespace 6 ``ファイル``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import unquote

from leia.wiki.siteinfo import SiteInfo

__all__ = [
    "LANGUAGE_CODES",
    "INTERWIKI_PREFIXES",
    "LINK_TRAILS",
    "URL_PROTOCOLS",
    "normalize_title",
    "clean_title",
    "invalid_title",
    "decode_percent",
    "external_prefix",
    "link_trail",
    "upper_first",
]

# Wikipedia language editions (subdomains); a link prefixed by one is a language link or an interwiki link.
LANGUAGE_CODES: frozenset[str] = frozenset("""
aa ab ace ady af ak als alt am ami an ang anp ar arc ary arz as ast atj av avk awa ay az azb ba ban bar
bat-smg bbc bcl be be-tarask be-x-old bew bg bh bi bjn blk bm bn bo bpy br bs btm bug bxr ca cbk-zam cdo
ce ceb ch cho chr chy ckb co cr crh cs csb cu cv cy da dag de dga din diq dsb dty dv dz ee el eml en eo
es et eu ext fa fat ff fi fiu-vro fj fo fon fr frp frr fur fy ga gag gan gcr gd gl glk gn gom gor got gpe
gu guc gur guw gv ha hak haw he hi hif ho hr hsb ht hu hy hyw hz ia iba id ie ig igl ii ik ilo inh io is
it iu ja jam jbo jv ka kaa kab kbd kbp kcg kg kge ki kj kk kl km kn knc ko koi kr krc ks ksh ku kus kv kw
ky la lad lb lbe lez lfn lg li lij lld lmo ln lo lrc lt ltg lv lzh mad mai map-bms mdf mg mh mhr mi min
mk ml mn mni mnw mos mr mrj ms mt mus mwl my myv mzn na nah nap nds nds-nl ne new ng nia nl nn no nov nqo
nr nrm nso nup nv ny oc olo om or os pa pag pam pap pcd pcm pdc pfl pi pih pl pms pnb pnt ps pt pwn qu
rm rmy rn ro roa-rup roa-tara rsk ru rue rw sa sah sat sc scn sco sd se sg sh shi shn si simple sk skr
sl sm smn sn so sq sr srn ss st stq su sv sw syl szl szy ta tay tcy tdd te tet tg th ti tk tl tly tn to
tpi tr trv ts tt tum tw ty tyv udm ug uk ur uz ve vec vep vi vls vo wa war wo wuu xal xh xmf yi yo yue
za zea zgh zh zh-classical zh-min-nan zh-yue zu
""".split())

# Interwiki prefixes of the Wikimedia wikis (the global interwiki map's Wikimedia part and common others).
INTERWIKI_PREFIXES: frozenset[str] = frozenset("""
w wikipedia wikt wiktionary commons c s wikisource b wikibooks q wikiquote n wikinews v wikiversity voy
wikivoyage d wikidata m meta metawikimedia metawiki mw mediawikiwiki species wikispecies wikimedia
foundation wmf wmfdashboard outreach incubator testwiki wikitech phab phabricator mediazilla bugzilla
gerrit toollabs toolforge betawiki translatewiki wikifunctions f sulutil iarchive arxiv doi google
googlegroups imdbname imdbtitle rfc wikiapiary wikia fandom lojban kr mailarchive oldwikisource
""".split())

# MediaWiki's $linkTrail per language (MessagesXx.php): letters glued after ``]]`` join the link's text.
# Languages not listed use English's ``[a-z]+`` (MessagesEn is everyone's fallback); ja, zh, th and the
# other scripts written without spaces have none. ar and hi: Arabic letters / Devanagari letters and signs
# besides a-z.
LINK_TRAILS: dict[str, str | None] = {
    "en": "[a-z]+",
    "de": "[a-zäöüß]+",
    "fr": "[a-zàâçéèêîôûäëïöüùÇÉÂÊÎÔÛÄËÏÖÜÀÈÙ]+",
    "es": "[a-záéíñóúü]+",
    "it": "[a-zàéèíîìóòúù]+",
    "pt": "[a-záâãàéêẽçíòóôõúüűũ]+",
    "nl": "[a-zäöüïëéèà]+",
    "pl": "[a-zęóąśłżźćńĘÓĄŚŁŻŹĆŃ]+",
    "ru": "[a-zабвгдеёжзийклмнопрстуфхцчшщъыьэюя]+",
    "uk": "[a-zабвгґдеєжзиіїйклмнопрстуфхцчшщьюя’`]+",
    "sv": "[a-zåäöé]+",
    "sw": "[a-z]+",
    "ar": "[a-z\u0621-\u064a]+",
    "hi": "[a-z\u0900-\u0963\u0966-\u097f]+",
    "ja": None,
    "zh": None,
    "zh-yue": None,
    "wuu": None,
    "th": None,
    "my": None,
    "km": None,
    "lo": None,
}

# MediaWiki's $wgUrlProtocols: a link target starting with one of these is not a wikilink.
URL_PROTOCOLS = (
    "bitcoin:", "ftp://", "ftps://", "geo:", "git://", "gopher://", "http://", "https://", "irc://", "ircs://",
    "magnet:", "mailto:", "matrix:", "mms://", "news:", "nntp://", "redis://", "sftp://", "sip:", "sips:",
    "sms:", "ssh://", "svn://", "tel:", "telnet://", "urn:", "worldwind://", "xmpp:", "//",
)

_EXTERNAL = LANGUAGE_CODES | INTERWIKI_PREFIXES
_WHITESPACE = re.compile("[\\s_\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_INVALID = re.compile(r"[<>\[\]{}|\x00-\x1f\x7f\ufdd0-\ufdef\ufffd]")
# What MediaWiki's title parser refuses besides those characters: a %-escape or an entity left after
# decoding once, three tildes (a signature), relative paths.
_REFUSED = re.compile(r"%[0-9A-Fa-f]{2}|&[A-Za-z0-9\x80-\U0010ffff]+;|~~~|^\.\.?(?:/|\Z)|/\.\.?(?:/|\Z)")
_URL_START = re.compile("|".join(re.escape(p) for p in URL_PROTOCOLS), re.I)


def upper_first(title: str) -> str:
    """``title`` with its first letter upper-cased as MediaWiki does (a letter whose upper case is several
    letters, such as ß, is left alone)."""
    if not title:
        return title
    head = title[0].upper()
    return head + title[1:] if len(head) == 1 else title


def link_trail(lang: str) -> re.Pattern[str] | None:
    """The compiled link-trail pattern of wiki language ``lang`` (anchored at the start), or None."""
    pattern = LINK_TRAILS.get(lang, LINK_TRAILS["en"])
    return re.compile(pattern) if pattern else None


def decode_percent(text: str) -> str:
    """``text`` with its %-escapes decoded once, as MediaWiki decodes a link target (unchanged when they do
    not decode to UTF-8)."""
    if "%" not in text:
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


def _clean(raw: str) -> str:
    if "&" in raw:
        raw = _ENTITY.sub(lambda m: html.unescape(m.group(0)), raw)
    raw = _WHITESPACE.sub(" ", decode_percent(raw)).strip()
    if not raw.isascii() and not unicodedata.is_normalized("NFC", raw):
        raw = unicodedata.normalize("NFC", raw)
    return raw


def clean_title(raw: str) -> str:
    """A link target with entities and %-escapes decoded once, whitespace and underscores squeezed to one
    space, in Unicode NFC (MediaWiki's form of every title)."""
    return _clean(raw)


def invalid_title(raw: str, site: SiteInfo) -> bool:
    """Whether MediaWiki refuses ``[[raw]]`` as a link and shows the markup as text: a target that starts
    with a URL protocol, holds a character titles cannot hold (``<>[]{}|``, controls, a %-escape or entity
    left after decoding once, ``~~~``), is a relative path (``./foo``), or is empty or a bare namespace
    prefix (``Project:``); a same-page ``#section`` target is valid."""
    text = raw.strip()
    if _URL_START.match(text.lstrip(":")):
        return True
    text = _clean(text)
    if text.startswith(":"):
        text = text[1:].lstrip()
    if text.startswith("#"):
        return False
    title = text.partition("#")[0].rstrip()
    if not title or _INVALID.search(title) or _REFUSED.search(title):
        return True
    head, sep, rest = title.partition(":")
    if sep and not rest.strip() and site.namespace_id(head) is not None:
        return True
    return False


def external_prefix(raw: str) -> str | None:
    """The interwiki or language prefix of a link target (``"en"`` for ``en:Foo`` and ``:en:Foo``), else
    None. Whether the link is a language link (removed) or an inline interwiki link (rendered) depends on
    the leading colon, which the caller sees."""
    text = _clean(raw).lstrip(":").lstrip()
    head, sep, _ = text.partition(":")
    if not sep:
        return None
    key = head.strip().lower().replace(" ", "_")
    if key in _EXTERNAL:
        return key
    return None


def normalize_title(raw: str, site: SiteInfo) -> tuple[int, str] | None:
    """``(namespace, title)`` of a link target as MediaWiki resolves it: entities and %-escapes decoded,
    underscores and whitespace runs to one space, leading colon and ``#fragment`` dropped, namespace
    prefix recognised (canonical, local or alias name) and replaced by the wiki's own name, first letter
    upper-cased where the namespace is first-letter. None for interwiki and language links, same-page
    ``#section`` links, empty and invalid titles."""
    text = _clean(raw)
    if text.startswith(":"):
        text = text[1:].lstrip()
    text = text.partition("#")[0].rstrip()
    if not text or _INVALID.search(text):
        return None
    namespace = 0
    head, sep, rest = text.partition(":")
    if sep:
        found = site.namespace_id(head)
        if found is not None:
            namespace, text = found, rest.lstrip()
        elif head.strip().lower().replace(" ", "_") in _EXTERNAL:
            return None
    if not text and namespace != 0:
        return None
    if site.case_of(namespace) == "first-letter":
        text = upper_first(text)
    if namespace != 0:
        text = f"{site.namespace_name(namespace)}:{text}"
    return namespace, text
