"""What a dump's ``<siteinfo>`` says about its wiki: name, language, title case and namespaces (with the
canonical English names and the aliases MediaWiki accepts for them)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SiteInfo", "CANONICAL_NAMESPACES", "NAMESPACE_ALIASES"]

# MediaWiki's canonical (English) namespace names; every wiki accepts them besides its localised names.
CANONICAL_NAMESPACES: dict[int, str] = {
    -2: "Media", -1: "Special", 0: "", 1: "Talk", 2: "User", 3: "User talk", 4: "Project", 5: "Project talk",
    6: "File", 7: "File talk", 8: "MediaWiki", 9: "MediaWiki talk", 10: "Template", 11: "Template talk",
    12: "Help", 13: "Help talk", 14: "Category", 15: "Category talk", 100: "Portal", 101: "Portal talk",
    118: "Draft", 119: "Draft talk", 828: "Module", 829: "Module talk",
}

# Aliases MediaWiki (core and the Wikipedias' settings) accepts, by language; "*" applies to every wiki.
NAMESPACE_ALIASES: dict[str, dict[str, int]] = {
    "*": {"Image": 6, "Image talk": 7, "WP": 4, "WT": 5, "Project": 4, "Project talk": 5},
    "ja": {
        "画像": 6, "画像‐ノート": 7, "ファイル": 6, "利用者": 2, "カテゴリ": 14, "テンプレート": 10,
        "ヘルプ": 12, "ポータル": 100, "トーク": 1, "ノート": 1, "特別": -1, "メディア": -2,
        "モジュール": 828, "プロジェクト": 102, "利用者‐会話": 3,
    },
    "de": {"Bild": 6, "Datei": 6, "Kategorie": 14, "Vorlage": 10, "Benutzer": 2, "Hilfe": 12},
    "fr": {"Fichier": 6, "Image": 6, "Catégorie": 14, "Modèle": 10, "Utilisateur": 2, "Aide": 12},
    "es": {"Archivo": 6, "Imagen": 6, "Categoría": 14, "Plantilla": 10, "Usuario": 2, "Ayuda": 12},
    "ru": {"Файл": 6, "Изображение": 6, "Категория": 14, "Шаблон": 10, "Участник": 2, "Справка": 12},
    "zh": {"文件": 6, "檔案": 6, "档案": 6, "图像": 6, "圖像": 6, "分类": 14, "分類": 14, "模板": 10, "Template": 10},
    "ar": {"ملف": 6, "صورة": 6, "تصنيف": 14, "قالب": 10, "مستخدم": 2},
    "hi": {"चित्र": 6, "श्रेणी": 14, "साँचा": 10, "सदस्य": 2},
    "sw": {"Picha": 6, "Faili": 6, "Jamii": 14, "Kigezo": 10, "Mtumiaji": 2},
}


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class SiteInfo:
    """The wiki a dump comes from. ``namespaces`` maps each namespace number to its local name."""

    dbname: str = "unknownwiki"
    lang: str = "en"
    base: str = ""
    generator: str = ""
    case: str = "first-letter"
    namespaces: dict[int, str] = field(default_factory=lambda: dict(CANONICAL_NAMESPACES))
    namespace_case: dict[int, str] = field(default_factory=dict)
    _lookup: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, int] = {}
        for table in (NAMESPACE_ALIASES["*"], NAMESPACE_ALIASES.get(self.lang, {})):
            for name, key in table.items():
                lookup[_key(name)] = key
        for key, name in CANONICAL_NAMESPACES.items():
            if name:
                lookup[_key(name)] = key
        for key, name in self.namespaces.items():
            if name:
                lookup[_key(name)] = key
        object.__setattr__(self, "_lookup", lookup)

    def namespace_id(self, prefix: str) -> int | None:
        """The namespace a title prefix names (local name, canonical name or alias; any case), else None."""
        return self._lookup.get(_key(prefix))

    def namespace_name(self, key: int) -> str:
        return self.namespaces.get(key, CANONICAL_NAMESPACES.get(key, ""))

    def case_of(self, key: int) -> str:
        """``first-letter`` or ``case-sensitive`` for titles in namespace ``key``."""
        return self.namespace_case.get(key, self.case)

    def to_dict(self) -> dict:
        return {
            "dbname": self.dbname, "lang": self.lang, "base": self.base, "generator": self.generator,
            "case": self.case, "namespaces": {str(k): v for k, v in sorted(self.namespaces.items())},
            "namespace_case": {str(k): v for k, v in sorted(self.namespace_case.items())},
        }

    @classmethod
    def from_dict(cls, data: dict) -> "SiteInfo":
        """The inverse of :meth:`to_dict` (missing keys take their defaults)."""
        namespaces = {int(k): v for k, v in data.get("namespaces", {}).items()}
        return cls(
            dbname=data.get("dbname", "unknownwiki"), lang=data.get("lang", "en"), base=data.get("base", ""),
            generator=data.get("generator", ""), case=data.get("case", "first-letter"),
            namespaces=namespaces or dict(CANONICAL_NAMESPACES),
            namespace_case={int(k): v for k, v in data.get("namespace_case", {}).items()},
        )

    @classmethod
    def for_language(cls, lang: str) -> "SiteInfo":
        """A stand-in for text that comes without a dump: the Wikipedia of ``lang`` with canonical names
        (its project namespace is called "Wikipedia")."""
        return cls(dbname=f"{lang}wiki", lang=lang,
                   namespaces={**CANONICAL_NAMESPACES, 4: "Wikipedia", 5: "Wikipedia talk"})
