"""What the date and age templates of the registry show (``{{生年月日と年齢}}``, ``{{birth date and age}}``,
``{{没年齢}}``, ``{{as of}}`` ...): dates as the wiki writes them and ages as of the page's revision date
(never the machine's clock), left out when that date is unknown.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from leia.wiki.wikitext.templates.calls import Call
from leia.wiki.wikitext.templates.renderers.numbers import whole_number

__all__ = [
    "birth_date_and_age", "death_date_and_age_ja", "death_date_and_age_en", "age_at_death", "age_template",
    "plain_date", "birth_year_and_age", "as_of",
]

_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
_YES = ("y", "yes", "on", "true", "1")


class _Date(NamedTuple):
    year: int
    month: int | None
    day: int | None


def _month(text: str) -> int | None:
    number = whole_number(text)
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
    year = whole_number(call.stripped(first))
    if year is None:
        return None
    month = _month(call.stripped(first + 1)) if call.stripped(first + 1) else None
    day = whole_number(call.stripped(first + 2)) if month and call.stripped(first + 2) else None
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
        return call.rendered(first)
    return _format_date(date, ja, call.option("df") in _YES)


def _japanese(call: Call) -> bool:
    return call.lang == "ja"


def birth_date_and_age(call: Call) -> str:
    """``1990年5月15日（36歳）`` (jawiki) / ``May 15, 1990 (age 36)``: the age as of the page's date, left
    out when that date is unknown."""
    birth = _date_at(call, 1)
    if birth is None:
        return call.rendered(1)
    ja = _japanese(call)
    return _with_age(_format_date(birth, ja, call.option("df") in _YES), _age(birth, _today(call)), ja)


def _death_and_age(death: _Date | None, birth: _Date | None, call: Call, fallback: int) -> str:
    if death is None:
        return call.rendered(fallback)
    ja = _japanese(call)
    age = _age(birth, death) if birth is not None else None
    return _with_age(_format_date(death, ja, call.option("df") in _YES), age, ja, died=True)


def death_date_and_age_ja(call: Call) -> str:
    """jawiki ``{{死亡年月日と没年齢|birth y|m|d|death y|m|d}}``: ``2020年1月2日（85歳没）``."""
    return _death_and_age(_date_at(call, 4), _date_at(call, 1), call, 4)


def death_date_and_age_en(call: Call) -> str:
    """enwiki ``{{death date and age|death y|m|d|birth y|m|d}}``: ``January 2, 2020 (aged 85)``."""
    return _death_and_age(_date_at(call, 1), _date_at(call, 4), call, 1)


def _age_number(call: Call, birth_first: int, end_first: int | None) -> str:
    birth = _date_at(call, birth_first)
    if birth is None:
        return ""
    end = _date_at(call, end_first) if end_first is not None and call.stripped(end_first) else _today(call)
    age = _age(birth, end)
    return "" if age is None else _age_text(age)


def age_template(call: Call) -> str:
    """``{{年齢|y|m|d}}`` / ``{{age|y|m|d}}``: the age as of the page's date (or of a second date given)."""
    return _age_number(call, 1, 4)


def age_at_death(call: Call) -> str:
    """jawiki ``{{没年齢|birth y|m|d|death y|m|d}}``: the age at death, a number."""
    return _age_number(call, 1, 4)


def plain_date(call: Call) -> str:
    return _date_text(call, 1, _japanese(call))


def birth_year_and_age(call: Call) -> str:
    birth = _date_at(call, 1)
    if birth is None:
        return call.rendered(1)
    ja = _japanese(call)
    return _with_age(_format_date(_Date(birth.year, None, None), ja), _age(birth, _today(call)), ja)



def as_of(call: Call) -> str:
    words = "as of" if call.option("lc") in ("y", "yes", "on") else "As of"
    date = _date_text(call, 1, call.lang == "ja")
    return f"{words} {date}" if date else words
