"""argparse types shared by the command lines: bad values are refused with the option's name
before anything starts, not as a traceback from deep inside the job."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def at_least(low: int) -> Callable[[str], int]:
    """A whole number >= ``low``."""

    def parse(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in "invalid whole number value"
    return parse
