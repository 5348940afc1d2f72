"""MobaXterm sessions: the shipped samples field by field, then each rule on small real files."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from helpers.mobaxterm import G4, line, ssh_g3
from helpers.paths import REPO_ROOT
from helpers.records import record_json

from migrator.errors import ConfigError, InputError
from migrator.manager import read_sources
from migrator.sources import detect_format
from migrator.sources.mobaxterm import MobaXtermSource
from migrator.sources.mobaxterm_fields import unescape

SAMPLES = REPO_ROOT / "samples"
MAIN = SAMPLES / "mobaxterm.mxtsessions"
VARIANTS = SAMPLES / "mobaxterm"


@pytest.fixture(autouse=True)
def not_windows(monkeypatch):
    """Placeholder defaults come from the environment only on Windows; pin the non-Windows behaviour."""
    monkeypatch.setattr("sys.platform", "linux")


def host_dict(
    path: Path,
    name: str,
    address: str,
    *,
    line,
    section,
    folder=(),
    port=22,
    user=None,
    key_files=(),
    jump=(),
    ssh_options=(),
    description=None,
) -> dict:
    """The full JSON form of an expected Host, so a comparison covers every field."""
    return {
        "key": f"mobaxterm:{path.as_posix()}#{name}",  # the folder is a field, never part of the key
        "name": name,
        "address": address,
        "port": port,
        "user": user,
        "category": list(folder),
        "credentials": {
            "password": None,
            "password_prompt": False,
            "password_manager_ref": None,
            "key_files": list(key_files),
            "key_passphrase": None,
            "certificate_files": [],
            "identities_only": None,
            "identity_agent": None,
            "agent": None,
            "identity": None,
        },
        "jump": [dict({"ref": None, "ref_key": None}, **hop) for hop in jump],
        "ssh_options": [list(o) for o in ssh_options],
        "proxy_command": None,
        "tags": [],
        "description": description,
        "source": {"format": "mobaxterm", "file": path.as_posix(), "line": line, "section": section},
    }


def hosts_by_name(result) -> dict[str, dict]:
    return {h.name: record_json(h) for h in result.hosts}


def diag_set(result) -> set[tuple]:
    return {(d.level, d.code, d.line, d.entry, d.field) for d in result.diagnostics}


def read_text(tmp_path: Path, lines: list[str], name="s.mxtsessions", encoding="cp1252", bom=b"", **options):
    path = tmp_path / name
    path.write_bytes(bom + "\r\n".join(lines).encode(encoding))
    return MobaXtermSource(path, **options).read(), path


# ---- the main sample: cp1252, folders, escapes, placeholders, non-SSH sessions ----------------------------


def test_main_sample_every_host_and_field():
    result = MobaXtermSource(MAIN).read()
    linux = ["Datacenter", "Linux"]
    expected = {
        "moba-web01": host_dict(
            MAIN,
            "moba-web01",
            "web01.example.com",
            user="admin",
            line=4,
            section="Bookmarks",
            key_files=["C:\\Keys\\web01.ppk"],
            description="Production web #1 ; primary",
        ),
        "moba-café": host_dict(MAIN, "moba-café", "192.0.2.20", port=2222, user="rené", line=5, section="Bookmarks"),
        # Two gateways, first listed first; the second has no user; agent forwarding on.
        "moba-db01": host_dict(
            MAIN,
            "moba-db01",
            "db01.dc.example.com",
            user="postgres",
            line=10,
            section="Bookmarks_1",
            folder=["Datacenter"],
            key_files=["_AppDataDir_\\MobaXterm\\home\\.ssh\\id_rsa"],
            jump=[
                {"host": "jump1.example.com", "port": 22, "user": "ops"},
                {"host": "jump2.example.com", "port": 2222, "user": None},
            ],
            ssh_options=[("ForwardAgent", "yes")],
            description='Primary "orders" DB, 50% of load',
        ),
        # An older line: G3 ends at field 26, no G6/G7, gateway port "22" without a gateway host.
        "moba-old": host_dict(
            MAIN,
            "moba-old",
            "10.1.2.3",
            user="root",
            line=17,
            section="Bookmarks_4",
            folder=["Datacenter", "Linux", "Legacy"],
        ),
        "moba-socks": host_dict(
            MAIN, "moba-socks", "10.9.8.7", user="svc", line=24, section="Bookmarks_2", folder=linux
        ),
        "moba-default-user": host_dict(
            MAIN, "moba-default-user", "198.51.100.7", line=25, section="Bookmarks_2", folder=linux
        ),
        "moba-cred-user": host_dict(
            MAIN, "moba-cred-user", "198.51.100.8", line=26, section="Bookmarks_2", folder=linux
        ),
    }
    assert hosts_by_name(result) == expected
    assert diag_set(result) == {
        ("info", "placeholder", 4, "moba-web01", "G3[14] private key"),
        ("warning", "ppk-key", 4, "moba-web01", "G3[14] private key"),
        ("warning", "unresolved-path", 10, "moba-db01", "G3[14] private key"),
        ("warning", "unresolved-path", 10, "moba-db01", "G3[15] gateway keys"),
        ("warning", "ppk-key", 10, "moba-db01", "G3[15] gateway keys"),
        ("warning", "gateway-key", 10, "moba-db01", "G3[15] gateway keys"),
        ("warning", "not-ssh", 11, "moba-rdp-dc", "G3[0]"),
        ("warning", "not-ssh", 12, "moba-vnc-kvm", "G3[0]"),
        ("warning", "not-ssh", 18, "moba-telnet-switch", "G3[0]"),
        ("warning", "not-ssh", 23, "moba-sftp-files", "G3[0]"),
        ("warning", "unsupported-proxy", 24, "moba-socks", "G3[19] proxy type"),
        ("warning", "default-user", 25, "moba-default-user", "G3[3] user"),
        ("warning", "credential-user", 26, "moba-cred-user", "G3[3] user"),
        ("warning", "not-ssh", 35, "moba-intranet", "G3[0]"),
        ("warning", "not-ssh", 36, "moba-console", "G3[0]"),
        ("warning", "not-ssh", 37, "moba-mosh", "G3[0]"),
        ("warning", "not-ssh", 38, "moba-wsl", "G3[0]"),
        ("error", "damaged-line", 39, "moba-damaged", "G3"),
    }
    skipped = {d.entry: d.message for d in result.diagnostics if d.code == "not-ssh"}
    assert skipped == {
        "moba-rdp-dc": "not imported: RDP session to 'dc01.example.com' in folder 'Datacenter'",
        "moba-vnc-kvm": "not imported: VNC session to 'kvm.example.com' in folder 'Datacenter'",
        "moba-telnet-switch": "not imported: Telnet session to 'switch.example.com' in folder "
        "'Datacenter/Linux/Legacy'",
        "moba-sftp-files": "not imported: SFTP session to 'files.example.com' in folder 'Datacenter/Linux'; "
        "set include_sftp to import SFTP sessions as SSH hosts",
        "moba-intranet": "not imported: Browser session to 'https://intranet.example.com/=x' in folder 'Tools'",
        "moba-console": "not imported: Serial session to 'COM3' in folder 'Tools'",
        "moba-mosh": "not imported: Mosh session to 'mosh.example.com' in folder 'Tools'; set include_mosh "
        "to import Mosh sessions as SSH hosts",
        "moba-wsl": "not imported: WSL session to 'Ubuntu' in folder 'Tools'",
    }
    assert all(d.file == MAIN.as_posix() for d in result.diagnostics)


def test_main_sample_display_names_use_the_moba_prefix():
    result = MobaXtermSource(MAIN, include_sftp=True, include_mosh=True).read()
    assert len(result.hosts) == 9 and all(h.name.startswith("moba-") for h in result.hosts)


def test_main_sample_placeholders_from_options():
    result = MobaXtermSource(
        MAIN, current_drive="D:", appdata_dir="C:\\Users\\ana\\AppData\\Roaming", profile_dir="C:\\Users\\ana"
    ).read()
    keys = {h.name: h.credentials.key_files for h in result.hosts if h.credentials.key_files}
    assert keys == {
        "moba-web01": ["D:\\Keys\\web01.ppk"],
        "moba-db01": ["C:\\Users\\ana\\AppData\\Roaming\\MobaXterm\\home\\.ssh\\id_rsa"],
    }
    assert "unresolved-path" not in {d.code for d in result.diagnostics}
    gateway = next(d for d in result.diagnostics if d.code == "gateway-key")
    assert "C:\\Users\\ana\\.ssh\\jump1.ppk" in gateway.message


def test_placeholders_default_to_the_windows_environment_on_windows(monkeypatch):
    monkeypatch.setattr("sys.platform", "win32")
    monkeypatch.setenv("APPDATA", "C:\\Users\\bob\\AppData\\Roaming")
    monkeypatch.setenv("USERPROFILE", "C:\\Users\\bob")
    result = MobaXtermSource(MAIN).read()
    db = next(h for h in result.hosts if h.name == "moba-db01")
    assert db.credentials.key_files == ["C:\\Users\\bob\\AppData\\Roaming\\MobaXterm\\home\\.ssh\\id_rsa"]


def test_main_sample_is_detected():
    assert detect_format(MAIN) == "mobaxterm"
    assert len(read_sources([str(MAIN)]).hosts) == 7


# ---- variants -----------------------------------------------------------------------------------------


def test_mobaxterm_ini_every_host_and_field():
    path = VARIANTS / "MobaXterm.ini"
    result = MobaXtermSource(path, profile_dir="C:\\Users\\jdoe").read()
    expected = {
        # <default> is [SSH] DefaultLoginName of the same file.
        "root-box": host_dict(
            path,
            "root-box",
            "root.example.ch",
            user="jdoe",
            line=16,
            section="Bookmarks",
            key_files=["C:\\Users\\jdoe\\.ssh\\id_ed25519"],
        ),
        # [prodcreds] resolves to the user name part of the [Credentials] entry.
        "zh-app": host_dict(
            path,
            "zh-app",
            "app.zh.example.ch",
            port=2200,
            user="produser",
            line=21,
            section="Bookmarks_3",
            folder=["Zürich", "Prod"],
        ),
        "zh-missing-cred": host_dict(
            path, "zh-missing-cred", "198.51.100.30", line=22, section="Bookmarks_3", folder=["Zürich", "Prod"]
        ),
        "zh-gw": host_dict(
            path,
            "zh-gw",
            "gw.zh.example.ch",
            user="gate",
            line=31,
            section="Bookmarks_1",
            folder=["Zürich"],
            jump=[{"host": "outer.example.ch", "port": 2022, "user": "jdoe"}],
        ),
    }
    assert hosts_by_name(result) == expected
    assert diag_set(result) == {
        ("info", "encrypted-passwords", 24, None, None),
        ("info", "encrypted-passwords", 33, None, None),
        ("info", "default-user", 16, "root-box", "G3[3] user"),
        ("info", "placeholder", 16, "root-box", "G3[14] private key"),
        ("info", "credential-user", 21, "zh-app", "G3[3] user"),
        ("warning", "credential-user", 22, "zh-missing-cred", "G3[3] user"),
        ("info", "default-user", 31, "zh-gw", "G3[10] gateway users"),
    }
    text = " ".join(str(d) for d in result.diagnostics) + repr(result)
    for secret in ("Qk1wT3RmV2VkU2VjcmV0", "TW9yZUVuY3J5cHRlZA==", "RW5jcnlwdGVkUGFzc3dvcmQ="):
        assert secret not in text


def test_utf8_bom_sample_with_sftp_and_mosh_opt_in():
    path = VARIANTS / "utf8-bom.mxtsessions"
    result = MobaXtermSource(path, include_sftp=True, include_mosh="yes").read()
    expected = {
        "東京-web": host_dict(
            path, "東京-web", "tokyo.example.jp", user="yamada", line=4, section="Bookmarks", folder=["東京"]
        ),
        # SFTP: user in field 3, key in field 9.
        "東京-files": host_dict(
            path,
            "東京-files",
            "files.example.jp",
            port=2022,
            user="sato",
            line=5,
            section="Bookmarks",
            folder=["東京"],
            key_files=["C:\\keys\\sato.key"],
        ),
        # Mosh: only host and port are read.
        "東京-mosh": host_dict(path, "東京-mosh", "mosh.example.jp", line=6, section="Bookmarks", folder=["東京"]),
    }
    assert hosts_by_name(result) == expected
    assert diag_set(result) == {
        ("info", "placeholder", 5, "東京-files", "G3[9] private key"),
        ("info", "sftp-as-ssh", 5, "東京-files", None),
        ("warning", "mosh-as-ssh", 6, "東京-mosh", None),
    }
    default = MobaXtermSource(path).read()
    assert [h.name for h in default.hosts] == ["東京-web"]
    assert [(d.code, d.entry) for d in default.diagnostics] == [("not-ssh", "東京-files"), ("not-ssh", "東京-mosh")]


def test_old_version_lines_every_host_and_field():
    path = VARIANTS / "old-versions.mxtsessions"
    result = MobaXtermSource(path).read()
    folder = ["Imported Sessions"]
    expected = {
        "legacy-a": host_dict(
            path,
            "legacy-a",
            "10.250.251.15",
            user="oracle",
            line=4,
            section="Bookmarks",
            folder=folder,
            jump=[{"host": "10.250.252.17", "port": 22, "user": "markvd"}],
        ),
        "legacy-b": host_dict(
            path, "legacy-b", "legacy-b.example.net", port=2222, line=5, section="Bookmarks", folder=folder
        ),
        # Port -1 means the default.
        "legacy-c": host_dict(
            path, "legacy-c", "legacy-c.example.net", user="admin", line=6, section="Bookmarks", folder=folder
        ),
    }
    assert hosts_by_name(result) == expected
    assert result.diagnostics == []


def test_single_moba_file():
    path = VARIANTS / "single.moba"
    assert MobaXtermSource.detect(path, path.read_bytes()) == 80
    result = MobaXtermSource(path).read()
    assert hosts_by_name(result) == {
        "single-box": host_dict(
            path,
            "single-box",
            "single.example.org",
            port=2201,
            user="me",
            line=1,
            section=None,
            description="one exported session",
        )
    }
    assert result.diagnostics == []


# ---- encodings ------------------------------------------------------------------------------------------


SESSION_LINES = ["[Bookmarks]", "SubRep=Café", "ImgNum=41", line("Zürich", ssh_g3("z.example.ch", user="jürg"))]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-8", b""),
        ("cp1252", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
    ],
)
def test_encodings_read_the_same(tmp_path, encoding, bom):
    result, _ = read_text(tmp_path, SESSION_LINES, encoding=encoding, bom=bom)
    assert [(h.name, h.user, h.category) for h in result.hosts] == [("Zürich", "jürg", ["Café"])]
    assert result.diagnostics == []


def test_other_ansi_code_page_by_option(tmp_path):
    lines = ["[Bookmarks]", "SubRep=", line("서버", ssh_g3("k.example.kr"))]
    result, _ = read_text(tmp_path, lines, encoding="cp949", codepage="cp949")
    assert [h.name for h in result.hosts] == ["서버"]


def test_bytes_invalid_in_the_code_page_are_reported(tmp_path):
    path = tmp_path / "bad.mxtsessions"
    session = b"x\x81y= #109#0%h.example.org%22%#" + G4.encode() + b"#0# #-1"
    path.write_bytes(b"[Bookmarks]\r\nSubRep=\r\n" + session)
    result = MobaXtermSource(path).read()
    assert [h.name for h in result.hosts] == ["x\ufffdy"]
    assert [d.code for d in result.diagnostics] == ["encoding"]


def test_unknown_codepage_is_a_config_error():
    with pytest.raises(ConfigError, match="code page"):
        MobaXtermSource(MAIN, codepage="nope")


# ---- grammar --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("a__DIEZE__b", "a#b"),
        ("x__PTVIRG__y", "x;y"),
        ("50__PERCENT__", "50%"),
        ("__DBLQUO__q__DBLQUO__", '"q"'),
        ("k__EQUAL__v", "k=v"),
        ("a__PIPE__b", "a|b"),
        ("plain", "plain"),
    ],
)
def test_unescape(raw, text):
    assert unescape(raw) == text


def test_sections_with_gaps_any_order_and_nested_subrep(tmp_path):
    lines = [
        "[Bookmarks_9]",
        "SubRep=A\\B\\C",
        "ImgNum=41",
        line("deep", ssh_g3("d.example.org")),
        "[Bookmarks]",
        "SubRep=",
        "ImgNum=42",
        line("top", ssh_g3("t.example.org")),
        "[Bookmarks_2]",
        "ImgNum=41",
        "SubRep=A",
        line("mid", ssh_g3("m.example.org")),
        "[Bookmarks_5]",
        line("nosubrep", ssh_g3("n.example.org")),
        "[Bookmarks_6]",
        "SubRep=A\\B",
        "ImgNum=41",
    ]
    result, _ = read_text(tmp_path, lines)
    assert [(h.name, h.category, h.source.section) for h in result.hosts] == [
        ("deep", ["A", "B", "C"], "Bookmarks_9"),
        ("top", [], "Bookmarks"),
        ("mid", ["A"], "Bookmarks_2"),
        ("nosubrep", [], "Bookmarks_5"),
    ]
    assert [(d.code, d.line) for d in result.diagnostics] == [("no-subrep", 13)]


def test_only_bookmark_sections_are_read(tmp_path):
    lines = [
        "; comment",
        "[Misc]",
        "Foo= #109#0%nope.example.org%22%#x#0# #-1",
        "[Bookmarks]",
        "SubRep=",
        line("yes", ssh_g3("yes.example.org")),
        "[Bookmarks_1x]",
        line("nope2", ssh_g3("n.example.org")),
    ]
    result, _ = read_text(tmp_path, lines, name="MobaXterm.ini")
    assert [h.name for h in result.hosts] == ["yes"]
    assert result.diagnostics == []


def test_damaged_lines_are_reported_with_line_and_field(tmp_path):
    lines = [
        "[Bookmarks]",
        "SubRep=F",
        "no-groups= #109",
        "bad-type= #109#x%h.example.org#",
        "empty-host= #109#0%%22%root#",
        "bad-port= #109#0%h.example.org%22x%root#",
        "big-port= #109#0%h.example.org%70000%root#",
        "bad-host= #109#0%bad host;%22%root#",
        "bad-gw= #109#0%h.example.org%22%root%%-1%-1%%__PIPE__second%22__PIPE__22%#",
        "bad-gw-port= #109#0%h.example.org%22%root%%-1%-1%%gw.example.org%abc%#",
        "no equals sign here",
        "unknown-type= #1#99%h.example.org#",
        "ok= #109#0%ok.example.org#",
        "ok= #109#0%dup.example.org#",
        "SubRep=Late",
    ]
    result, _ = read_text(tmp_path, lines)
    assert [(h.name, h.address, h.port) for h in result.hosts] == [("ok", "ok.example.org", 22)]
    assert [(d.level, d.code, d.line, d.entry, d.field) for d in result.diagnostics] == [
        ("warning", "ini-syntax", 11, None, None),
        ("warning", "ini-syntax", 15, None, None),
        ("error", "damaged-line", 3, "no-groups", "G3"),
        ("error", "damaged-line", 4, "bad-type", "G3[0]"),
        ("error", "no-host", 5, "empty-host", "G3[1] host"),
        ("error", "invalid-value", 6, "bad-port", "G3[2] port"),
        ("error", "invalid-value", 7, "big-port", "G3[2] port"),
        ("error", "invalid-value", 8, "bad-host", "G3[1] host"),
        ("error", "bad-jump-host", 9, "bad-gw", "G3[8] gateway hosts"),
        ("error", "invalid-value", 10, "bad-gw-port", "G3[9] gateway ports"),
        ("warning", "not-ssh", 12, "unknown-type", "G3[0]"),
        ("error", "duplicate-session", 14, "ok", None),
    ]
    assert "unknown type 99" in result.diagnostics[-2].message


def test_same_name_in_two_folders_gives_two_hosts(tmp_path):
    lines = [
        "[Bookmarks]",
        "SubRep=A",
        line("web", ssh_g3("a.example.org")),
        "[Bookmarks_1]",
        "SubRep=B",
        line("web", ssh_g3("b.example.org")),
    ]
    result, path = read_text(tmp_path, lines)
    assert [(h.key, h.address) for h in result.hosts] == [
        (f"mobaxterm:{path.as_posix()}#web", "a.example.org"),
        (f"mobaxterm:{path.as_posix()}#web#2", "b.example.org"),
    ]


def test_repeated_section_is_read_and_reported(tmp_path):
    lines = [
        "[Bookmarks_1]",
        "SubRep=A",
        line("one", ssh_g3("1.example.org")),
        "[Bookmarks_1]",
        "SubRep=B",
        line("two", ssh_g3("2.example.org")),
    ]
    result, _ = read_text(tmp_path, lines)
    assert [(h.name, h.category) for h in result.hosts] == [("one", ["A"]), ("two", ["B"])]
    assert [(d.code, d.line) for d in result.diagnostics] == [("repeated-section", 4)]


def test_file_without_bookmarks_is_reported(tmp_path):
    result, _ = read_text(tmp_path, ["[Misc]", "A=1"], name="MobaXterm.ini")
    assert result.hosts == [] and [d.code for d in result.diagnostics] == ["no-sessions"]


def test_lines_before_the_first_section_are_reported(tmp_path):
    result, _ = read_text(tmp_path, ["stray=1", "[Bookmarks]", "SubRep=", line("a", ssh_g3("a.example.org"))])
    assert [h.name for h in result.hosts] == ["a"]
    assert [(d.code, d.line) for d in result.diagnostics] == [("ini-syntax", 1)]


# ---- SSH fields -----------------------------------------------------------------------------------------


def test_three_gateways_with_partial_users_ports_and_keys(tmp_path):
    g3 = ssh_g3(
        "target.example.org",
        user="me",
        gw_hosts="g1.example.org__PIPE__g2.example.org__PIPE__g3",
        gw_ports="2201__PIPE__",
        gw_users="__PIPE__u2",
        gw_keys="__PIPE__C:\\k\\g2.pem__PIPE__",
    )
    result, _ = read_text(tmp_path, ["[Bookmarks]", "SubRep=", line("t", g3)])
    assert [(j.host, j.port, j.user) for j in result.hosts[0].jump] == [
        ("g1.example.org", 2201, None),
        ("g2.example.org", 22, "u2"),
        ("g3", 22, None),
    ]
    assert [(d.code, d.field) for d in result.diagnostics] == [("gateway-key", "G3[15] gateway keys")]
    assert "g2.example.org" in result.diagnostics[0].message


def test_network_and_command_proxies_are_reported_without_secrets(tmp_path):
    g3_http = ssh_g3("a.example.org", proxy_type="3", proxy_host="proxy.example.org")
    cmd_fields = ssh_g3("b.example.org", proxy_type="5").split("%")
    cmd_fields[26] = "plink -pw hunter2 __PERCENT__host"
    lines = [
        "[Bookmarks]",
        "SubRep=",
        line("a", g3_http),
        line("b", "%".join(cmd_fields)),
        line("c", ssh_g3("c.example.org", proxy_type="x")),
    ]
    result, _ = read_text(tmp_path, lines)
    assert [h.name for h in result.hosts] == ["a", "b", "c"]
    messages = [d.message for d in result.diagnostics]
    assert [d.code for d in result.diagnostics] == ["unsupported-proxy"] * 3
    assert "HTTP proxy proxy.example.org:1080" in messages[0]
    assert "local command" in messages[1] and "hunter2" not in " ".join(messages)
    assert "type 'x'" in messages[2]


def test_sftp_proxy_password_field_is_never_shown(tmp_path):
    fields = [
        "7",
        "s.example.org",
        "22",
        "u",
        "",
        "-1",
        "0",
        "",
        "",
        "",
        "2",
        "socks.example.org",
        "1080",
        "puser",
        "plain-text-secret",
    ]
    result, _ = read_text(
        tmp_path, ["[Bookmarks]", "SubRep=", line("s", "%".join(fields), icon="140")], include_sftp=True
    )
    assert [(h.address, h.user) for h in result.hosts] == [("s.example.org", "u")]
    assert [d.code for d in result.diagnostics] == ["unsupported-proxy", "sftp-as-ssh"]
    assert "plain-text-secret" not in repr(result) + " ".join(str(d) for d in result.diagnostics)


def test_unresolvable_path_tokens_are_kept_and_reported(tmp_path):
    g3 = ssh_g3("k.example.org", key="_MyDocuments_\\keys\\id")
    result, _ = read_text(tmp_path, ["[Bookmarks]", "SubRep=", line("k", g3)])
    assert result.hosts[0].credentials.key_files == ["_MyDocuments_\\keys\\id"]
    assert [(d.code, d.field) for d in result.diagnostics] == [("unresolved-path", "G3[14] private key")]


def test_default_user_in_a_gateway_without_a_default_login(tmp_path):
    g3 = ssh_g3("t.example.org", gw_hosts="gw.example.org", gw_ports="22", gw_users="<default>")
    result, _ = read_text(tmp_path, ["[Bookmarks]", "SubRep=", line("t", g3)])
    assert [(j.host, j.user) for j in result.hosts[0].jump] == [("gw.example.org", None)]
    assert [(d.code, d.field) for d in result.diagnostics] == [("default-user", "G3[10] gateway users")]


def test_detect_scores(tmp_path):
    assert MobaXtermSource.detect(MAIN, b"") == 95
    assert MobaXtermSource.detect(VARIANTS / "MobaXterm.ini", b"") == 90
    other = tmp_path / "export.txt"
    assert MobaXtermSource.detect(other, b"[Bookmarks_3]\r\nSubRep=X\r\n") == 80
    assert MobaXtermSource.detect(other, b"[Bookmarks]\r\n") == 50
    assert MobaXtermSource.detect(other, b"[Misc]\r\n") == 0
    assert MobaXtermSource.detect(tmp_path, b"") == 0


def test_unreadable_input_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        MobaXtermSource(tmp_path / "missing.mxtsessions").read()
