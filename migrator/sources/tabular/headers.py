"""Finding the header row among the first rows of a file or sheet and choosing the mapping profile."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import ConfigError
from migrator.model import (
    Diagnostic,
)
from migrator.sources.tabular.profiles import (
    AMBIGUITY_MARGIN,
    CONFIDENT_SCORE,
    Detection,
    HeaderMatch,
    Profile,
    all_profiles,
    ambiguous,
    load_profile,
    rank_profiles,
)

if TYPE_CHECKING:
    from migrator.sources.tabular.table import Table

#: How many non-blank rows at the top of a file or sheet are searched for the header row.
HEADER_SCAN_ROWS = 30


def profiles_for(mapping: str | Path | None) -> tuple[list[Profile], bool]:
    """The profiles to try, and whether the user forced one."""
    if mapping:
        return [load_profile(mapping)], True
    profiles = all_profiles()
    if not profiles:
        raise ConfigError("no mapping profiles found; set XPIPE_MIGRATE_MAPPINGS or pass --mapping FILE.toml")
    return profiles, False


def choose_header(
    records: list[tuple[int, list[str]]], profiles: list[Profile], forced: bool, where: str
) -> tuple[int, Detection] | None:
    """Find the header among the first rows (title rows and blank rows above it are common).

    Returns the index into ``records`` and the detection, or None when no row has a host column.
    The first row that a profile matches confidently wins; otherwise the best-matching row.
    Two profiles that fit the header about equally well are ambiguous: the user must choose.
    """
    best: tuple[float, int, list[HeaderMatch]] | None = None
    for idx, (_, cells) in enumerate(records[:HEADER_SCAN_ROWS]):
        if sum(1 for c in cells if c.strip()) == 0:
            continue
        ranking = rank_profiles(cells, profiles)
        top = ranking[0].score
        if top <= 0:
            continue
        if best is None or top > best[0]:
            best = (top, idx, ranking)
        if top >= CONFIDENT_SCORE:
            break
    if best is None:
        return None
    _, idx, ranking = best
    if not forced and ambiguous(ranking):
        close = [m for m in ranking if ranking[0].score - m.score < AMBIGUITY_MARGIN and m.score >= CONFIDENT_SCORE]
        names = ", ".join(f"{m.profile.name} ({m.score:.2f})" for m in close)
        raise ConfigError(
            f"{where}: the header on line {records[idx][0]} fits several mapping profiles equally well "
            f"({names}); choose one with --mapping"
        )
    return idx, Detection(match=ranking[0], ranking=ranking, forced=forced)


def header_diagnostics(source, table: Table, file: str | None = None) -> list[Diagnostic]:
    """Say which profile was used, and report duplicated and unused columns."""
    det, match = table.detection, table.match
    loc = {"line": table.header_line, "file": file}
    where = f" (sheet {table.section})" if table.section else ""
    out = []
    if det.forced:
        out.append(source.diag("info", "mapping", f"mapping profile {match.profile.name!r}{where}", **loc))
    elif det.confident:
        runner = (
            f"; next best {det.ranking[1].profile.name!r} ({det.ranking[1].score:.2f})" if len(det.ranking) > 1 else ""
        )
        out.append(
            source.diag(
                "info",
                "mapping-detected",
                f"headers match mapping profile {match.profile.name!r}{where} (score {match.score:.2f}{runner})",
                **loc,
            )
        )
    else:
        out.append(
            source.diag(
                "warning",
                "mapping-guessed",
                f"headers match no mapping profile well{where}; using {match.profile.name!r} "
                f"(score {match.score:.2f}) - check the columns with 'mapping check' or pass --mapping",
                **loc,
            )
        )
    fields = match.column_field()
    for name, idxs in match.duplicates.items():
        fname = fields.get(idxs[0])
        spec = match.profile.spec(fname) if fname else None
        cols = ", ".join(str(i + 1) for i in idxs)
        if spec is not None and spec.join:
            out.append(
                source.diag(
                    "info",
                    "duplicate-column",
                    f"column {name!r} appears {len(idxs)} times (columns {cols}); their values are joined",
                    field=name,
                    **loc,
                )
            )
        else:
            use = f"; the first non-blank one feeds {fname}" if fname else "; none of them is imported"
            out.append(
                source.diag(
                    "warning",
                    "duplicate-column",
                    f"column {name!r} appears {len(idxs)} times (columns {cols}){use}",
                    field=name,
                    **loc,
                )
            )
    for fname, idxs in match.shared_fields().items():
        cols = " and ".join(repr(match.names[i]) for i in idxs)
        out.append(
            source.diag(
                "warning",
                "ambiguous-column",
                f"columns {cols} both fit {fname}; each row uses the first non-blank one in that order "
                "(a profile that names one of them, given with --mapping, decides)",
                field=match.names[idxs[0]],
                **loc,
            )
        )
    if match.unused:
        names = [match.names[i] for i in match.unused]
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        out.append(source.diag("info", "unused-columns", f"columns not imported: {shown}", **loc))
    return out
