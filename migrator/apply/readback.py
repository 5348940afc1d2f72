"""The read-back after an apply: every written entry is read again and must be what was written.

XPipe answers an add with a UUID and nothing else, and a wrong guess about its store schema would
show only here: an entry that is not returned (incomplete), stored under another entry's name
(identical data), a reference that reads null, or a secret whose strategy did not parse.
"""

from __future__ import annotations

from migrator.mapper.desired import EntryRef, Secret
from migrator.names import shown_key
from migrator.plan.compare import strip_nulls
from migrator.plan.live import SecretReader, is_encrypted_node
from migrator.xpipe.client import XPipeClient


def verify(client: XPipeClient, reader: SecretReader, uuids: dict, result) -> None:
    """Read back what was written: the entry exists, has our name, and its references are not null."""
    written = [
        o for o in result.outcomes if o.status in ("created", "updated", "recreated") and o.change.kind != "category"
    ]
    if not written:
        return
    infos, missing = client.store_info([o.uuid for o in written])
    by_uuid = {i["uuid"]: i for i in infos}
    for outcome in written:
        problem = check(outcome, by_uuid.get(outcome.uuid), uuids, reader)
        if problem:
            outcome.status, outcome.error = "failed", problem
    for uuid in missing:
        result.problems.append(f"entry {uuid} vanished between write and read-back")


def check(outcome, info: dict | None, uuids: dict, reader: SecretReader) -> str | None:
    change = outcome.change
    if info is None:
        return "written, but XPipe does not return it when read back (incomplete?)"
    names = info.get("name") or []
    own = str(names[-1]) if names else ""
    if shown_key(own) != shown_key(change.entry.name):
        return f"XPipe stored it as the existing entry '{own}' (identical connection data); nothing was created"
    raw = info.get("rawData") or {}
    data = change.entry.data
    kept = {f.path for f in change.fields if f.kept}
    gateway = data.get("gateway")
    if gateway is not None and "gateway" not in kept:
        expected = uuids.get(gateway.key) if isinstance(gateway, EntryRef) else gateway
        got = raw.get("gateway")
        got = got.get("storeId") if isinstance(got, dict) else got
        if got != expected:
            return f"its gateway reads back as {got} instead of {expected}"
    wanted = data.get("identity")
    identity = raw.get("identity")
    if wanted is not None and not isinstance(identity, dict):
        return "its identity reads back as null after the write"
    if isinstance(wanted, dict) and wanted.get("type") == "ref" and not any(p.startswith("identity") for p in kept):
        got = identity.get("ref")
        got = got.get("storeId") if isinstance(got, dict) else got
        if got != uuids.get(wanted["ref"].key):
            return f"its identity reference reads back as {got} instead of {uuids.get(wanted['ref'].key)}"
    for field_name in ("password", "sshIdentity"):
        want = data.get(field_name)
        if isinstance(want, Secret) and field_name not in kept:
            node = raw.get(field_name)
            have = reader.strategy(node) if is_encrypted_node(node) else None
            if have is None or strip_nulls(have).get("type") != want.kind:
                return f"its {field_name} reads back as {have and have.get('type')} instead of {want.kind}"
    return None
