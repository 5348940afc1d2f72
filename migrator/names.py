"""Entry names compared the way XPipe compares them.

XPipe finds an entry by name with Java's ``String.equalsIgnoreCase``: two strings of the same UTF-16
length are equal when each pair of characters is equal, or equal after ``Character.toUpperCase``, or
equal after ``Character.toLowerCase`` of those upper cases. Since JDK 16 a surrogate pair on both
sides is compared as one code point. These are Unicode's *simple* one-to-one mappings, which Python
does not expose (``'ß'.upper()`` is ``'SS'``, ``'İ'.lower()`` two characters, ``casefold`` maps
``'ß'`` to ``'ss'``), so the mapping comes from a table generated with a JDK (``_java_fold``).

The rule reduces to: equal when ``toLowerCase(toUpperCase(c))`` is equal for every position, which is
what :func:`name_key` computes (upper and lower cases never cross between the BMP and the
supplementary planes, so UTF-16 positions stay aligned).

XPipe's info and query answers show a name only as ``String.toLowerCase()`` with ``/`` turned into
``_``: :func:`shown_key` is the key under which such a shown name and every real name it can stand
for meet. It is lossy by nature (``a/b`` and ``a_b`` show alike although XPipe tells them apart), so
it finds candidates; deciding that two real names are the same is :func:`names_equal`'s job.
"""

from __future__ import annotations

from migrator._java_fold import FOLD

_FOLD: dict[int, str] = {int(a, 16): chr(int(b, 16)) for a, _, b in (p.partition(":") for p in "".join(FOLD).split())}


def _code_points(text: str) -> str:
    """Java's view of the text: a high surrogate followed by a low surrogate is one code point."""
    if not any("\ud800" <= ch <= "\udbff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def name_key(name: str) -> str:
    """A key that is equal for two names exactly when Java's ``equalsIgnoreCase`` says they are."""
    if name.isascii():
        return name.lower()  # the table maps exactly A-Z to a-z below 128 (tests/unit/mapper/test_names.py)
    return _code_points(name).translate(_FOLD)


def names_equal(a: str, b: str) -> bool:
    """``a.equalsIgnoreCase(b)`` as XPipe's JVM evaluates it."""
    return a == b or name_key(a) == name_key(b)


def shown_key(name: str) -> str:
    """The key of a name as XPipe shows it (lower-cased, '/' as '_'), for a real or a shown name.

    ``String.toLowerCase`` turns ``İ`` into ``i`` plus a combining dot; the key drops that dot so the
    shown form meets the real name. Two names with the same shown key may still be different entries.
    """
    return name_key(name.strip().replace("/", "_")).replace("i\u0307", "i")
