"""Argument types: every numeric flag is checked where it is parsed, so a bad value is a usage error."""

from __future__ import annotations

import argparse
import math
import re

_DECIMAL = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)


def seconds(text: str) -> float:
    """A plain decimal number above 0 (float() would also take '1_000', 'inf' and other scripts' digits)."""
    if not _DECIMAL.fullmatch(text):
        raise argparse.ArgumentTypeError("must be a number of seconds, e.g. 30 or 2.5")
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError("must be a number of seconds above 0")
    return value


def _integer(text: str) -> int:
    """ASCII digits only: Python's int() also takes '1_000', ' 5' and other scripts' digits."""
    stripped = text[1:] if text[:1] in "+-" else text
    if not stripped.isascii() or not stripped.isdigit():
        raise argparse.ArgumentTypeError("must be a whole number")
    return int(text, 10)


def count(text: str) -> int:
    """An integer of 1 or more."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def non_negative(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def port(text: str) -> int:
    value = _integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be a TCP port, 1-65535")
    return value


def milliseconds(text: str) -> float:
    """A plain decimal number of milliseconds, 0 or more."""
    if not _DECIMAL.fullmatch(text):
        raise argparse.ArgumentTypeError("must be a number of milliseconds, e.g. 3 or 0.5")
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError("must be a finite number of milliseconds")
    return value


def wait_seconds(text: str) -> float:
    """A plain decimal number of seconds, 0 (do not wait) or more, at most a day."""
    if not _DECIMAL.fullmatch(text):
        raise argparse.ArgumentTypeError("must be a number of seconds, e.g. 0, 30 or 2.5")
    value = float(text)
    if not math.isfinite(value) or value > 86400:
        raise argparse.ArgumentTypeError("must be a number of seconds from 0 to 86400")
    return value


def share(text: str) -> float:
    """A share from 0 to 1 (``0.2``), or a percentage (``20%``)."""
    percent = text.endswith("%")
    number = text[:-1] if percent else text
    if not _DECIMAL.fullmatch(number):
        raise argparse.ArgumentTypeError("must be a share such as 0.2 or 20%")
    value = float(number) / (100 if percent else 1)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1 (0% and 100%)")
    return value
