"""An example source plugin: a plain host list, one ``name address[:port] [user]`` per line.

A file starts with the line ``# hostlist``, which is how ``detect`` knows it. Blank lines and
other ``#`` lines are comments. A line that does not parse is one diagnostic naming the line; the
entry it names is held, so a sync never deletes it while it is broken.
"""

from __future__ import annotations

from pathlib import Path

from migrator.model import Host, SourceResult
from migrator.sources.base import FileSource, SourceOptions
from migrator.sources.limits import read_source_bytes

MAGIC = "# hostlist"


class HostListOptions(SourceOptions):
    #: the user of every host whose line names none
    default_user: str | None = None
    #: the folder every host goes into
    folder: str | None = None


class HostListSource(FileSource):
    format = "hostlist"
    summary = "plain host lists (an example plugin)"
    Options = HostListOptions
    api_version = 1

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        return 90 if head.lstrip(b"\xef\xbb\xbf").startswith(MAGIC.encode()) else 0

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "servers.hosts"
        path.write_text(f"{MAGIC}\nweb-01 192.0.2.11:2222 deploy\n", encoding="utf-8")
        return path.as_posix()

    def read(self) -> SourceResult:
        result = SourceResult()
        text = read_source_bytes(self.path, self.display_path).decode("utf-8-sig", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            key = self.key(words[0])
            if len(words) not in (2, 3):
                result.held.add(key)
                result.diagnostics.append(
                    self.diag("error", "hostlist-line", "expected: name address[:port] [user]", line=number)
                )
                continue
            address, _, port = words[1].partition(":")
            try:
                host = Host(
                    key=key,
                    name=words[0],
                    address=address,
                    port=int(port) if port else 22,
                    user=words[2] if len(words) == 3 else self.options.default_user,
                    category=[self.options.folder] if self.options.folder else [],
                    source=self.provenance(line=number),
                )
            except ValueError:
                result.held.add(key)
                result.diagnostics.append(
                    self.diag("error", "hostlist-value", "bad address or port", line=number, entry=words[0])
                )
                continue
            result.hosts.append(host)
        return result
