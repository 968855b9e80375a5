"""Units for ``{{convert}}`` / ``{{単位変換}}``: each unit code the template accepts, with the symbol shown,
its dimension, its size in the dimension's base unit (metre, square metre, cubic metre, kilogram, metre per
second, watt, joule, pascal, per square metre) and the unit it converts to when none is named. Temperatures
are converted by formula."""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["Unit", "UNITS", "unit", "convert_value", "default_precision"]


class Unit(NamedTuple):
    code: str
    symbol: str
    dimension: str
    factor: float
    default: str


_FT = 0.3048
_MI = 1609.344
_IN = 0.0254
_LB = 0.45359237
_SQMI = _MI * _MI

# code | symbol | dimension | size in the base unit | default output | other codes
_TABLE: list[tuple[str, str, str, float, str, tuple[str, ...]]] = [
    ("m", "m", "length", 1.0, "ft", ("metre", "meter", "metres", "meters")),
    ("km", "km", "length", 1000.0, "mi", ("kilometre", "kilometer", "kilometres", "kilometers")),
    ("cm", "cm", "length", 0.01, "in", ()),
    ("mm", "mm", "length", 0.001, "in", ()),
    ("um", "μm", "length", 1e-6, "in", ("μm", "µm")),
    ("nm", "nm", "length", 1e-9, "in", ()),
    ("mi", "mi", "length", _MI, "km", ("mile", "miles")),
    ("yd", "yd", "length", 0.9144, "m", ("yard", "yards")),
    ("ft", "ft", "length", _FT, "m", ("foot", "feet")),
    ("in", "in", "length", _IN, "mm", ("inch", "inches")),
    ("nmi", "nmi", "length", 1852.0, "km", ("海里",)),
    ("ly", "ly", "length", 9.4607304725808e15, "km", ()),
    ("AU", "AU", "length", 149597870700.0, "km", ("au",)),
    ("m2", "m²", "area", 1.0, "sqft", ("m²", "sqm")),
    ("km2", "km²", "area", 1e6, "sqmi", ("km²", "sqkm")),
    ("cm2", "cm²", "area", 1e-4, "sqin", ("cm²",)),
    ("ha", "ha", "area", 1e4, "acre", ("hectare", "hectares")),
    ("acre", "acre", "area", 4046.8564224, "ha", ("acres",)),
    ("sqmi", "sq mi", "area", _SQMI, "km2", ("mi2",)),
    ("sqft", "sq ft", "area", _FT * _FT, "m2", ("ft2",)),
    ("sqin", "sq in", "area", _IN * _IN, "cm2", ("in2",)),
    ("m3", "m³", "volume", 1.0, "cuft", ("m³",)),
    ("km3", "km³", "volume", 1e9, "cumi", ("km³",)),
    ("cumi", "cu mi", "volume", _SQMI * _MI, "km3", ()),
    ("cuft", "cu ft", "volume", _FT ** 3, "m3", ("ft3",)),
    ("L", "L", "volume", 0.001, "USgal", ("l", "litre", "liter", "litres", "liters")),
    ("mL", "mL", "volume", 1e-6, "USoz", ("ml",)),
    ("USgal", "US gal", "volume", 0.003785411784, "L", ("gal", "usgal")),
    ("impgal", "imp gal", "volume", 0.00454609, "L", ()),
    ("USoz", "US fl oz", "volume", 2.95735295625e-5, "mL", ()),
    ("kg", "kg", "mass", 1.0, "lb", ("kilogram", "kilograms")),
    ("g", "g", "mass", 0.001, "oz", ("gram", "grams")),
    ("mg", "mg", "mass", 1e-6, "gr", ()),
    ("gr", "gr", "mass", 6.479891e-5, "mg", ()),
    ("t", "t", "mass", 1000.0, "ST", ("tonne", "tonnes")),
    ("lb", "lb", "mass", _LB, "kg", ("pound", "pounds")),
    ("oz", "oz", "mass", 0.028349523125, "g", ("ounce", "ounces")),
    ("ST", "short ton", "mass", 907.18474, "t", ("shortton",)),
    ("LT", "long ton", "mass", 1016.0469088, "t", ("longton",)),
    ("st", "st", "mass", 6.35029318, "kg", ("stone",)),
    ("km/h", "km/h", "speed", 1 / 3.6, "mph", ("kph", "kmh", "km/hr")),
    ("mph", "mph", "speed", _MI / 3600, "km/h", ("mi/h",)),
    ("m/s", "m/s", "speed", 1.0, "ft/s", ()),
    ("ft/s", "ft/s", "speed", _FT, "m/s", ()),
    ("kn", "kn", "speed", 1852 / 3600, "km/h", ("knot", "knots", "kt")),
    ("W", "W", "power", 1.0, "hp", ()),
    ("kW", "kW", "power", 1000.0, "hp", ("kw",)),
    ("MW", "MW", "power", 1e6, "hp", ()),
    ("hp", "hp", "power", 745.69987158227022, "kW", ("bhp",)),
    ("PS", "PS", "power", 735.49875, "kW", ()),
    ("J", "J", "energy", 1.0, "cal", ()),
    ("kJ", "kJ", "energy", 1000.0, "kcal", ()),
    ("cal", "cal", "energy", 4.184, "J", ()),
    ("kcal", "kcal", "energy", 4184.0, "kJ", ("Cal",)),
    ("kWh", "kWh", "energy", 3.6e6, "MJ", ("kW.h",)),
    ("MJ", "MJ", "energy", 1e6, "kWh", ()),
    ("Pa", "Pa", "pressure", 1.0, "psi", ()),
    ("kPa", "kPa", "pressure", 1000.0, "psi", ()),
    ("hPa", "hPa", "pressure", 100.0, "inHg", ("mbar",)),
    ("MPa", "MPa", "pressure", 1e6, "psi", ()),
    ("bar", "bar", "pressure", 1e5, "psi", ()),
    ("atm", "atm", "pressure", 101325.0, "kPa", ()),
    ("psi", "psi", "pressure", 6894.757293168, "kPa", ()),
    ("inHg", "inHg", "pressure", 3386.389, "hPa", ()),
    ("mmHg", "mmHg", "pressure", 133.322387415, "kPa", ()),
    ("/km2", "/km²", "density", 1e-6, "/sqmi", ("/km²", "/sqkm", "PD/km2")),
    ("/sqmi", "/sq mi", "density", 1 / _SQMI, "/km2", ("/mi2", "PD/sqmi")),
    ("/ha", "/ha", "density", 1e-4, "/acre", ()),
    ("/acre", "/acre", "density", 1 / 4046.8564224, "/ha", ()),
    ("oilbbl", "bbl", "volume", 0.158987294928, "m3", ("bbl",)),
    ("koilbbl", "thousand bbl", "volume", 158.987294928, "m3", ()),
    ("Moilbbl", "million bbl", "volume", 158987.294928, "m3", ()),
    ("Goilbbl", "billion bbl", "volume", 158987294.928, "m3", ()),
    ("Tcuft", "trillion cu ft", "volume", 1e12 * _FT ** 3, "km3", ()),
    ("MUSgal", "million US gal", "volume", 3785.411784, "m3", ()),
    ("m3/d", "m³/d", "flow", 1 / 86400, "oilbbl/d", ()),
    ("oilbbl/d", "bbl/d", "flow", 0.158987294928 / 86400, "m3/d", ()),
    ("koilbbl/d", "thousand bbl/d", "flow", 158.987294928 / 86400, "m3/d", ()),
    ("Moilbbl/d", "million bbl/d", "flow", 158987.294928 / 86400, "m3/d", ()),
    ("carat", "carat", "mass", 0.0002, "g", ("ct",)),
    ("C-change", "°C", "temperature change", 1.0, "F-change", ()),
    ("F-change", "°F", "temperature change", 5 / 9, "C-change", ()),
    ("K-change", "K", "temperature change", 1.0, "F-change", ()),
    ("C", "°C", "temperature", 1.0, "F", ("°C", "degC")),
    ("F", "°F", "temperature", 1.0, "C", ("°F", "degF")),
    ("K", "K", "temperature", 1.0, "C", ()),
]

