"""PuTTY/KiTTY sessions: the shipped samples field by field, then each rule on small real files."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT
from helpers.records import record_json

from migrator.errors import ConfigError, InputError
from migrator.manager import read_sources
from migrator.sources import detect_format
from migrator.sources.putty.sessions import prepare_host, unescape_session_name
from migrator.sources.putty.source import PuttySource

SAMPLES = REPO_ROOT / "samples"
MAIN = SAMPLES / "putty-sessions.reg"
KITTY = SAMPLES / "putty" / "kitty-regedit4.reg"
UNIX = SAMPLES / "putty" / "unix-sessions"
SESSIONS = "HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\"
KITTY_SESSIONS = "HKEY_CURRENT_USER\\Software\\9bis.com\\KiTTY\\Sessions\\"


def host_dict(
    path: Path,
    name: str,
    address: str,
    *,
    line,
    section,
    entry=None,
    file=None,
    port=22,
    user=None,
    category=(),
    key_files=(),
    certificate_files=(),
    agent="pageant",
    jump=(),
    ssh_options=(),
    description=None,
) -> dict:
    """The full JSON form of an expected Host, so a comparison covers every field."""
    return {
        "key": f"putty:{path.as_posix()}#{entry or name}",
        "name": name,
        "address": address,
        "port": port,
        "user": user,
        "category": list(category),
        "credentials": {
            "password": None,
            "password_prompt": False,
            "password_manager_ref": None,
            "key_files": list(key_files),
            "key_passphrase": None,
            "certificate_files": list(certificate_files),
            "identities_only": None,
            "identity_agent": None,
            "agent": agent,
            "identity": None,
        },
        "jump": [dict({"ref": None, "ref_key": None}, **hop) for hop in jump],
        "ssh_options": [list(o) for o in ssh_options],
        "proxy_command": None,
        "tags": [],
        "description": description,
        "source": {"format": "putty", "file": file or path.as_posix(), "line": line, "section": section},
    }


def hosts_by_name(result) -> dict[str, dict]:
    return {h.name: record_json(h) for h in result.hosts}


def diag_set(result) -> set[tuple]:
    return {(d.level, d.code, d.line, d.entry, d.field) for d in result.diagnostics}


def reg_v5(body: str) -> bytes:
    text = "Windows Registry Editor Version 5.00\r\n\r\n" + body.replace("\n", "\r\n")
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def read_reg(tmp_path: Path, body: str, name: str = "s.reg", raw: bytes | None = None, **options):
    path = tmp_path / name
    path.write_bytes(raw if raw is not None else reg_v5(body))
    return PuttySource(path, **options).read(), path


# ---- the main sample: UTF-16LE with BOM, multi-hop chain ------------------------------------------------


def test_main_sample_every_host_and_field():
    result = PuttySource(MAIN).read()
    k = f"putty:{MAIN.as_posix()}#"
    gw = {"host": "gw.example.net", "port": 2222, "user": "ops"}
    b1 = {
        "host": "bastion1.example.net",
        "port": 22,
        "user": "jump",
        "ref": "putty-bastion-1",
        "ref_key": k + "putty-bastion-1",
    }
    expected = {
        # Three hops: the host-name jump of bastion-1 (user from Default Settings), bastion-1, then
        # bastion-2 with ProxyUsername "tunnel" overriding its own UserName.
        "putty-app server": host_dict(
            MAIN,
            "putty-app server",
            "app.internal.example",
            user="deploy",
            line=62,
            section=SESSIONS + "putty-app%20server",
            key_files=["C:\\Users\\ana\\keys\\deploy.ppk"],
            jump=[
                gw,
                b1,
                {
                    "host": "bastion2.example.net",
                    "port": 2022,
                    "user": "tunnel",
                    "ref": "putty-bastion-2",
                    "ref_key": k + "putty-bastion-2",
                },
            ],
        ),
        "putty-bastion-1": host_dict(
            MAIN,
            "putty-bastion-1",
            "bastion1.example.net",
            user="jump",
            line=112,
            section=SESSIONS + "putty-bastion-1",
            key_files=["C:\\Users\\ana\\.ssh\\id_ed25519"],
            jump=[gw],
        ),
        # ProxyHost "PUTTY-BASTION-1" finds putty-bastion-1 (registry names ignore ASCII case);
        # its ProxyPort 80 is ignored because it names a session. Leading space of HostName dropped.
        "putty-bastion-2": host_dict(
            MAIN,
            "putty-bastion-2",
            "bastion2.example.net",
            port=2022,
            user="jumper",
            line=162,
            section=SESSIONS + "putty-bastion-2",
            jump=[gw, b1],
        ),
        "putty-café": host_dict(
            MAIN,
            "putty-café",
            "192.0.2.10",
            user="andré",
            line=212,
            section=SESSIONS + "putty-caf%E9",
            certificate_files=["C:\\Users\\ana\\.ssh\\cafe-cert.pub"],
            agent=None,
            ssh_options=[("ForwardAgent", "yes")],
        ),
        # user@host overrides UserName; the ":8022" suffix is discarded, PortNumber stays.
        "putty-web+1": host_dict(
            MAIN, "putty-web+1", "web1.example.com", port=2201, user="www", line=262, section=SESSIONS + "putty-web+1"
        ),
        "putty-Acme/db01": host_dict(
            MAIN, "putty-Acme/db01", "2001:db8::15", user="postgres", line=312, section=SESSIONS + "putty-Acme/db01"
        ),
        # No Protocol: SSH on 22, PortNumber 2200 not read (putty.exe behaviour).
        "putty-no-protocol": host_dict(
            MAIN,
            "putty-no-protocol",
            "legacy.example.org",
            user="root",
            line=362,
            section=SESSIONS + "putty-no-protocol",
        ),
        "putty-socks": host_dict(MAIN, "putty-socks", "10.20.30.40", line=367, section=SESSIONS + "putty-socks"),
        "putty-legacy-proxy": host_dict(
            MAIN, "putty-legacy-proxy", "old.example.org", line=417, section=SESSIONS + "putty-legacy-proxy"
        ),
    }
    assert hosts_by_name(result) == expected
    assert diag_set(result) == {
        ("info", "template", 12, "Default Settings", None),
        ("warning", "host-suffix", 262, "putty-web+1", "HostName"),
        ("warning", "default-protocol", 362, "putty-no-protocol", "Protocol"),
        ("warning", "not-ssh", 440, "putty-router-telnet", "Protocol"),
        ("warning", "not-ssh", 490, "putty-console-serial", "Protocol"),
        ("warning", "unsupported-proxy", 367, "putty-socks", "ProxyMethod"),
        ("warning", "unsupported-proxy", 417, "putty-legacy-proxy", "ProxyType"),
        ("error", "jump-loop", 426, "putty-loop-a", "ProxyHost"),
        ("error", "jump-loop", 433, "putty-loop-b", "ProxyHost"),
        ("warning", "ppk-key", 105, "putty-app server", "PublicKeyFile"),
    }
    assert all(d.file == MAIN.as_posix() for d in result.diagnostics)
    ppk = next(d for d in result.diagnostics if d.code == "ppk-key")
    assert "puttygen" in ppk.message and "private-openssh" in ppk.message and "Pageant" in ppk.message
    socks = next(d for d in result.diagnostics if d.entry == "putty-socks")
    assert "SOCKS 5" in socks.message and "socks.example.net:1080" in socks.message
    legacy = next(d for d in result.diagnostics if d.entry == "putty-legacy-proxy")
    assert "SOCKS 4" in legacy.message


def test_main_sample_display_names_use_the_putty_prefix():
    result = PuttySource(MAIN).read()
    assert result.hosts and all(h.name.startswith("putty-") for h in result.hosts)


def test_main_sample_is_detected_and_read_through_the_registry():
    assert detect_format(MAIN) == "putty"
    result = read_sources([str(MAIN)])
    assert len(result.hosts) == 9


# ---- KiTTY, REGEDIT4 in cp1252, hex values ----------------------------------------------------------------


def test_kitty_regedit4_sample_every_host_and_field():
    result = PuttySource(KITTY).read()
    k = f"putty:{KITTY.as_posix()}#"
    expected = {
        # %E9 and the literal "ü" are cp1252; PublicKeyFile is a hex(2) REG_EXPAND_SZ in ANSI.
        "café-jump": host_dict(
            KITTY,
            "café-jump",
            "jump.example.eu",
            entry="KiTTY\\café-jump",
            user="jürgen",
            line=11,
            section=KITTY_SESSIONS + "caf%E9-jump",
            category=["Clients", "Acme"],
            key_files=["C:\\keys\\jürgen.ppk"],
            agent=None,
        ),
        # PortNumber from hex(4) (little-endian 0x0822); Folder "Lab/Deep" nests; ProxyHost
        # "CAFé-JUMP" finds café-jump (ASCII case ignored); ProxyUsername overrides its user.
        "Müller DB": host_dict(
            KITTY,
            "Müller DB",
            "db.example.eu",
            entry="KiTTY\\Müller DB",
            port=2082,
            user="mueller",
            line=20,
            section=KITTY_SESSIONS + "M%FCller%20DB",
            category=["Lab", "Deep"],
            jump=[
                {
                    "host": "jump.example.eu",
                    "port": 22,
                    "user": "hop",
                    "ref": "café-jump",
                    "ref_key": k + "KiTTY\\café-jump",
                }
            ],
        ),
        # Leading "." escaped as %2E; Folder "Default" is KiTTY's root.
        ".old-jump": host_dict(
            KITTY,
            ".old-jump",
            "old.example.eu",
            entry="KiTTY\\.old-jump",
            line=34,
            section=KITTY_SESSIONS + "%2Eold-jump",
        ),
        # A PuTTY key in the same file: its own store, so KiTTY's Default Settings user does not
        # apply to its host-name jump; PsmPath gives the folder.
        "plain putty": host_dict(
            KITTY,
            "plain putty",
            "plain.example.eu",
            line=49,
            section=SESSIONS + "plain%20putty",
            category=["Team", "Ops"],
            jump=[{"host": "gw.example.eu", "port": 22, "user": None}],
        ),
    }
    assert hosts_by_name(result) == expected
    assert diag_set(result) == {
        ("info", "deleted-key", 47, "removed", None),
        ("info", "template", 7, "Default Settings", None),
        ("warning", "not-ssh", 42, "kitty-cygterm", "Protocol"),
        ("warning", "ppk-key", 17, "café-jump", "PublicKeyFile"),
        ("info", "folder-guess", 49, "plain putty", "PsmPath"),
    }
    cyg = next(d for d in result.diagnostics if d.entry == "kitty-cygterm")
    assert "in folder 'Local'" in cyg.message


def test_kitty_names_follow_the_codepage_option(tmp_path):
    body = (
        "[" + KITTY_SESSIONS + 'Z%B3ota]\n"HostName"="pl.example.eu"\n"Protocol"="ssh"\n"PortNumber"=dword:00000016\n'
    )
    data = ("REGEDIT4\r\n\r\n" + body.replace("\n", "\r\n")).encode("ascii")
    default, _ = read_reg(tmp_path, "", raw=data)
    polish, _ = read_reg(tmp_path, "", raw=data, codepage="cp1250")
    assert [h.name for h in default.hosts] == ["Z³ota"]
    assert [h.name for h in polish.hosts] == ["Złota"]


def test_unknown_codepage_is_a_config_error():
    with pytest.raises(ConfigError, match="code page"):
        PuttySource(MAIN, codepage="no-such-codepage")


# ---- the Unix session folder ----------------------------------------------------------------------


def test_unix_session_folder_every_host_and_field():
    result = PuttySource(UNIX).read()
    k = f"putty:{UNIX.as_posix()}#"
    f = UNIX.as_posix() + "/"
    expected = {
        "Clients/Acme/web": host_dict(
            UNIX,
            "Clients/Acme/web",
            "web.acme.example",
            port=2222,
            user="deploy",
            line=1,
            section="Clients/Acme/web",
            file=f + "Clients%2FAcme%2Fweb",
            key_files=["/home/ana/.ssh/id_ed25519"],
            agent=None,
            ssh_options=[("ForwardAgent", "yes")],
            jump=[
                {"host": "bastion.example.org", "port": 22, "user": "jump", "ref": "bastion", "ref_key": k + "bastion"}
            ],
        ),
        "bastion": host_dict(
            UNIX,
            "bastion",
            "bastion.example.org",
            user="jump",
            line=1,
            section="bastion",
            file=f + "bastion",
            agent="openssh",
        ),
        "broken-port": host_dict(
            UNIX,
            "broken-port",
            "broken.example.org",
            user="x",
            line=1,
            section="broken-port",
            file=f + "broken-port",
            agent="openssh",
        ),
        # ProxyHost "Bastion" is not session "bastion" on Unix (file names are case-sensitive), so it
        # is a host name; ProxyUsername wins over Default Settings' UserName.
        "café": host_dict(
            UNIX,
            "café",
            "cafe.example.org",
            user="root",
            line=1,
            section="café",
            file=f + "caf%C3%A9",
            agent="openssh",
            jump=[{"host": "Bastion", "port": 22, "user": "hopper"}],
        ),
    }
    assert hosts_by_name(result) == expected
    assert {(d.level, d.code, d.file, d.line, d.entry, d.field) for d in result.diagnostics} == {
        ("info", "template", f + "Default%20Settings", None, "Default Settings", None),
        ("warning", "value-type", f + "broken-port", 3, "broken-port", "PortNumber"),
        ("warning", "not-ssh", f + "telnet-box", 1, "telnet-box", "Protocol"),
        ("warning", "jump-name-case", f + "caf%C3%A9", 1, "café", "ProxyHost"),
        ("warning", "jump-key", f + "caf%C3%A9", 1, "café", "ProxyHost"),
    }
    # ProxyPassword is stored in plain text in that file; it never reaches the result.
    assert "not-a-real-secret" not in repr(result)
    assert all("not-a-real-secret" not in str(d) for d in result.diagnostics)


def test_unix_name_folders_option_splits_on_slash():
    result = PuttySource(UNIX, putty_name_folders=True).read()
    web = next(h for h in result.hosts if h.address and h.category == ["Clients", "Acme"])
    assert web.key.endswith("#web")  # the folder part of the name is not in the key
    assert (web.name, web.category) == ("web", ["Clients", "Acme"])


def test_unix_dot_putty_folder_is_detected_and_read(tmp_path):
    sessions = tmp_path / ".putty" / "sessions"
    sessions.mkdir(parents=True)
    (sessions / "box").write_text("HostName=box.example.org\nProtocol=ssh\nPortNumber=2200\n")
    assert PuttySource.detect(sessions, b"") == 90
    assert PuttySource.detect(tmp_path / ".putty", b"") == 85
    assert detect_format(tmp_path / ".putty") == "putty"
    result = PuttySource(tmp_path / ".putty").read()
    assert [(h.name, h.address, h.port) for h in result.hosts] == [("box", "box.example.org", 2200)]


def test_a_single_unix_session_file(tmp_path):
    path = tmp_path / "db%20one"
    path.write_bytes(
        b"HostName=db1.example.org\r\nProtocol=ssh\r\nPortNumber=2201\r\nLine without equals\r\nPortNumber=9999\r\n"
    )
    result = PuttySource(path).read()
    assert [(h.name, h.address, h.port, h.source.file) for h in result.hosts] == [
        ("db one", "db1.example.org", 2201, path.as_posix())
    ]
    assert result.diagnostics == []


def test_unix_port_minus_one_is_reported(tmp_path):
    path = tmp_path / "neg"
    path.write_text("HostName=neg.example.org\nProtocol=ssh\nPortNumber=-1\n")
    result = PuttySource(path).read()
    assert result.hosts == []
    assert [(d.code, d.field, d.file) for d in result.diagnostics] == [("invalid-value", "PortNumber", path.as_posix())]


def test_unix_file_in_a_legacy_code_page(tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    (folder / "m").write_bytes("HostName=m.example.org\nProtocol=ssh\nUserName=jürgen\n".encode("cp1252"))
    result = PuttySource(folder).read()
    assert result.hosts[0].user == "jürgen"
    assert [(d.code, d.entry) for d in result.diagnostics] == [("encoding", "m")]


def test_empty_unix_folder_reports_no_sessions(tmp_path):
    result = PuttySource(tmp_path).read()
    assert result.hosts == [] and [d.code for d in result.diagnostics] == ["no-sessions"]


# ---- encodings and .reg syntax ----------------------------------------------------------------------


BODY = "[" + SESSIONS + 'caf%E9]\n"HostName"="ren\u00e9@h.example.org"\n"Protocol"="ssh"\n"PortNumber"=dword:00000016\n'


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), id="utf8-bom"),
        pytest.param(lambda t: t.encode("utf-8"), id="utf8-no-bom"),
        pytest.param(lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), id="utf16be"),
    ],
)
def test_v5_files_in_other_encodings_read_the_same(tmp_path, encode):
    text = ("Windows Registry Editor Version 5.00\r\n\r\n" + BODY).replace("\n", "\r\n")
    result, _ = read_reg(tmp_path, "", raw=encode(text))
    assert [(h.name, h.user, h.address) for h in result.hosts] == [("café", "rené", "h.example.org")]
    assert result.diagnostics == []


def test_utf16_without_bom_is_read_with_a_warning(tmp_path):
    text = ("Windows Registry Editor Version 5.00\r\n\r\n" + BODY).replace("\n", "\r\n")
    result, _ = read_reg(tmp_path, "", raw=text.encode("utf-16-le"))
    assert [h.name for h in result.hosts] == ["café"]
    assert [d.code for d in result.diagnostics] == ["encoding"]


def test_v5_in_ansi_falls_back_to_the_codepage(tmp_path):
    text = ("Windows Registry Editor Version 5.00\r\n\r\n" + BODY).replace("\n", "\r\n")
    result, _ = read_reg(tmp_path, "", raw=text.encode("cp1252"))
    assert [(h.name, h.user) for h in result.hosts] == [("café", "rené")]
    assert [d.code for d in result.diagnostics] == ["encoding"]


def test_reg_syntax_problems_are_located_and_the_rest_is_read(tmp_path):
    body = (
        '"Stray"="value before any key"\n'
        "[" + SESSIONS + "good]\n"
        '"HostName"="good.example.org"\n'
        '"Protocol"="ssh"\n'
        '"PortNumber"=dword:zz\n'
        '"UserName"="unterminated\n'
        '"Broken name="x"\n'
        "garbage line\n"
        '"PublicKeyFile"="C:\\keys\\plain.key"\n'
        '"TryAgent"=hex:01,0\n'
        '"AgentFwd"=hex(4):01,00,00,00\n'
        '@="default value"\n'
        "[" + SESSIONS + "unclosed\n"
        '"HostName"="nope.example.org"\n'
    )
    result, path = read_reg(tmp_path, body)
    got = [(h.name, h.address, h.port, h.user, h.credentials.key_files, h.ssh_options) for h in result.hosts]
    assert got == [("good", "good.example.org", 22, None, ["C:\\keys\\plain.key"], [("ForwardAgent", "yes")])]
    assert {(d.level, d.code, d.line, d.field) for d in result.diagnostics} == {
        ("warning", "reg-syntax", 3, None),
        ("error", "reg-value", 7, "PortNumber"),
        ("error", "reg-value", 8, "UserName"),
        ("error", "reg-syntax", 9, "Broken name="),
        ("error", "reg-syntax", 10, None),
        ("error", "reg-value", 12, "TryAgent"),
        ("error", "reg-syntax", 15, None),
    }
    assert all(d.file == path.as_posix() for d in result.diagnostics)


def test_missing_header_and_foreign_keys(tmp_path):
    data = b'[HKEY_CURRENT_USER\\Software\\Other]\r\n"HostName"="x"\r\n'
    result, _ = read_reg(tmp_path, "", raw=data)
    assert result.hosts == []
    assert [d.code for d in result.diagnostics] == ["reg-header", "no-sessions"]


def test_repeated_and_deleted_keys(tmp_path):
    body = (
        "[" + SESSIONS + 'twice]\n"HostName"="one.example.org"\n"Protocol"="ssh"\n\n'
        "[" + SESSIONS.upper() + 'TWICE]\n"HostName"="two.example.org"\n"PortNumber"=dword:00000050\n\n'
        "[" + SESSIONS + 'gone]\n"HostName"="gone.example.org"\n\n'
        "[-" + SESSIONS + "gone]\n\n"
        "[" + SESSIONS + 'twice\\Subkey]\n"HostName"="sub.example.org"\n'
    )
    result, _ = read_reg(tmp_path, body)
    assert [(h.name, h.address, h.port) for h in result.hosts] == [("twice", "two.example.org", 80)]
    assert [(d.code, d.line) for d in result.diagnostics] == [
        ("repeated-key", 7),
        ("deleted-key", 14),
        ("not-a-session", 16),
    ]


def test_value_types_that_putty_would_not_read_fall_back_to_defaults(tmp_path):
    body = (
        "[" + SESSIONS + 'typed]\n"HostName"="typed.example.org"\n"Protocol"="ssh"\n'
        '"PortNumber"="2222"\n"UserName"=dword:00000001\n"Q"=hex(b):01,00,00,00,00,00,00,00\n'
        '"PublicKeyFile"=hex(7):61,00,00,00,62,00,00,00,00,00\n'
    )
    result, _ = read_reg(tmp_path, body)
    h = result.hosts[0]
    assert (h.port, h.user, h.credentials.key_files) == (22, None, [])
    assert [(d.code, d.field, d.line) for d in result.diagnostics] == [
        ("value-type", "PortNumber", 6),
        ("value-type", "UserName", 7),
        ("value-type", "PublicKeyFile", 9),
    ]


def test_long_hex_values_continue_over_lines(tmp_path):
    body = (
        "[" + SESSIONS + 'hexy]\n"HostName"=hex(1):68,00,65,00,78,00,2e,00,65,00,78,00,\\\n'
        '  61,00,6d,00,70,00,6c,00,65,00,2e,00,6f,00,72,00,67,00,00,00\n"Protocol"="ssh"\n'
    )
    result, _ = read_reg(tmp_path, body)
    assert [(h.address, h.source.line) for h in result.hosts] == [("hex.example.org", 3)]
    assert result.diagnostics == []


# ---- session names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escaped", "codepage", "name", "clean"),
    [
        ("Default%20Settings", "cp1252", "Default Settings", True),
        ("caf%E9", "cp1252", "café", True),
        ("web+1", "cp1252", "web+1", True),  # never URL decoding
        ("%2Eold", "cp1252", ".old", True),
        ("Clients%2FAcme", "utf-8", "Clients/Acme", True),
        ("caf%C3%A9", "utf-8", "café", True),
        ("%93%FA%96%7B", "cp932", "日本", True),  # DBCS bytes, escaped as PuTTY does
        ("100%", "cp1252", "100%", False),
        ("bad%zz", "cp1252", "bad%zz", False),
        ("x%81", "cp1252", "x\ufffd", False),
    ],
)
def test_unescape_session_name(escaped, codepage, name, clean):
    assert unescape_session_name(escaped, codepage) == (name, clean)


def test_control_characters_in_a_name_are_reported(tmp_path):
    body = "[" + SESSIONS + 'bad%01name]\n"HostName"="h.example.org"\n"Protocol"="ssh"\n'
    result, _ = read_reg(tmp_path, body)
    assert result.hosts == []
    assert [(d.level, d.code, d.field) for d in result.diagnostics] == [("error", "invalid-value", "session name")]


# ---- host names and protocols -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("host.example.org", ("host.example.org", None, None)),
        ("  \tuser@host.example.org", ("host.example.org", "user", None)),
        ("a@b@host.example.org", ("host.example.org", "a@b", None)),
        ("host.example.org:2200", ("host.example.org", None, ":2200")),
        ("2001:db8::1", ("2001:db8::1", None, None)),
        ("[2001:db8::1]:22", ("[2001:db8::1]", None, ":22")),
        ("ho st.example.org", ("host.example.org", None, None)),
    ],
)
def test_prepare_host(raw, expected):
    assert prepare_host(raw) == expected


@pytest.mark.parametrize(
    ("protocol", "imported"),
    [
        ("ssh", True),
        ("telnet", False),
        ("rlogin", False),
        ("raw", False),
        ("serial", False),
        ("supdup", False),
        ("ssh-connection", False),
    ],
)
def test_only_ssh_sessions_are_imported(tmp_path, protocol, imported):
    body = f'[{SESSIONS}p]\n"HostName"="p.example.org"\n"Protocol"="{protocol}"\n"PortNumber"=dword:00000017\n'
    result, _ = read_reg(tmp_path, body)
    assert [h.port for h in result.hosts] == ([23] if imported else [])
    if not imported:
        assert [(d.code, d.entry, d.field) for d in result.diagnostics] == [("not-ssh", "p", "Protocol")]


def test_unknown_protocol_is_ssh_on_22_like_putty(tmp_path):
    body = f'[{SESSIONS}u]\n"HostName"="u.example.org"\n"Protocol"="fancy"\n"PortNumber"=dword:00000017\n'
    result, _ = read_reg(tmp_path, body)
    assert [h.port for h in result.hosts] == [22]
    assert "'fancy'" in result.diagnostics[0].message and "23 is ignored" in result.diagnostics[0].message


def test_session_without_host_name_is_reported(tmp_path):
    result, _ = read_reg(tmp_path, f'[{SESSIONS}empty]\n"Protocol"="ssh"\n')
    assert result.hosts == [] and [d.code for d in result.diagnostics] == ["no-host"]


def test_invalid_host_and_port_are_reported_with_their_field(tmp_path):
    body = (
        f'[{SESSIONS}a]\n"HostName"="bad;host"\n"Protocol"="ssh"\n\n'
        f'[{SESSIONS}b]\n"HostName"="b.example.org"\n"Protocol"="ssh"\n"PortNumber"=dword:00010000\n'
    )
    result, _ = read_reg(tmp_path, body)
    assert result.hosts == []
    assert [(d.code, d.entry, d.field) for d in result.diagnostics] == [
        ("invalid-value", "a", "HostName"),
        ("invalid-value", "b", "PortNumber"),
    ]


def test_user_name_from_environment_is_reported(tmp_path):
    body = (
        f'[{SESSIONS}env]\n"HostName"="env.example.org"\n"Protocol"="ssh"\n"UserNameFromEnvironment"=dword:00000001\n'
    )
    result, _ = read_reg(tmp_path, body)
    assert result.hosts[0].user is None
    assert [d.code for d in result.diagnostics] == ["user-from-environment"]


# ---- proxies and jump chains ----------------------------------------------------------------------------


def session(name: str, host: str, **values) -> str:
    lines = [f"[{SESSIONS}{name}]", f'"HostName"="{host}"', '"Protocol"="ssh"']
    for key, value in values.items():
        lines.append(f'"{key}"=dword:{value:08x}' if isinstance(value, int) else f'"{key}"="{value}"')
    return "\n".join(lines) + "\n\n"


def test_localhost_and_excluded_hosts_bypass_the_proxy(tmp_path):
    body = (
        session("local", "localhost", ProxyMethod=6, ProxyHost="gw.example.org", ProxyPort=22)
        + session(
            "local-forced", "127.0.0.1", ProxyMethod=6, ProxyHost="gw.example.org", ProxyPort=22, ProxyLocalhost=1
        )
        + session(
            "excluded",
            "db.internal.example",
            ProxyMethod=6,
            ProxyHost="gw.example.org",
            ProxyPort=22,
            ProxyExcludeList="*.internal.example, 10.0.0.0/8",
        )
        + session(
            "excluded-ip",
            "10.1.2.3",
            ProxyMethod=6,
            ProxyHost="gw.example.org",
            ProxyPort=22,
            ProxyExcludeList="*.internal.example 10.0.0.0/8",
        )
    )
    result, _ = read_reg(tmp_path, body)
    assert {h.name: [j.host for j in h.jump] for h in result.hosts} == {
        "local": [],
        "local-forced": ["gw.example.org"],
        "excluded": [],
        "excluded-ip": [],
    }


def test_host_name_jump_without_proxy_port_uses_putty_default_80(tmp_path):
    body = session("j", "j.example.org", ProxyMethod=6, ProxyHost="root@gw.example.org")
    result, _ = read_reg(tmp_path, body)
    assert [(j.host, j.port, j.user) for j in result.hosts[0].jump] == [("gw.example.org", 80, "root")]
    assert [d.code for d in result.diagnostics] == ["proxy-port"]


def test_command_proxies_are_reported_without_their_command(tmp_path):
    body = session("cmd", "c.example.org", ProxyMethod=5, ProxyTelnetCommand="sshpass -p hunter2 ssh gw") + session(
        "exec", "e.example.org", ProxyMethod=7, ProxyHost="gw.example.org"
    )
    result, _ = read_reg(tmp_path, body)
    assert [(h.name, h.jump) for h in result.hosts] == [("cmd", []), ("exec", [])]
    messages = [d.message for d in result.diagnostics]
    assert [d.code for d in result.diagnostics] == ["unsupported-proxy", "unsupported-proxy"]
    assert "local command" in messages[0] and "hunter2" not in " ".join(messages)
    assert "execute a command" in messages[1]


def test_invalid_proxy_method_falls_back_to_proxy_type(tmp_path):
    result, _ = read_reg(tmp_path, session("x", "x.example.org", ProxyMethod=42, ProxyType=1, ProxyHost="p"))
    assert [(d.code, d.field) for d in result.diagnostics] == [
        ("proxy", "ProxyMethod"),
        ("unsupported-proxy", "ProxyMethod"),
    ]
    assert "HTTP" in result.diagnostics[1].message


def test_jump_to_a_session_that_cannot_be_a_jump_host(tmp_path):
    body = (
        session("t", "t.example.org", Protocol="telnet")
        + session("nohost", "")
        + session("via-telnet", "a.example.org", ProxyMethod=6, ProxyHost="t")
        + session("via-nohost", "b.example.org", ProxyMethod=6, ProxyHost="nohost")
        + session("via-defaults", "c.example.org", ProxyMethod=6, ProxyHost="Default Settings")
        + session("Default%20Settings", "")
    )
    result, _ = read_reg(tmp_path, body)
    assert result.hosts == []
    assert {(d.code, d.entry) for d in result.diagnostics} == {
        ("not-ssh", "t"),
        ("no-host", "nohost"),
        ("template", "Default Settings"),
        ("jump-invalid", "via-telnet"),
        ("jump-invalid", "via-nohost"),
        ("jump-invalid", "via-defaults"),
    }


def test_jump_lookup_ignores_only_ascii_case(tmp_path):
    body = (
        session("caf%E9", "cafe.example.org")
        + session("a", "a.example.org", ProxyMethod=6, ProxyHost="CAFé", ProxyPort=22)
        + session("b", "b.example.org", ProxyMethod=6, ProxyHost="CAFÉ", ProxyPort=22)
    )
    result, _ = read_reg(tmp_path, body)
    jumps = {h.name: [(j.host, j.ref) for j in h.jump] for h in result.hosts}
    assert jumps["a"] == [("cafe.example.org", "café")]
    assert "b" not in jumps  # "CAFÉ" is then a host name, and not a valid one
    assert {(d.code, d.entry) for d in result.diagnostics} == {("jump-name-case", "b"), ("bad-jump-host", "b")}


def test_jump_through_a_session_that_is_not_imported_keeps_the_hop_without_ref_key(tmp_path):
    body = session("bad%01jump", "jump.example.org", UserName="j") + session(
        "app", "app.example.org", ProxyMethod=6, ProxyHost="bad\x01jump"
    )
    result, _ = read_reg(tmp_path, body)
    assert [h.name for h in result.hosts] == ["app"]
    assert [(j.host, j.user, j.ref, j.ref_key) for j in result.hosts[0].jump] == [
        ("jump.example.org", "j", "bad\x01jump", None)
    ]


def test_network_proxy_inside_a_chain_ends_the_chain_there(tmp_path):
    body = session(
        "socks-jump", "sj.example.org", ProxyMethod=2, ProxyHost="socks.example.org", ProxyPort=1080
    ) + session("app", "app.example.org", ProxyMethod=6, ProxyHost="socks-jump")
    result, _ = read_reg(tmp_path, body)
    app = next(h for h in result.hosts if h.name == "app")
    assert [(j.host, j.ref) for j in app.jump] == [("sj.example.org", "socks-jump")]
    notes = [d for d in result.diagnostics if d.entry == "app"]
    assert [d.code for d in notes] == ["unsupported-proxy"] and "socks-jump" in notes[0].message


def test_default_settings_proxy_applies_to_host_name_jumps_and_loops_are_caught(tmp_path):
    body = session(
        "Default%20Settings", "", UserName="ops", ProxyMethod=6, ProxyHost="outer.example.org", ProxyPort=22
    ) + session("app", "app.example.org", ProxyMethod=6, ProxyHost="inner.example.org", ProxyPort=22)
    result, _ = read_reg(tmp_path, body)
    assert result.hosts == []
    assert ("jump-loop", "app") in {(d.code, d.entry) for d in result.diagnostics}


def test_detect_scores(tmp_path):
    assert PuttySource.detect(MAIN, MAIN.read_bytes()[:8192]) == 95
    assert PuttySource.detect(KITTY, KITTY.read_bytes()[:8192]) == 95
    other = tmp_path / "other.reg"
    other.write_bytes(b"REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\Other]\r\n")
    assert PuttySource.detect(other, other.read_bytes()) == 40
    assert PuttySource.detect(SAMPLES / "mobaxterm.mxtsessions", b"[Bookmarks]\r\nSubRep=\r\n") == 0


def test_unreadable_input_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        PuttySource(tmp_path / "missing.reg").read()


def test_proxy_host_port_suffix_is_discarded_like_putty(tmp_path):
    body = session("s", "s.example.org", ProxyMethod=6, ProxyHost="gw.example.org:2200", ProxyPort=22)
    result, _ = read_reg(tmp_path, body)
    assert [(j.host, j.port) for j in result.hosts[0].jump] == [("gw.example.org", 22)]
    assert [(d.code, d.field) for d in result.diagnostics] == [("host-suffix", "ProxyHost")]


def test_damaged_password_lines_are_never_echoed(tmp_path):
    body = (
        f'[{SESSIONS}p]\n"HostName"="p.example.org"\n"Protocol"="ssh"\n'
        'ProxyPassword"="hunter2"\n"ProxyPassword"="hun"ter2"\n"ProxyPassword"=hunter2\n'
    )
    result, _ = read_reg(tmp_path, body)
    assert [d.code for d in result.diagnostics] == ["reg-syntax", "reg-value", "reg-value"]
    text = " ".join(str(d) for d in result.diagnostics) + repr(result)
    assert "hun" not in text and "ter2" not in text
