"""Multi-line YAML values: block scalars (``|``, ``>``) and flow collections spread over lines.

Both work on the file's lines from a start index and return the index after the value, so the
block reader never looks at a line twice.
"""

from __future__ import annotations

import re

_BLOCK_HEADER = re.compile(r"([|>])([-+]?)([1-9]?)([-+]?)(?:[ \t]+#.*)?[ \t]*")


def gather_flow(lines: list[str], i: int, first: str) -> tuple[str | None, int]:
    """Join the lines of a flow collection until its brackets close; comments dropped. None if never closed."""
    pieces: list[str] = []
    depth, quote, prev = 0, None, "["
    text = first
    while True:
        out, k = [], 0
        while k < len(text):
            c = text[k]
            if quote:
                if c == quote:
                    if quote == "'" and text[k + 1 : k + 2] == "'":
                        out.append(c)
                        k += 1
                    else:
                        quote = None
                elif quote == '"' and c == "\\" and k + 1 < len(text):
                    out.append(c)
                    k += 1
                    c = text[k]
            elif c in "\"'" and prev in "[{,:":
                quote = c
            elif c == "#" and (k == 0 or text[k - 1] in " \t"):
                break
            elif c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
            if c not in " \t":
                prev = c
            out.append(c)
            k += 1
        pieces.append("".join(out).strip(" \t"))
        if depth <= 0 and not quote:
            return " ".join(p for p in pieces if p), i
        if i >= len(lines):
            return None, i
        text = lines[i]
        i += 1


def read_block_scalar(lines: list[str], i: int, header: str, parent: int) -> tuple[str | None, int]:
    """The text of a ``|`` or ``>`` block whose header follows a key at indent ``parent``; None if the header is bad."""
    m = _BLOCK_HEADER.fullmatch(header)
    if not m or (m.group(2) and m.group(4)):
        return None, i
    style, chomp, digit = m.group(1), m.group(2) or m.group(4), m.group(3)
    indent = max(parent, 0) + int(digit) if digit else None
    body: list[str] = []
    while i < len(lines):
        raw = lines[i]
        if not raw.strip(" "):
            body.append("")
            i += 1
            continue
        ind = len(raw) - len(raw.lstrip(" "))
        if indent is None:
            if ind <= parent:
                break
            indent = ind
        if ind < indent:
            break
        body.append(raw[indent:])
        i += 1
    trailing = 0
    while body and body[-1] == "":
        body.pop()
        trailing += 1
    if not body:
        return ("\n" * trailing if chomp == "+" else ""), i
    text = "\n".join(body) if style == "|" else fold_block(body)
    if chomp == "-":
        return text, i
    if chomp == "+":
        return text + "\n" * (trailing + 1), i
    return text + "\n", i


def fold_block(body: list[str]) -> str:
    """Fold a ``>`` block: lines join with a space unless an empty or more-indented line is involved."""
    out: list[str] = []
    prev_normal = None
    empties = 0
    for line in body:
        if line == "":
            empties += 1
            continue
        normal = line[:1] not in " \t"
        if prev_normal is not None:
            if prev_normal and normal:
                out.append("\n" * empties if empties else " ")
            else:
                out.append("\n" * (empties + 1))
        elif empties:
            out.append("\n" * empties)
        empties = 0
        out.append(line)
        prev_normal = normal
    return "".join(out)
