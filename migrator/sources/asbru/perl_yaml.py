"""The YAML that Perl's ``YAML.pm`` writes and reads, as Ásbrú and PAC Manager use it.

Ásbrú saves ``asbru.yml`` with ``YAML::DumpFile`` (``lib/PACConfig.pm`` ``_exporter``, ``use YAML``:
the pure-Perl YAML.pm, not YAML::XS), and PAC Manager did the same for ``pac.yml``. What that
emitter writes was read in YAML.pm 1.30 ``YAML/Dumper.pm`` and checked against its real output:

- a ``---`` line, then block mappings (keys sorted) and sequences, indented by two spaces;
- strings plain when ``is_valid_plain`` allows, else ``'single'``-quoted, or ``"double"``-quoted
  with ``\\0 \\a \\t \\n \\v \\f \\r \\e \\xNN`` escapes when they hold control characters; a multi-line
  string over 30 characters becomes a ``|`` block (``|-``/``|+`` chomping, ``|2`` when it starts
  with a space); ``~`` is undef; empty hashes and arrays are ``{}`` and ``[]``;
- ``&1``/``*1`` when one Perl reference appears twice, and ``!!perl/hash:Class`` tags on blessed
  references.

YAML.pm's loader types nothing: every plain scalar is a string (``yes``, ``012``, ``1e3`` and
``null`` stay text) and only ``~`` or an empty value is undef; with ``$YAML::LoadBlessed`` off (its
default since 1.25) a ``!!perl/hash:X`` tag is dropped and the plain hash kept. This dialect of the
shared YAML subset reader does the same. Nothing is evaluated: ``!!perl/code`` is refused.
"""

from __future__ import annotations

import re

from migrator.sources.ansible.yaml_subset import Dialect, Problem, parse_yaml

_PERL_CONTAINER_TAG = re.compile(r"!!perl/(hash|array|scalar|ref)(?::[A-Za-z_][\w:]*)?")


def perl_plain(text: str):
    """YAML.pm ``_parse_implicit``: ``~`` is undef, every other plain scalar is a string."""
    if text == "~":
        return None
    return text


def perl_tag(tag: str, value):
    """Tags of blessed references are dropped, as YAML.pm does with ``LoadBlessed`` off."""
    m = _PERL_CONTAINER_TAG.fullmatch(tag)
    if m is None:
        return NotImplemented
    kind = m.group(1)
    if kind == "hash" and isinstance(value, dict) or kind == "array" and isinstance(value, list):
        return value
    if kind in ("scalar", "ref"):
        return value
    return NotImplemented


PERL_YAML = Dialect(resolve=perl_plain, aliases=True, tag=perl_tag)


def load(text: str) -> tuple[object, list[Problem]]:
    """The top-level value of a YAML.pm document and the problems found (each with its line)."""
    return parse_yaml(text, PERL_YAML)
