"""Remmina connection profiles: ``*.remmina`` files, one per connection, and their ``remmina.pref``.

SSH profiles become hosts (SFTP ones with ``include_sftp``); every other protocol is reported and
skipped. Stored passwords are decrypted with the secret of the profiles' remmina.pref
(``crypto.py``); values kept in the desktop keyring are reported. An enabled SSH tunnel becomes a
jump host, referring to the folder's own SSH profile for that host when there is one.

The key of a profile is its ``name`` (``#2``, ``#3`` for repeats, in file-name order), never its
file name: Remmina names files from a template of group, protocol, name and server
(``remmina_pref.remmina_file_name``, default ``%G_%P_%N_%h``) and renames the file on every save
from the editor (``remmina_file_editor.c`` ``remmina_file_editor_file_save`` deletes the old file
and calls ``remmina_file_generate_filename``), so the file name changes when the profile moves to
another group, which must not re-create the XPipe entry.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from migrator.errors import InputError
from migrator.model import Diagnostic, Host, SourceResult
from migrator.sources.base import FileSource, SourceOptions, files_fingerprint
from migrator.sources.limits import MAX_SESSION_FILES, read_source_bytes, too_large
from migrator.sources.remmina import SUFFIX, data_folders, pref_candidates
from migrator.sources.secrets import WrongSourceSecret
from migrator.userpath import expand_home

if TYPE_CHECKING:  # the readers are imported when profiles are read, so detecting other formats stays cheap
    from migrator.sources.remmina.crypto import Decrypted
    from migrator.sources.remmina.profiles import Profile

#: protocols of Remmina's own plugins that are not SSH (reported as info, not warnings)
KNOWN_PROTOCOLS = frozenset({"RDP", "VNC", "VNCI", "GVNC", "SPICE", "X2GO", "WWW", "EXEC", "NX", "XDMCP", "KIOSK"})


class RemminaOptions(SourceOptions):
    #: the remmina.pref whose secret decrypts the passwords (default: found next to the profiles or under home)
    pref: Path | None = None
    #: a home folder to look for remmina.pref in (.config/remmina, the Flatpak's, ~/.remmina);
    #: the importer's own home is searched only when named (home=~)
    home: Path | None = None
    #: also import SFTP profiles as SSH connections
    include_sftp: bool = False


class RemminaSource(FileSource):
    """Profiles from one ``.remmina`` file, a profile folder, or a home folder holding Remmina's folders."""

    format = "remmina"
    summary = "Remmina *.remmina profiles (one file or a folder) with passwords decrypted via remmina.pref"
    Options = RemminaOptions

    @classmethod
    def example(cls, folder: Path) -> str:
        path = Path(folder) / "group_ssh_web-01_192-0-2-11.remmina"
        path.write_text(
            "[remmina]\nname=web-01\ngroup=Web\nprotocol=SSH\nserver=192.0.2.11:2222\nusername=deploy\n"
            "ssh_auth=2\npassword=\n",
            encoding="utf-8",
        )
        return path.as_posix()

    @classmethod
    def detect(cls, path: Path, head: bytes) -> int:
        if path.is_dir():
            folders = data_folders(path)
            return 80 if any(f.name.endswith(SUFFIX) for d in folders for f in _listing(d)) else 0
        if not path.name.endswith(SUFFIX):
            return 0
        return 95 if b"[remmina]" in head else 40

    def fingerprint(self) -> str:
        """The profile files Remmina would list and their prefs, not everything below a home folder."""
        folders = data_folders(self.path) if self.path.is_dir() else [self.path.parent]
        files = [self.path] if not self.path.is_dir() else []
        files += [f for d in folders if self.path.is_dir() for f in _listing(d) if f.name.endswith(SUFFIX)]
        prefs = [p for p in (self._pref_for(d) for d in folders) if p is not None]
        return files_fingerprint([*files, *prefs, *self.inputs])

    # ---- reading ------------------------------------------------------------------------------

    def read(self) -> SourceResult:
        from migrator.sources.remmina.profiles import ProfileMapper
        from migrator.sources.remmina.settings import parse_server

        self._diags: list[Diagnostic] = []
        self._partial = False
        self.inputs = []
        profiles = self._profiles()
        mapper = ProfileMapper(self._diag, self.provenance)
        candidates = [p for p in profiles if self._is_candidate(p)]
        held: set[str] = set()
        self._decrypt(candidates, held)
        by_address: dict[tuple[str, int, str | None], Profile] = {}
        for p in candidates:
            if p.key in held:
                continue
            try:
                host, port = parse_server(p.settings.get("server") or "", 22)
                by_address.setdefault((host.lower(), port, p.settings.get("username")), p)
            except ValueError:
                continue
        hosts: list[Host] = []
        for p in candidates:
            if p.key in held:
                continue
            before = sum(1 for d in self._diags if d.level == "error")
            hop = mapper.tunnel_hop(p, by_address)
            host = None if hop is False else mapper.host(p, [hop] if hop else None)
            if host is not None:
                hosts.append(host)
            elif sum(1 for d in self._diags if d.level == "error") > before:
                held.add(p.key)
        imported = {h.key for h in hosts}
        for i, h in enumerate(hosts):  # a jump through a profile that was not imported is a plain hop
            if h.jump and h.jump[0].ref_key and h.jump[0].ref_key not in imported:
                hosts[i] = replace(h, jump=[replace(h.jump[0], ref=None, ref_key=None)])
        return SourceResult(hosts=hosts, diagnostics=list(dict.fromkeys(self._diags)), held=held, partial=self._partial)

    def _diag(self, level, code, message, **kw) -> None:
        self._diags.append(self.diag(level, code, message, **kw))

    def _files(self) -> list[tuple[Path, Path]]:
        """(data folder, profile file) in name order; a folder's own entries only, as Remmina reads them."""
        if not self.path.is_dir():
            return [(self.path.parent, self.path)]
        out: list[tuple[Path, Path]] = []
        for folder in data_folders(self.path):
            entries = sorted(f for f in _listing(folder) if f.name.endswith(SUFFIX))
            if len(out) + len(entries) > MAX_SESSION_FILES:
                raise too_large(self.display_path, "the number of .remmina files", f"{MAX_SESSION_FILES:,}")
            out.extend((folder, f) for f in entries)
        if not out:
            self._diag("warning", "no-profiles", "no .remmina profile files in this folder")
        return out

    def _shown(self, file: Path) -> str:
        return file.as_posix() if self.path.is_dir() else self.display_path

    def _profiles(self) -> list[Profile]:
        from migrator.sources.remmina.keyfile import KeyFileError, parse_keyfile
        from migrator.sources.remmina.profiles import Profile, category_of
        from migrator.sources.remmina.settings import GROUP, load_settings

        profiles: list[Profile] = []
        counts: dict[str, int] = {}
        prefs: dict[Path, Path | None] = {}
        root = self.path.resolve() if self.path.is_dir() else None
        for folder, file in self._files():
            shown = self._shown(file)
            if root is not None and file.is_symlink():
                try:
                    target = file.resolve(strict=True)
                except (OSError, RuntimeError):  # a dangling link or a link loop
                    target = None
                if target is None or not target.is_relative_to(root):
                    message = "a link that is broken, loops or leads outside the folder named; not read"
                    self._diag("error", "outside-folder", message, file=shown)
                    self._partial = True
                    continue
            if file.is_dir():
                self._diag("info", "not-a-profile", "a folder named like a profile; Remmina skips it", file=shown)
                continue
            try:
                keyfile = parse_keyfile(read_source_bytes(file, shown))
            except InputError as exc:
                if root is None:  # the one file named cannot be read: the source cannot be read at all
                    raise
                self._diag("error", "unreadable", str(exc).removeprefix(f"{shown}: "), file=shown)
                self._partial = True
                continue
            except KeyFileError as exc:
                self._diag(
                    "error",
                    "damaged-profile",
                    f"Remmina cannot load this file ({exc.message}); it is not read",
                    line=exc.line,
                    file=shown,
                )
                self._partial = True
                continue
            group = keyfile.group(GROUP)
            if group is None or "name" not in group:
                self._diag(
                    "info", "not-a-profile", "no name in a [remmina] group: Remmina does not list it", file=shown
                )
                continue
            settings = load_settings(group)
            for key, (line, reason) in settings.bad.items():
                self._diag(
                    "warning",
                    "bad-value",
                    f"{reason}; Remmina treats the setting as empty",
                    line=line,
                    field=key,
                    file=shown,
                )
            name = settings.values.get("name", "").strip() or file.name[: -len(SUFFIX)]
            if not settings.values.get("name", "").strip():
                self._diag(
                    "warning",
                    "no-name",
                    "the profile's name is empty; its file name is used",
                    line=settings.line("name"),
                    file=shown,
                )
            count = counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
            profiles.append(
                Profile(
                    file=file,
                    shown=shown,
                    settings=settings,
                    name=name,
                    key=self.key(name if count == 1 else f"{name}#{count}"),
                    category=category_of(settings.get("group")),
                    protocol=settings.values.get("protocol", ""),
                    pref=prefs[folder] if folder in prefs else prefs.setdefault(folder, self._pref_for(folder)),
                )
            )
        return profiles

    def _is_candidate(self, p: Profile) -> bool:
        if p.protocol == "SSH" or (p.protocol == "SFTP" and self.options.include_sftp):
            return True
        where = f" in folder {'/'.join(p.category)!r}" if p.category else ""
        if p.protocol == "SFTP":
            level, text = (
                "info",
                f"not imported: SFTP profile{where}; set include_sftp to import SFTP profiles as SSH hosts",
            )
        elif p.protocol in KNOWN_PROTOCOLS:
            level, text = "info", f"not imported: {p.protocol} profile{where}"
        else:
            level, text = "warning", f"not imported: protocol {p.protocol[:30]!r} is not SSH{where}"
        self._diag(
            level, "not-ssh", text, line=p.settings.line("protocol"), field="protocol", entry=p.entry, file=p.shown
        )
        return False

    # ---- secrets ------------------------------------------------------------------------------

    def _pref_for(self, folder: Path) -> Path | None:
        if self.options.pref is not None:
            return expand_home(self.options.pref)
        home = expand_home(self.options.home) if self.options.home is not None else None
        if home is None and self.path.is_dir() and data_folders(self.path) != [self.path]:
            home = self.path
        return next((c for c in pref_candidates(folder, home) if c.is_file()), None)

    def _secret(self, pref: Path, cache: dict) -> bytes:
        if pref in cache:
            return cache[pref]
        from migrator.sources.remmina.crypto import BadSecret, parse_secret
        from migrator.sources.remmina.keyfile import BadValue, KeyFileError, parse_keyfile, string_value

        shown = pref.as_posix()
        try:
            data = read_source_bytes(pref, shown, limit=1024 * 1024)
            keyfile = parse_keyfile(data)
        except InputError as exc:
            raise WrongSourceSecret(f"{self.display_path}: {exc} (nothing was imported)") from None
        except KeyFileError as exc:
            where = f":{exc.line}" if exc.line else ""
            raise WrongSourceSecret(
                f"{shown}{where}: not a readable remmina.pref ({exc.message}); nothing was imported"
            ) from None
        self.inputs.append(pref)
        group = keyfile.group("remmina_pref") or {}
        try:
            text = string_value(group["secret"]) if "secret" in group else ""
        except BadValue:
            text = ""
        if not text:
            raise WrongSourceSecret(
                f"{shown}: has no [remmina_pref] secret to decrypt the passwords with; nothing was imported"
            )
        try:
            cache[pref] = parse_secret(text)
        except BadSecret as exc:
            raise WrongSourceSecret(f"{shown}: {exc}; nothing was imported") from None
        return cache[pref]

    def _decrypt(self, candidates: list[Profile], held: set[str]) -> None:
        """Decrypt every stored password an imported profile uses; a secret that fits none is wrong."""
        from migrator.sources.remmina.crypto import decrypt, glib_base64_decode
        from migrator.sources.remmina.profiles import secret_setting
        from migrator.sources.remmina.settings import setting_value

        cache: dict[Path, bytes] = {}
        results: dict[Path | None, list[tuple[Profile, str, Decrypted]]] = {}
        for p in candidates:
            setting = secret_setting(p.settings)
            if setting is None:
                continue
            state, stored = setting_value(p.settings, setting)
            if state != "stored":
                continue
            decoded = glib_base64_decode(stored)
            if len(decoded) % 8 or not decoded:  # not encrypted: no secret needed (remmina_crypt_decrypt)
                results.setdefault(None, []).append((p, setting, decrypt(stored, b"")))
                continue
            if p.pref is None:
                looked = ", ".join(c.as_posix() for c in pref_candidates(p.file.parent, self.options.home))
                raise WrongSourceSecret(
                    f"{self.display_path}: profiles hold passwords encrypted with the secret of remmina.pref, which "
                    f"was not found (looked for {looked}); name it with --source-option pref=PATH or give "
                    "home=FOLDER (nothing was imported)"
                )
            result = decrypt(stored, self._secret(p.pref, cache))
            results.setdefault(p.pref, []).append((p, setting, result))
        for pref, rows in results.items():
            bad = [r for r in rows if r[2].kind == "garbage"]
            good = len(rows) - len(bad)
            if len(bad) > good:
                raise WrongSourceSecret(
                    f"{self.display_path}: the secret of {_shown(pref)} does not decrypt {len(bad)} of the "
                    f"{len(rows)} stored passwords; is it the remmina.pref these profiles were saved with? "
                    "(nothing was imported)"
                )
            for p, setting, result in rows:
                if result.kind == "garbage":
                    self._diag(
                        "error",
                        "undecryptable",
                        f"not imported: the stored {setting} does not decrypt with the secret of "
                        f"{_shown(pref)} (saved with another remmina.pref?)",
                        line=p.settings.line(setting),
                        field=setting,
                        entry=p.entry,
                        file=p.shown,
                    )
                    held.add(p.key)
                    continue
                if result.kind == "clear":
                    self._diag(
                        "info",
                        "clear-password",
                        f"the {setting} is stored unencrypted; Remmina uses it as written, and so does the import",
                        line=p.settings.line(setting),
                        field=setting,
                        entry=p.entry,
                        file=p.shown,
                    )
                if result.kind in ("ok", "clear") and result.text:
                    p.secrets[setting] = result.text


def _shown(pref: Path | None) -> str:
    return pref.as_posix() if pref is not None else "remmina.pref"


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []
