"""What a command prints when it is done: a title, then its counters one a line."""

from __future__ import annotations

__all__ = ["print_counters"]


def print_counters(title: str, counters: dict) -> None:
    print(title)
    for key, value in counters.items():
        print(f"  {key:<28} {value:>12,}")
