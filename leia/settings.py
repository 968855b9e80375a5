"""Settings written once, as a dataclass whose fields carry their default, type, choices and help
(:func:`setting`): a Python function takes the dataclass's parameters as its own (:func:`takes`), and the
command line gets one option per field (:func:`add_settings`) and gives the dataclass back (:func:`settings_from`)."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
from typing import Any, Callable, ParamSpec, TypeVar

__all__ = ["setting", "add_settings", "settings_from", "takes", "values", "at_least", "POSITIVE", "COUNT",
           "probability", "or_word"]


T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
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
            required_group: bool = False, aliases: tuple[str, ...] = (), off: tuple[str, ...] = (),
            old: tuple[str, ...] = ()) -> Any:
    """A dataclass field that is also a command-line option.

    The option is ``--name-with-dashes`` (or ``flag``, and ``short`` and ``aliases`` beside it), or a positional
    argument with ``positional``; a field without a default is a required option. ``type`` parses the text
    (argparse's ``type``: raise ``argparse.ArgumentTypeError`` to refuse it); without it the default's type is
    used. A bool with default False is a switch (``--name``), with default True ``--name/--no-name``, which
    ``off`` (e.g. ``-q``) also turns off. ``old`` are former spellings that still work, left out of the help
    (of a switch with default True: spellings that turn it off). Fields of the same ``group`` are mutually
    exclusive; ``required_group`` on any of them makes one of the group required.
    """
    metadata = {"help": help, "type": type, "choices": choices, "metavar": metavar, "flag": flag, "short": short,
                "positional": positional, "group": group, "required_group": required_group,
                "aliases": tuple(aliases), "off": tuple(off), "old": tuple(old)}
    return dataclasses.field(default=default, metadata={"setting": metadata})


def _default_text(value: Any) -> str:
    if value is True:
        return " (default: on)"
    if value is False or value is None:
        return ""
    return f" (default {value})"


def option_fields(cls: type) -> list[dataclasses.Field]:
    """The fields of the dataclass ``cls`` made with :func:`setting`: those ``cls`` declares first, then those
    of each class it is made of, in the order of its bases."""
    by_name = {f.name: f for f in dataclasses.fields(cls) if "setting" in f.metadata}
    ordered: dict[str, dataclasses.Field] = {}
    for klass in cls.__mro__:
        for name in vars(klass).get("__annotations__", {}):
            if name in by_name and name not in ordered:
                ordered[name] = by_name[name]
    return list(ordered.values())


def add_settings(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add an option to ``parser`` for each field of the dataclass ``cls`` made with :func:`setting`, in the
    order of :func:`option_fields`; the help shows each default that is not None or a bool."""
    groups: dict[str, Any] = {}
    for field in option_fields(cls):
        meta = field.metadata["setting"]
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
        flag = meta["flag"] or "--" + field.name.replace("_", "-")
        names = [flag, *meta["aliases"]]
        if meta["short"]:
            names.insert(0, meta["short"])
        if not has_default and not meta["group"]:
            kwargs["required"] = True
        target.add_argument(*names, dest=field.name, **kwargs)
        switch_off = field.default is True
        if meta["off"]:
            parser.add_argument(*meta["off"], dest=field.name, action="store_false", default=True,
                                help=f"same as --no-{flag[2:]}")
        if meta["old"]:
            old = {k: v for k, v in kwargs.items() if k not in ("help", "required")}
            if switch_off:
                old = {"action": "store_false", "default": True}
            parser.add_argument(*meta["old"], dest=field.name, help=argparse.SUPPRESS, **old)


def settings_from(args: argparse.Namespace, cls: type[T], **given: Any) -> T:
    """The dataclass ``cls`` of the parsed command line ``args`` (fields made with :func:`setting`), with
    ``given`` for the fields the command line does not hold."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)
              if "setting" in f.metadata and hasattr(args, f.name)}
    return cls(**values, **given)


def values(settings: Any, group: type) -> dict[str, Any]:
    """The settings of ``settings`` (a dataclass) that the dataclass ``group`` (one it is made of) holds, by
    name: how one command hands a group of its settings to another."""
    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(group)}


def _in_option_order(signature: inspect.Signature, cls: Any) -> inspect.Signature:
    """``signature`` with its keyword-only parameters in the order of :func:`option_fields` (a command's own
    settings before those of the groups it is made of), which is how ``help()`` reads best."""
    rank = {f.name: i for i, f in enumerate(option_fields(cls))} if dataclasses.is_dataclass(cls) else {}
    params = list(signature.parameters.values())
    keywords = [p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    keywords.sort(key=lambda p: rank.get(p.name, len(rank)))
    return signature.replace(parameters=[p for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY] + keywords)


def takes(settings: Callable[P, T]) -> Callable[[Callable[[T], R]], Callable[P, R]]:
    """A function written for one dataclass of ``settings``, called with the parameters of the dataclass:
    ``@takes(ExtractSettings) def extract(settings) -> Manifest`` is called as ``extract(dump, output,
    workers=2)``, which makes the dataclass and hands it over. Its signature (what ``help()``, an editor and a
    type checker show) is the dataclass's, so each keyword, its type and its default are written once."""
    signature = _in_option_order(inspect.signature(settings), settings)

    def decorate(fn: Callable[[T], R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                signature.bind(*args, **kwargs)
            except TypeError as e:
                raise TypeError(f"{fn.__name__}() {e}") from None
            return fn(settings(*args, **kwargs))

        returns = inspect.signature(fn).return_annotation
        call.__signature__ = signature.replace(return_annotation=returns)  # type: ignore[attr-defined]
        call.__annotations__ = {**{name: p.annotation for name, p in signature.parameters.items()},
                                "return": returns}
        return call

    return decorate
