"""The secret-bearing input classes one by one: what is kept, what is hidden (the scanner greps for leaks)."""

from __future__ import annotations

import base64

import pytest

from migrator.redact import credential_strings, redact_server_text, show_command
from migrator.sources.ssh_config.source import SshConfigSource
from migrator.sources.tabular.csv import CsvSource
from migrator.sources.tabular.rows import split_target


@pytest.mark.parametrize(
    "text,expected",
    [
        ("admin:pw1@db.example.net", ("admin", "db.example.net", None, "pw1")),
        ("ssh://root:p%40ss@files.example.net:2222/", ("root", "files.example.net", "2222", "p@ss")),
        ("SFTP://u@h", ("u", "h", None, None)),
        ("u:@h:22", ("u", "h", "22", "")),
    ],
)
def test_a_password_in_an_address_is_split_off_never_part_of_the_user(text, expected):
    assert split_target(text) == expected


def test_an_address_password_becomes_the_password_credential(tmp_path):
    path = tmp_path / "hosts.csv"
    path.write_text(
        "name,host,user,password\na,ops:Pw-1@a.example.net,,\nb,ssh://ops:Pw-2@b.example.net/,,Col-2\n",
        encoding="utf-8",
    )
    hosts = {h.name: h for h in CsvSource(path).read().hosts}
    assert hosts["a"].user == "ops" and hosts["a"].credentials.password.get_secret_value() == "Pw-1"
    assert hosts["b"].user == "ops" and hosts["b"].credentials.password.get_secret_value() == "Col-2"


@pytest.mark.parametrize(
    "command,shown",
    [
        ("sshpass -p s3cret ssh -W %h:%p bastion", "sshpass …"),
        ("/usr/bin/nc -X connect -x proxy:8080 %h %p", "nc …"),
        ("PASS=s3cret helper", "helper …"),
        ("corkscrew", "corkscrew"),
        ('"C:\\Program Files\\plink.exe" -pw s3cret', "plink.exe …"),
    ],
)
def test_commands_are_shown_by_program_name_only(command, shown):
    assert show_command(command) == shown


def test_server_text_is_redacted_in_every_encoding():
    key = "k3y-0123456789abcdef"
    body = {"auth": {"type": "ApiKey", "key": key}, "data": {"password": {"encryptedValue": "QUJD"}}}
    sent = credential_strings(body)
    assert sent == {key, "QUJD"}
    echoed = (
        f"echo {key} {base64.b64encode(key.encode()).decode()} {key.encode().hex()} "
        '{"authFileContent": "anything", "sessionToken": "tok"} Authorization: Bearer abc '
        "ssh://user:pw@host"
    )
    out = redact_server_text(echoed, sent)
    for leaked in (key, base64.b64encode(key.encode()).decode(), key.encode().hex(), "anything", "tok", "abc", ":pw@"):
        assert leaked not in out
    assert "echo" in out


def test_an_included_key_file_is_never_quoted(tmp_path):
    (tmp_path / "api.key").write_text("9f8e7d6c-5b4a-3210-fedc-ba9876543210\n", encoding="utf-8")
    (tmp_path / "config").write_text(
        "Include api.key\nHostNmae x\nHost a\n  HostName a.example.net\n", encoding="utf-8"
    )
    result = SshConfigSource(tmp_path / "config").read()
    text = "\n".join(str(d) for d in result.diagnostics)
    assert "9f8e7d6c" not in text and "HostNmae" not in text
    assert "api.key:1" in text and "did you mean HostName?" in text
