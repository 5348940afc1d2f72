"""A job source's filter: folder globs (``**`` crosses folders) and the include/exclude rules that
decide which hosts of a source are kept, with the diagnostics that say what was left out."""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from migrator.model import Diagnostic, Host

if TYPE_CHECKING:
    from migrator.sync.job import SourceFilter

_FILTER_NAMES_SHOWN = 10


def _class_regex(body: str) -> str:
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    escaped = "".join(ch if ch == "-" else re.escape(ch) for ch in body)
    return f"[^/{escaped}]" if negate else f"[{escaped}]"


def folder_glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a folder glob: ``*``, ``?`` and ``[...]`` stay inside one folder, ``**`` crosses ``/``.

    A whole ``**`` segment matches zero or more folders, so ``Production/**`` matches
    ``Production`` itself and everything below it, and ``**/Web`` matches ``Web`` at any depth.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            if j - i == 1:
                out.append("[^/]*")
            elif (i == 0 or pattern[i - 1] == "/") and j < n and pattern[j] == "/":
                out.append("(?:.*/)?")
                j += 1
            elif i > 0 and pattern[i - 1] == "/" and j == n:
                out[-1] = "(?:/.*)?"
            else:
                out.append(".*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            j = i + 1
            if j < n and pattern[j] in "!^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 1
            if j >= n:
                out.append(re.escape(c))
                i += 1
            else:
                out.append(_class_regex(pattern[i + 1 : j]))
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("(?s:" + "".join(out) + r")\Z")


def _check_globs(values: list[str], compile_one) -> list[str]:
    for v in values:
        try:
            compile_one(v)
        except re.error as exc:
            raise ValueError(f"{v!r} is not a valid glob: {exc.msg}") from None
    return values


def _folder(host: Host) -> str:
    return "/".join(host.category)


class _CompiledFilter:
    def __init__(self, flt: SourceFilter):
        self.include_folders = [folder_glob_regex(p) for p in flt.include_folders]
        self.exclude_folders = [folder_glob_regex(p) for p in flt.exclude_folders]
        self.include_tags = {t.strip().casefold() for t in flt.include_tags}
        self.exclude_tags = {t.strip().casefold() for t in flt.exclude_tags}
        self.include_names = [re.compile(fnmatch.translate(p)) for p in flt.include_names]
        self.exclude_names = [re.compile(fnmatch.translate(p)) for p in flt.exclude_names]

    def reason(self, host: Host) -> str | None:
        """Why the host is left out (the first rule it fails), or None to keep it."""
        folder = _folder(host)
        if self.include_folders and not any(r.match(folder) for r in self.include_folders):
            return "not in include_folders"
        if any(r.match(folder) for r in self.exclude_folders):
            return "in exclude_folders"
        tags = {t.strip().casefold() for t in host.tags}
        if self.include_tags and not tags & self.include_tags:
            return "no tag from include_tags"
        if tags & self.exclude_tags:
            return "a tag from exclude_tags"
        if self.include_names and not any(r.match(host.name) for r in self.include_names):
            return "not in include_names"
        if any(r.match(host.name) for r in self.exclude_names):
            return "in exclude_names"
        return None


def _apply_filter(hosts: Iterable[Host], flt: SourceFilter | None) -> tuple[list[Host], list[tuple[Host, str]]]:
    hosts = list(hosts)
    if flt is None or flt.is_empty:
        return hosts, []
    compiled = _CompiledFilter(flt)
    kept, left_out = [], []
    for host in hosts:
        why = compiled.reason(host)
        if why is None:
            kept.append(host)
        else:
            left_out.append((host, why))
    return kept, left_out


def apply_source_filter(result, flt: SourceFilter, file: str) -> None:
    """Keep the hosts ``flt`` selects in ``result``; the hosts left out are counted in one diagnostic."""
    total = len(result.hosts)
    kept, left_out = _apply_filter(result.hosts, flt)
    result.hosts = kept
    result.diagnostics.append(_filter_summary(file, total, left_out))
    result.diagnostics.extend(_jumps_into_left_out(kept, left_out))


def filter_hosts(hosts: Iterable[Host], flt: SourceFilter | None) -> tuple[list[Host], int]:
    """Keep the hosts the filter selects; returns them and how many were left out.

    Folders are matched as ``"a/b/c"`` with ``folder_glob_regex`` (case-sensitive), tags by equality
    ignoring case (a host is kept if it has any included tag and no excluded one), names with
    ``fnmatch.fnmatchcase`` globs. A host must pass every non-empty criterion.
    """
    kept, left_out = _apply_filter(hosts, flt)
    return kept, len(left_out)


def _filter_summary(file: str, total: int, left_out: list[tuple[Host, str]]) -> Diagnostic:
    if not left_out:
        return Diagnostic(
            level="info", code="filtered", file=file, message=f"the job's filter left out none of the {total} host(s)"
        )
    reasons = Counter(why for _, why in left_out)
    breakdown = ", ".join(f"{n} {why}" for why, n in reasons.most_common())
    names = [h.name for h, _ in left_out]
    shown = ", ".join(names[:_FILTER_NAMES_SHOWN])
    if len(names) > _FILTER_NAMES_SHOWN:
        shown += f" and {len(names) - _FILTER_NAMES_SHOWN} more"
    everything = len(left_out) == total
    return Diagnostic(
        level="warning" if everything else "info",
        code="filtered",
        file=file,
        message=f"the job's filter left out {len(left_out)} of {total} host(s) ({breakdown}): {shown}"
        + ("; nothing from this source is imported - check the filter" if everything else ""),
    )


def _jumps_into_left_out(kept: list[Host], left_out: list[tuple[Host, str]]) -> list[Diagnostic]:
    """A kept host whose jump host was filtered out would lose its gateway: say so."""
    gone = {h.key: h.name for h, _ in left_out}
    out = []
    for host in kept:
        for hop in host.jump:
            if hop.ref_key in gone:
                out.append(
                    Diagnostic(
                        level="warning",
                        code="filter-jump",
                        file=host.source.file,
                        line=host.source.line,
                        entry=host.name,
                        message=f"jumps through {gone[hop.ref_key]!r}, which the job's filter left out; "
                        "widen the filter to keep the jump host",
                    )
                )
    return out
