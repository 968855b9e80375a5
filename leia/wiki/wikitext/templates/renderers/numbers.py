"""What the number templates of the registry show: ``{{convert}}`` (a value and its unit, then the value in
another unit, rounded as the template rounds it; ``units`` holds the units) and ``{{val}}`` (a number with
its uncertainty, exponent and unit).
"""

from __future__ import annotations

import math

from leia.wiki.wikitext.templates.calls import Call
from leia.wiki.wikitext.templates.renderers.units import Unit, convert_value, default_precision, unit

__all__ = ["convert", "val", "whole_number"]


def whole_number(text: str) -> int | None:
    """The whole number ``text`` writes (a sign allowed), else None."""
    text = text.strip()
    if text.startswith("-"):
        return -int(text[1:]) if text[1:].isdigit() else None
    return int(text) if text.isdigit() else None



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


def convert(call: Call) -> str:
    """``{{convert|100|C|F}}``: ``100 °C (212 °F)``, full-width parentheses on jawiki."""
    args = [call.rendered(number) for number in range(1, len(call) + 1)]
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
    if len(target_codes) == 1 and whole_number(target_codes[0]) is not None:
        target_codes = []
    else:
        index += 1
    target_codes = target_codes or [source.default]
    places_arg = whole_number(args[index]) if index < len(args) else None
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
    sigfig = whole_number(call.option("sigfig"))
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


def val(call: Call) -> str:
    """``{{val|1.234|0.005|e=5|u=m}}``: ``1.234±0.005×10⁵ m``."""
    number = call.rendered(1)
    if not number:
        return ""
    shown = _show_input(number) if _number(number) is not None else number
    second, third = call.rendered(2), call.rendered(3)
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
