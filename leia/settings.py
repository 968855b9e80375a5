"""Settings written once, as a dataclass whose fields carry their default, type, choices and help
(:func:`setting`): the Python API takes the dataclass, and the command line gets one option per field
(:func:`add_settings`) and gives the dataclass back (:func:`settings_from`)."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, Callable, TypeVar

__all__ = ["setting", "add_settings", "settings_from", "at_least", "POSITIVE", "COUNT", "probability", "or_word"]


T = TypeVar("T")
_MISSING = dataclasses.MISSING


def _parsed(parse: Callable[[str], T], value: str) -> T:
    """``parse(value)``, or the message argparse gives for a value that is not a number at all."""
    try:
        return parse(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {parse.__name__} value: {value!r}") from None


def at_least(low: int) -> Callable[[str], int]:
    """The argparse type of a whole number no less than ``low``."""
    def whole_number(value: str) -> int:
        n = _parsed(int, value)
        if n < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}")
        return n
    return whole_number


POSITIVE = at_least(1)
COUNT = at_least(0)


def probability(value: str) -> float:
    """The argparse type of a number between 0 and 1."""
    p = _parsed(float, value)
    if not 0.0 <= p <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return p


def or_word(word: str, parse: Callable[[str], T]) -> Callable[[str], T | None]:
    """The argparse type ``parse`` that also takes ``word`` (e.g. 'none', 'off'), read as None."""
    def value_or_word(value: str) -> T | None:
        return None if value == word else parse(value)
    return value_or_word


def setting(default: Any = _MISSING, help: str = "", *, type: Callable[[str], Any] | None = None,
            choices: tuple | None = None, metavar: str | None = None, flag: str | None = None,
            short: str | None = None, positional: bool = False, group: str | None = None,
            required_group: bool = False) -> Any:
    """A dataclass field that is also a command-line option.

    The option is ``--name-with-dashes`` (or ``flag``, and ``short`` beside it), or a positional argument with
    ``positional``; a field without a default is a required option. ``type`` parses the text (argparse's
    ``type``: raise ``argparse.ArgumentTypeError`` to refuse it); without it the default's type is used. A
    bool with default False is a switch (``--name``), with default True ``--name/--no-name``. Fields of the
    same ``group`` are mutually exclusive; ``required_group`` on any of them makes one of the group required.
    """
    metadata = {"help": help, "type": type, "choices": choices, "metavar": metavar, "flag": flag, "short": short,
                "positional": positional, "group": group, "required_group": required_group}
    return dataclasses.field(default=default, metadata={"setting": metadata})


def _default_text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return f" (default {value})"


def add_settings(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add an option to ``parser`` for each field of the dataclass ``cls`` made with :func:`setting`, in the
    order of the fields; the help shows each default that is not None or a bool."""
    groups: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        meta = field.metadata.get("setting")
        if meta is None:
            continue
        has_default = field.default is not _MISSING
        target: Any = parser
        if meta["group"]:
            if meta["group"] not in groups:
                groups[meta["group"]] = parser.add_mutually_exclusive_group()
            target = groups[meta["group"]]
            if meta["required_group"]:
                target.required = True
        help_text = meta["help"] + (_default_text(field.default) if has_default else "")
        kwargs: dict[str, Any] = {"help": help_text}
        if isinstance(field.default, bool):
            kwargs["action"] = "store_true" if not field.default else argparse.BooleanOptionalAction
            kwargs["default"] = field.default
        else:
            parse = meta["type"] or (type(field.default) if has_default and field.default is not None else str)
            kwargs.update(type=parse, choices=meta["choices"], metavar=meta["metavar"])
            if has_default:
                kwargs["default"] = field.default
        if meta["positional"]:
            if has_default:
                kwargs["nargs"] = "?"
            target.add_argument(field.name, **kwargs)
            continue
        names = [meta["flag"] or "--" + field.name.replace("_", "-")]
        if meta["short"]:
            names.insert(0, meta["short"])
        if not has_default and not meta["group"]:
            kwargs["required"] = True
        target.add_argument(*names, dest=field.name, **kwargs)


def settings_from(args: argparse.Namespace, cls: type[T], **given: Any) -> T:
    """The dataclass ``cls`` of the parsed command line ``args`` (fields made with :func:`setting`), with
    ``given`` for the fields the command line does not hold."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)
              if "setting" in f.metadata and hasattr(args, f.name)}
    return cls(**values, **given)
