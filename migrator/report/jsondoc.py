"""JSON: the document itself, for scripts and CI.

The text is exactly ``json.dumps(doc, indent=2, ensure_ascii=False)`` passed through
``escape.json_console``, written by an encoder of its own: the standard library's indented encoder is
its slow pure-Python one, and it can only produce one string for the whole document. Here a list
may also be an iterator (``inventory_document(..., lazy=True)``), and ``write`` sends the text out
item by item, so a 100,000-host ``inspect --format json`` never holds the document, or its text, in
memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from json.encoder import encode_basestring

from migrator.escape import json_console
from migrator.report.base import Renderer

_STEP = "  "  # indent=2


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == float("inf"):
        return "Infinity"
    if o == float("-inf"):
        return "-Infinity"
    return float.__repr__(o)


def _key(k) -> str:
    """A key as ``json.dumps`` writes it: strings as they are, numbers, booleans and null as their JSON text."""
    if isinstance(k, str):
        return k
    if isinstance(k, float):
        return _float(k)
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, int):
        return int.__repr__(k)
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


#: The text of the scalars whose type is exactly one of these (subclasses take the general path).
_SCALAR = {str: encode_basestring, int: int.__repr__, float: _float}
_CONSTANT = {None: "null", True: "true", False: "false"}


class _Encoder:
    """Appends the text of a value to ``out``; inside an iterator's array, flushes after every item."""

    def __init__(self, flush: Callable[[], None] | None = None):
        self.out: list[str] = []
        self.flush = flush
        self.keys: dict[str, str] = {}  # a key's text, once per distinct key

    def value(self, o, indent: str) -> None:
        out = self.out
        if isinstance(o, str):
            out.append(encode_basestring(o))
        elif o is None:
            out.append("null")
        elif o is True:
            out.append("true")
        elif o is False:
            out.append("false")
        elif isinstance(o, int):
            out.append(int.__repr__(o))
        elif isinstance(o, float):
            out.append(_float(o))
        elif isinstance(o, (list, tuple)):
            if not o:
                out.append("[]")
                return
            inner = indent + _STEP
            sep = "[" + inner
            for item in o:
                scalar = _SCALAR.get(type(item))
                if scalar is not None:
                    out.append(sep + scalar(item))
                elif item is None or type(item) is bool:
                    out.append(sep + _CONSTANT[item])
                else:
                    out.append(sep)
                    self.value(item, inner)
                sep = "," + inner
            out.append(indent + "]")
        elif isinstance(o, dict):
            if not o:
                out.append("{}")
                return
            inner = indent + _STEP
            sep = "{" + inner
            keys = self.keys
            for k, v in o.items():
                key = keys.get(k) if type(k) is str else None
                if key is None:
                    key = encode_basestring(_key(k)) + ": "
                    if type(k) is str:
                        keys[k] = key
                scalar = _SCALAR.get(type(v))
                if scalar is not None:
                    out.append(sep + key + scalar(v))
                elif v is None or type(v) is bool:
                    out.append(sep + key + _CONSTANT[v])
                else:
                    out.append(sep + key)
                    self.value(v, inner)
                sep = "," + inner
            out.append(indent + "}")
        elif isinstance(o, Iterator):
            self.stream(o, indent)
        else:
            raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    def stream(self, items: Iterator, indent: str) -> None:
        inner = indent + _STEP
        sep = "[" + inner
        for item in items:
            self.out.append(sep)
            sep = "," + inner
            self.value(item, inner)
            if self.flush is not None:
                self.flush()
        self.out.append("[]" if sep[0] == "[" else indent + "]")


def dumps(doc) -> str:
    """The document's JSON text (see the module docstring)."""
    enc = _Encoder()
    enc.value(doc, "\n")
    return json_console("".join(enc.out))


def write(doc, sink: Callable[[str], object]) -> None:
    """Send the document's JSON text, and a final newline, to ``sink`` in pieces (one per streamed item)."""
    enc = _Encoder()

    def flush() -> None:
        if enc.out:
            sink(json_console("".join(enc.out)))
            enc.out.clear()

    enc.flush = flush
    enc.value(doc, "\n")
    enc.out.append("\n")
    flush()


class JsonRenderer(Renderer):
    name = "json"

    def render(self, doc: dict) -> str:
        return dumps(doc)
