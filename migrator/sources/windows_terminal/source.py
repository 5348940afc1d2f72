"""Windows Terminal ``settings.json``: every profile whose command line runs ``ssh``.

``profiles`` is a list or ``{"defaults": {...}, "list": [...]}`` (``SettingsLoader::_parseJson``);
a profile inherits what it does not set from ``defaults``, and ``commandline`` defaults to
``%SystemRoot%\\System32\\cmd.exe`` (``MTSMSettings.h``). A profile with a ``source`` and no
``commandline`` of its own comes from a profile generator (WSL, PowerShell, Azure, Visual Studio, and
``Windows.Terminal.SSH``, which turns the Windows user's ``~/.ssh/config`` into profiles): its command
line is not in the file, so it is reported. A profile without ``guid`` gets the one Windows Terminal
computes (``Profile::_GenerateGuidForProfile``: a version-5 UUID of the UTF-16LE name, in the
namespace ``{f65ddb7e-706b-4499-8a50-40313caf510a}``, or in a namespace made from the source).
The GUID is the key, so renaming a profile updates its XPipe entry. A GUID repeated keeps the first
profile (``_appendProfile``). Windows Terminal has no folders.

The command line is split like Windows does (``cmdline``) and read like ssh does
(``migrator.sources.openssh_args``). Only a command line whose program is ``ssh`` or ``ssh.exe``
(any path) counts; ``wsl ssh ...``, ``cmd /c ssh ...`` and the like pass the arguments through
another program's rules and are reported, not guessed. Nothing is run.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from migrator.errors import InputError
from migrator.model import Credentials, Host, JumpHop, SourceResult, validate_address
from migrator.sources.base import FileSource, SourceOptions
from migrator.sources.limits import read_source_bytes

if TYPE_CHECKING:  # the readers are imported when a file is read, so detecting other formats stays cheap
    from migrator.sources.openssh_args import SshCommand
    from migrator.sources.windows_terminal.jsonc import JObject

DEFAULT_COMMANDLINE = "%SystemRoot%\\System32\\cmd.exe"
PROFILE_NAMESPACE = uuid.UUID("f65ddb7e-706b-4499-8a50-40313caf510a")
SSH_GENERATOR = "Windows.Terminal.SSH"
_GUID = re.compile(r"\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?")
_SHELLS = {"wsl.exe", "wsl", "cmd.exe", "cmd", "powershell.exe", "powershell", "pwsh.exe", "pwsh", "bash.exe", "bash"}
_MAX_NAMES = 10
#: The end of a path to ssh(.exe): what ``unquoted_ssh_path`` looks for after a space.
_SSH_TAIL = re.compile(r"[\\/]ssh(?:\.exe)?(?:[ \t]|$)", re.IGNORECASE)


class WindowsTerminalOptions(SourceOptions):
    #: also import ssh profiles hidden from Windows Terminal's menu
    include_hidden: bool = True


def v5_guid(namespace: uuid.UUID, name: str) -> uuid.UUID:
    """``Utils::CreateV5Uuid`` over the UTF-16LE bytes of ``name`` (Windows Terminal's wide strings)."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode("utf-16-le")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(digest))


def profile_guid(name: str, source: str | None) -> str:
    namespace = v5_guid(PROFILE_NAMESPACE, source) if source else PROFILE_NAMESPACE
    return "{" + str(v5_guid(namespace, name)) + "}"


class WindowsTerminalSource(FileSource):
    """SSH profiles from Windows Terminal's ``settings.json``.

    Options: ``include_hidden`` (import ssh profiles that are hidden from the menu; default on).
    """

    format = "windows_terminal"
    summary = "Windows Terminal settings.json profiles that run ssh"
    Options = WindowsTerminalOptions

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir() or b"\x00" in head:
            return 0
        text = head.decode("utf-8", errors="replace")
        if '"profiles"' not in text:
            return 0
        if "aka.ms/terminal-profiles-schema" in text or '"defaultProfile"' in text:
            return 95
        if path.name.lower() == "settings.json" and '"commandline"' in text:
            return 80
        return 0

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "settings.json"
        path.write_text(
            '{\n    "$schema": "https://aka.ms/terminal-profiles-schema",\n'
            '    "defaultProfile": "{2c4de342-38b7-51cf-b940-2309a097f518}",\n'
            '    "profiles": {\n        "defaults": {},\n        "list": [\n'
            "            // an ssh profile\n"
            '            {\n                "guid": "{2c4de342-38b7-51cf-b940-2309a097f518}",\n'
            '                "name": "web01",\n'
            '                "commandline": "ssh.exe -p 2222 deploy@web01.example.com",\n'
            "            },\n        ]\n    }\n}\n",
            encoding="utf-8",
        )
        return str(path)

    def read(self) -> SourceResult:
        from migrator.sources.windows_terminal.jsonc import JObject, JsonError, parse

        data = read_source_bytes(self.path, self.display_path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{self.display_path}: byte {exc.start} is not UTF-8; Windows Terminal writes UTF-8"
            ) from None
        try:
            root = parse(text)
        except JsonError as exc:
            raise InputError(f"{self.display_path}: not JSON Windows Terminal can read ({exc})") from None
        profiles = root.get("profiles") if isinstance(root, Mapping) else None
        defaults: Mapping = {}
        if isinstance(profiles, Mapping):
            defaults = profiles.get("defaults") if isinstance(profiles.get("defaults"), Mapping) else {}
            profiles = profiles.get("list")
        if not isinstance(profiles, list):
            raise InputError(f"{self.display_path}: no 'profiles' list; not a Windows Terminal settings file")
        result = SourceResult()
        self._result = result
        seen: dict[str, int] = {}
        skipped: list[str] = []
        generated: dict[str, list[str]] = {}
        for profile in profiles:
            if not isinstance(profile, JObject):
                result.diagnostics.append(
                    self.diag("warning", "bad-profile", ("a profile that is not an object; ignored"))
                )
                continue
            self._profile(profile, defaults, seen, skipped, generated)
        if skipped:
            names = ", ".join(repr(n) for n in skipped[:_MAX_NAMES]) + (", ..." if len(skipped) > _MAX_NAMES else "")
            result.diagnostics.append(
                self.diag("info", "not-ssh", f"{len(skipped)} profile(s) do not run ssh and are not imported: {names}")
            )
        for source, names in generated.items():
            hint = (
                "; it makes them from the Windows user's ~/.ssh/config: import that file with the ssh_config format"
                if source == SSH_GENERATOR
                else ""
            )
            result.diagnostics.append(
                self.diag(
                    "info",
                    "generated-profile",
                    f"{len(names)} profile(s) come from the generator {source!r}, whose command lines are not in "
                    f"this file; not imported{hint}",
                )
            )
        if result.hosts:
            result.diagnostics.append(
                self.diag(
                    "info",
                    "ssh-config-alias",
                    "a destination may be a Host alias of the Windows user's ~/.ssh/config, which this file does "
                    "not contain; import that file with the ssh_config format if so",
                )
            )
        return result

    def _profile(self, profile: JObject, defaults: Mapping, seen, skipped: list[str], generated) -> None:
        from migrator.sources.windows_terminal.cmdline import command_line_to_argv, is_ssh

        result = self._result
        line = profile.line
        name = profile.get("name")
        name = name if isinstance(name, str) else None
        source = profile.get("source") if isinstance(profile.get("source"), str) else None
        raw_guid = profile.get("guid")
        if isinstance(raw_guid, str) and _GUID.fullmatch(raw_guid.strip()):
            guid = "{" + _GUID.fullmatch(raw_guid.strip()).group(1).lower() + "}"
        elif name:
            guid = profile_guid(name, source)
        else:
            result.diagnostics.append(
                self.diag("warning", "no-name", ("a profile with no name and no guid; ignored"), line=line)
            )
            return
        if guid in seen:
            result.diagnostics.append(
                self.diag(
                    "warning",
                    "duplicate-guid",
                    f"its guid is also the guid of the profile at line {seen[guid]}; Windows Terminal keeps that one",
                    line=line,
                    field="guid",
                    entry=name,
                )
            )
            return
        seen[guid] = line
        own = profile.get("commandline")
        if source and own is None:
            generated.setdefault(source, []).append(name or guid)
            return
        commandline = own if own is not None else defaults.get("commandline", DEFAULT_COMMANDLINE)
        if not isinstance(commandline, str):
            result.diagnostics.append(
                self.diag("warning", "bad-commandline", "'commandline' is not text; ignored", line=line, entry=name)
            )
            return
        argv = command_line_to_argv(commandline.strip())
        if not is_ssh(argv[0]):
            if unquoted_ssh_path(commandline.strip()):
                result.diagnostics.append(
                    self.diag(
                        "error",
                        "unquoted-path",
                        "not imported: the path of ssh.exe has a space and no quotes, so ssh would read the rest "
                        'of the path as its destination; put the path in "quotes" in Windows Terminal',
                        line=line,
                        field="commandline",
                        entry=name,
                    )
                )
                result.held.add(self.key(guid))
                return
            self._not_ssh(argv, name or guid, line, skipped)
            return
        key = self.key(guid)
        hidden = profile.get("hidden", defaults.get("hidden", False)) is True
        if hidden and not self.options.include_hidden:
            result.diagnostics.append(
                self.diag(
                    "info",
                    "hidden",
                    ("hidden in Windows Terminal; not imported (include_hidden is off)"),
                    line=line,
                    entry=name,
                )
            )
            return
        if not name:
            result.diagnostics.append(
                self.diag("error", "no-name", "not imported: the ssh profile has no name", line=line, field="name")
            )
            result.held.add(key)
            return
        try:
            host = self._host(key, name, argv[1:], line)
        except _ProfileError as exc:
            result.diagnostics.append(
                self.diag("error", exc.code, str(exc), line=line, field="commandline", entry=name)
            )
            result.held.add(key)
            return
        if host is None:
            return
        if hidden:
            result.diagnostics.append(
                self.diag("info", "hidden", ("hidden in Windows Terminal's menu; imported"), line=line, entry=name)
            )
        result.hosts.append(host)

    def _not_ssh(self, argv: list[str], name: str, line: int, skipped: list[str]) -> None:
        from migrator.sources.windows_terminal.cmdline import is_ssh, program_name

        via = program_name(argv[0])
        if via in _SHELLS and any(is_ssh(a) for a in argv[1:]):
            self._result.diagnostics.append(
                self.diag(
                    "warning",
                    "ssh-through-program",
                    f"runs ssh through {via}, which splits the arguments by its own rules; not imported "
                    "(make the profile run ssh.exe directly to import it)",
                    line=line,
                    field="commandline",
                    entry=name,
                )
            )
            return
        skipped.append(name)

    def _host(self, key: str, name: str, args: list[str], line: int) -> Host | None:
        from migrator.sources.openssh_args import SshCommandError, parse_ssh_command
        from migrator.sources.windows_terminal.cmdline import env_references

        diag = self._result.diagnostics
        try:
            cmd = parse_ssh_command(args)
        except SshCommandError as exc:
            raise _ProfileError("ssh-refuses", f"not imported: ssh would refuse this command line: {exc}") from None
        if cmd.not_a_session:
            diag.append(
                self.diag(
                    "warning",
                    "not-a-session",
                    f"not imported: the command line makes ssh do {cmd.not_a_session[0]} instead of connecting",
                    line=line,
                    field="commandline",
                    entry=name,
                )
            )
            return None
        for value, what in ((cmd.address, "destination"), (cmd.user, "user")):
            if value and env_references(value):
                raise _ProfileError(
                    "environment-variable",
                    f"not imported: the {what} uses a %VARIABLE% of the Windows user, which is not known here",
                )

        def warn(code: str, message: str) -> None:
            diag.append(self.diag("warning", code, message, line=line, field="commandline", entry=name))

        for item in cmd.not_carried:
            warn("option-not-carried", f"{item} is not carried into XPipe")
        if cmd.remote_command:
            warn("remote-command", "the command line ends in a remote command, which is not imported")
        if cmd.proxy_command not in (None, "none"):
            warn("proxy-command", "a ProxyCommand is not imported (it runs a command)")
        if any(env_references(f) for f in cmd.identity_files):
            warn("environment-variable", "a key file path uses a %VARIABLE%, kept as written (Windows expands it)")
        hops = _hops(cmd)
        try:
            return Host(
                key=key,
                name=name,
                address=cmd.address or "",
                port=cmd.port or 22,
                user=cmd.user or None,
                credentials=Credentials(key_files=list(cmd.identity_files)),
                jump=hops,
                ssh_options=cmd.options,
                source=self.provenance(line=line),
            )
        except ValidationError as exc:
            err = exc.errors()[0]["msg"].removeprefix("Value error, ") if exc.errors() else "invalid"
            raise _ProfileError("invalid-value", f"not imported: {err}") from None


class _ProfileError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _hops(cmd: SshCommand) -> list[JumpHop]:
    if cmd.jump is None or cmd.jump.none or cmd.jump.last is None:
        return []
    from migrator.sources.ssh_config.jump import parse_hop
    from migrator.sources.windows_terminal.cmdline import env_references

    specs = [parse_hop(t) for t in cmd.jump.extra.split(",")] if cmd.jump.extra is not None else []
    specs.append(cmd.jump.last)
    hops = []
    for spec in specs:
        if spec is None or env_references(spec.host):
            raise _ProfileError("bad-jump", "not imported: a jump host is not one that can be imported")
        try:
            hops.append(JumpHop(host=validate_address(spec.host), port=spec.port, user=spec.user))
        except ValueError:
            raise _ProfileError("bad-jump", "not imported: a jump host is not a valid host name or address") from None
    return hops


def unquoted_ssh_path(text: str) -> bool:
    """Whether ``text`` starts with an unquoted path to ssh(.exe) that has a space in it
    (``C:\\Program Files\\OpenSSH\\ssh.exe host``): the first character is no quote or blank, no ``"``
    comes before the path's end, and a space comes before ``\\ssh``. The regular expression it
    replaces (two lazy runs around the space) was quadratic: 400 KB of ``"a "`` took ten minutes.
    """
    if not text or text[0] == '"' or text[0].isspace():
        return False
    quote = text.find('"')
    limit = len(text) if quote == -1 else quote
    space = text.find(" ", 1, limit)
    if space == -1:
        return False
    tail = _SSH_TAIL.search(text, space + 1)
    return tail is not None and tail.start() < limit