UNITS: dict[str, Unit] = {}
for _code, _symbol, _dimension, _factor, _default, _aliases in _TABLE:
    _entry = Unit(_code, _symbol, _dimension, _factor, _default)
    for _name in (_code, *_aliases):
        UNITS.setdefault(_name, _entry)

_TO_KELVIN = {"C": (1.0, 273.15), "F": (5 / 9, 459.67 * 5 / 9), "K": (1.0, 0.0)}


_POWERS = {"e3": ("thousand", 1e3), "e6": ("million", 1e6), "e9": ("billion", 1e9), "e12": ("trillion", 1e12)}


def unit(code: str) -> Unit | None:
    """The unit a ``{{convert}}`` unit code names (``e6acre``: a million acres), None for one not in the
    table."""
    code = code.strip()
    found = UNITS.get(code)
    if found is None and code[:1] == "e":
        power = code[:3] if code[:3] == "e12" else code[:2]
        base = UNITS.get(code[len(power):])
        if power in _POWERS and base is not None and base.dimension != "temperature":
            word, factor = _POWERS[power]
            return Unit(code, f"{word} {base.symbol}", base.dimension, base.factor * factor, base.default)
    return found


def convert_value(value: float, source: Unit, target: Unit) -> float:
    if source.dimension == "temperature":
        scale, offset = _TO_KELVIN[source.code]
        kelvin = value * scale + offset
        scale, offset = _TO_KELVIN[target.code]
        return (kelvin - offset) / scale
    return value * source.factor / target.factor


def default_precision(written: str, value: float, result: float, source: Unit, target: Unit) -> int:
    """Decimal places to show a converted value with (negative: round to tens, hundreds ...), for a precision
    like the input's: the input's decimal places (an integer's trailing zeros counting as negative places),
    shifted by the order of magnitude of the conversion factor, and at least two significant figures.
    Temperatures keep the input's decimal places."""
    number = written.replace(",", "").lstrip("+-−")
    whole, _, fraction = number.partition(".")
    if source.dimension == "temperature":
        return len(fraction)
    if fraction:
        places = len(fraction)
    else:
        places = -(len(whole) - len(whole.rstrip("0"))) if whole.strip("0") else 0
    if value:
        shift = math.log10(abs(result / value))
        places -= int(shift + (1e-9 if shift > 0 else -1e-9))
    if result:
        places = max(places, 1 - math.floor(math.log10(abs(result)) + 1e-12))
    return places
