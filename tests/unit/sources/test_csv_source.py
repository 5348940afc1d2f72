"""The CSV source against real files: the shipped main sample and files written by the tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from migrator.errors import ConfigError, InputError
from migrator.manager import read_sources
from migrator.sources import detect_format, open_source
from migrator.sources.tabular.csv import CsvSource, decode, sniff_delimiter
from migrator.sources.tabular.rejects import write_rejects
from migrator.sources.tabular.rows import parse_port, split_target
from migrator.sources.tabular.table import TabularRejectedRow

ROOT = REPO_ROOT
SAMPLE = ROOT / "samples" / "servers.csv"
HEADER = "name,host,port,user,password,key_file,key_passphrase,folder,jump,tags,description"


def read(path: Path, **options):
    return CsvSource(path, **options).read()


def by_name(result):
    return {h.name: h for h in result.hosts}


def codes(result, level=None):
    return [d.code for d in result.diagnostics if level is None or d.level == level]


# -- the main sample --------------------------------------------------------------------------------


def test_main_sample_imports_every_good_row_and_reports_the_two_bad_ones():
    result = read(SAMPLE)
    hosts = by_name(result)
    assert len(hosts) == 15
    assert all(name.startswith("csv-") for name in hosts)
    errors = [(d.line, d.field, d.message) for d in result.errors]
    assert errors == [
        (18, "port", "port '22x' is not a number"),
        (19, "host", "host is blank"),
    ]
    assert [(r.line, r.values[0]) for r in result.rejects] == [(18, "csv-broken-port"), (19, "csv-no-host")]
    assert all(d.file.endswith("samples/servers.csv") for d in result.diagnostics)


def test_main_sample_fields_folders_jumps_and_credentials():
    hosts = by_name(read(SAMPLE))
    bastion = hosts["csv-bastion"]
    web = hosts["csv-web-01"]
    assert (web.address, web.port, web.user) == ("192.0.2.11", 22, "deploy")
    assert web.category == ["Production", "Web"]
    assert web.tags == ["web", "nginx", "prod"]
    assert web.jump[0].ref == "csv-bastion" and web.jump[0].ref_key == bastion.key
    assert (web.jump[0].host, web.jump[0].port, web.jump[0].user) == ("bastion.example.net", 22, "jump")
    # a key with its passphrase given in the file, a key without one, a password
    db = hosts["csv-db-01"]
    assert db.credentials.key_passphrase.get_secret_value() == "S4mple-keypass-1"
    assert Path(db.credentials.key_files[0]).is_file()
    assert Path(db.credentials.key_files[0]).read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert hosts["csv-bastion"].credentials.key_passphrase is None
    assert hosts["csv-cache-01"].credentials.password.get_secret_value() == "S4mple-pass-1"
    # quoted field with a newline: the row starts on line 5 and the next row is on line 7
    assert db.description == "Primary database\nmaintenance window: Sunday 02:00-04:00 UTC"
    assert db.source.line == 5 and hosts["csv-db-02"].source.line == 7
    # user@host:port in the host column
    build = hosts["csv-build-01"]
    assert (build.user, build.address, build.port) == ("ci", "build-01.example.net", 2200)
    assert hosts["csv-ipv6-web"].address == "2001:db8::10"
    # two hops: a row of the file, then a host that is not in the file
    legacy = hosts["csv-legacy-app"].jump
    assert [h.ref for h in legacy] == ["csv-bastion", None]
    assert (legacy[1].user, legacy[1].host, legacy[1].port) == ("ops", "gw.legacy.example.net", 2022)
    assert legacy[1].ref is None and legacy[1].ref_key is None  # the mapper generates (and reports) the hop
    assert bastion.key == "csv:" + SAMPLE.as_posix() + "#csv-bastion"


def test_secrets_never_appear_in_diagnostics_reprs_or_rejects(tmp_path):
    text = HEADER + "\nsrv,,x,root,Top-Secret-1,,Top-Secret-2,,,,\n"
    path = tmp_path / "s.csv"
    path.write_text(text)
    result = read(path)
    blob = repr(result.hosts) + repr(result.diagnostics) + " ".join(map(str, result.diagnostics))
    blob += repr(result.rejects)
    assert "Top-Secret" not in blob
    assert result.rejects[0].values[4] == "" and result.rejects[0].values[6] == ""
    sample = read(SAMPLE)
    assert "S4mple" not in repr(sample.hosts) + "".join(map(str, sample.diagnostics))


# -- encodings, dialects, comments ------------------------------------------------------------------


def test_cp1252_semicolon_file_is_read_with_a_warning(tmp_path):
    text = (
        "Name;Host;Port;User;Folder;Description\r\n"
        "srv-münchen;muc.example.com;22;jörg;Büro/München;Preis 5€, Größe L\r\n"
        'srv-köln;koeln.example.com;2222;anna;Büro;"Zeile mit ; Semikolon"\r\n'
    )
    path = tmp_path / "excel-export.csv"
    path.write_bytes(text.encode("cp1252"))
    result = read(path)
    hosts = by_name(result)
    assert set(hosts) == {"srv-münchen", "srv-köln"}
    assert hosts["srv-münchen"].category == ["Büro", "München"]
    assert hosts["srv-münchen"].user == "jörg"
    assert hosts["srv-münchen"].description == "Preis 5€, Größe L"
    assert hosts["srv-köln"].description == "Zeile mit ; Semikolon"
    enc = [d for d in result.diagnostics if d.code == "encoding"]
    assert enc and enc[0].level == "warning" and "line 2" in enc[0].message and "cp1252" in enc[0].message


def test_utf8_bom_is_stripped_from_the_first_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfname,host\r\nbom-1,bom.example.com\r\n")
    result = read(path)
    assert [h.name for h in result.hosts] == ["bom-1"]
    assert "encoding" not in codes(result)


def test_utf16_tab_separated_unicode_text(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("name\thost\tport\r\nu16-1\tu16.example.com\t2200\r\n".encode("utf-16"))
    result = CsvSource(path).read()
    assert [(h.name, h.port) for h in result.hosts] == [("u16-1", 2200)]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    rows = [["name", "host", "description"], ["a", "a.example.com", "x, y; z"], ["b", "b.example.com", "plain"]]
    path = tmp_path / "d.csv"
    with path.open("w", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    result = read(path)
    assert [(h.name, h.description) for h in result.hosts] == [("a", "x, y; z"), ("b", "plain")]
    assert sniff_delimiter(path.read_text()) == delimiter


def test_blank_and_comment_lines_are_skipped_and_line_numbers_stay_physical(tmp_path):
    text = (
        "# exported by hand\n"
        "\n"
        f"{HEADER}\n"
        "# production\n"
        "c-1,c1.example.com,,,,,,,,,\n"
        "\n"
        'c-2,c2.example.com,,,,,,,,,"note\n# not a comment inside quotes"\n'
        "c-3,c3.example.com,bad,,,,,,,,\n"
    )
    path = tmp_path / "c.csv"
    path.write_text(text)
    result = read(path)
    assert [(h.name, h.source.line) for h in result.hosts] == [("c-1", 5), ("c-2", 7)]
    assert by_name(result)["c-2"].description == "note\n# not a comment inside quotes"
    assert [(d.line, d.field) for d in result.errors] == [(9, "port")]


def test_title_rows_above_the_header_are_skipped_and_reported(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Server list,,\nas of 2024-05-01,,\n,,\nName,Host,Port\nt-1,t1.example.com,22\n")
    result = read(path)
    assert [(h.name, h.source.line) for h in result.hosts] == [("t-1", 5)]
    above = [d for d in result.diagnostics if d.code == "above-header"]
    assert above and "line 4" in above[0].message


def test_duplicated_header_names_are_reported(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("name,host,host,port\nd-1,,d1.example.com,22\nd-2,d2a.example.com,d2b.example.com,22\n")
    result = read(path)
    dup = [d for d in result.diagnostics if d.code == "duplicate-column"]
    assert dup and dup[0].level == "warning" and "columns 2, 3" in dup[0].message
    assert [(h.name, h.address) for h in result.hosts] == [("d-1", "d1.example.com"), ("d-2", "d2a.example.com")]


def test_no_header_is_an_error_not_an_exception(tmp_path):
    path = tmp_path / "nohost.csv"
    path.write_text("alpha,beta\n1,2\n")
    result = read(path)
    assert result.hosts == [] and codes(result, "error") == ["no-header"]


def test_unclosed_quote_is_reported_and_does_not_raise(tmp_path):
    lines = [HEADER, 'q-1,q1.example.com,22,,,,,,,,"never closed']
    lines += [f"q-{i},q{i}.example.com" for i in range(2, 40)]
    path = tmp_path / "q.csv"
    path.write_text("\n".join(lines) + "\n")
    result = read(path)
    assert "long-record" in codes(result)


def test_rows_longer_than_the_header_are_reported_without_quoting_values(tmp_path):
    # a delimiter inside an unquoted password shifts every later column of the row
    path = tmp_path / "shift.csv"
    path.write_text("name;host;password;port\ns-1;s1.example.com;pa;ss-wo;rd;22\ns-2;s2.example.com;;22\n")
    result = read(path)
    assert "extra-fields" in codes(result, "warning")
    bad = [d for d in result.errors if d.line == 2]
    assert bad and all("ss-wo" not in d.message and "rd" not in d.message.split() for d in bad)
    assert [h.name for h in result.hosts] == ["s-2"]


# -- a third of the rows bad ------------------------------------------------------------------------


def _mixed_rows():
    bad = {
        2: ("port", "22x"),
        5: ("host", ""),
        8: ("host", "bad host name"),
        11: ("port", "70000"),
        14: ("jump", "no such row!"),
        17: ("host", "10.0.0.300"),
        20: ("enabled", "maybe"),
        23: ("port", "-1"),
        26: ("host", "a/b"),
        29: ("jump", "mix-bad-26"),  # names a row that is itself rejected
    }
    rows = []
    for i in range(30):
        row = {"name": f"mix-{i}", "host": f"mix{i}.example.com", "port": "22", "jump": "", "enabled": "yes"}
        if i in bad:
            fld, value = bad[i]
            row[fld] = value
            row["name"] = f"mix-bad-{i}"
        rows.append(row)
    return rows, bad


def test_a_third_of_the_rows_bad_all_good_rows_import_all_bad_rows_are_reported(tmp_path):
    rows, bad = _mixed_rows()
    path = tmp_path / "mixed.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["name", "host", "port", "jump", "enabled"])
        writer.writeheader()
        writer.writerows(rows)
    result = read(path)
    good = sorted(r["name"] for i, r in enumerate(rows) if i not in bad)
    assert sorted(h.name for h in result.hosts) == good and len(good) == 20
    reported = {(d.line, d.field) for d in result.errors}
    expected = {(i + 2, bad[i][0]) for i in bad}
    assert reported == expected
    assert sorted(r.line for r in result.rejects) == sorted(i + 2 for i in bad)
    jump_reject = next(r for r in result.rejects if r.line == 31)
    assert "mix-bad-26" in jump_reject.reason and "line 28" in jump_reject.reason


# -- rejects round trip -----------------------------------------------------------------------------


def test_rejects_are_written_in_the_input_dialect_and_can_be_fed_back(tmp_path):
    text = (
        "Name;Host;Port;Password;Folder\r\n"
        "ok-1;ok1.example.com;22;S3cret-ok;Büro\r\n"
        "bad-1;bad1.example.com;zweiundzwanzig;S3cret-bad;Büro\r\n"
        "bad-2;;22;;Büro\r\n"
    )
    src = tmp_path / "in.csv"
    src.write_bytes(text.encode("cp1252"))
    result = read(src)
    assert [h.name for h in result.hosts] == ["ok-1"]
    assert all(isinstance(r, TabularRejectedRow) for r in result.rejects)
    out = tmp_path / "rejects.csv"
    assert write_rejects(result.rejects, out) == [out]
    raw = out.read_bytes()
    written = raw.decode("cp1252")
    assert "S3cret" not in written
    lines = written.splitlines()
    assert lines[1] == "Name;Host;Port;Password;Folder"
    assert lines[2].startswith("# line 3: port 'zweiundzwanzig' is not a number")
    assert lines[3] == "bad-1;bad1.example.com;zweiundzwanzig;;Büro"
    assert lines[5] == "bad-2;;22;;Büro"
    # fed back unchanged, the same rows are rejected again; fixed, they import
    again = read(out)
    assert [r.values[0] for r in again.rejects] == ["bad-1", "bad-2"]
    out.write_bytes(
        written.replace("zweiundzwanzig", "22").replace("bad-2;;", "bad-2;b2.example.com;").encode("cp1252")
    )
    fixed = read(out)
    assert sorted(h.name for h in fixed.hosts) == ["bad-1", "bad-2"] and not fixed.rejects


def test_rejects_from_files_with_different_headers_go_to_numbered_files(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("name,host\na-1,\n")
    b = tmp_path / "b.csv"
    b.write_text("name,host,port\nb-1,b.example.com,0\n")
    result = read_sources([str(a), str(b)])
    paths = write_rejects(result.rejects, tmp_path / "rej.csv")
    assert [p.name for p in paths] == ["rej-1.csv", "rej-2.csv"]
    assert paths[1].read_text().splitlines()[1:] == [
        "name,host,port",
        "# line 2: port 0 is outside 1-65535",
        "b-1,b.example.com,0",
    ]


# -- keys, names, jumps -----------------------------------------------------------------------------


def test_keys_follow_names_so_inserting_a_row_changes_no_other_key(tmp_path):
    first = tmp_path / "inv.csv"
    first.write_text("name,host\nk-a,a.example.com\nk-b,b.example.com\n")
    keys_before = {h.name: h.key for h in read(first).hosts}
    first.write_text("name,host\nk-new,new.example.com\nk-a,a.example.com\nk-b,b.example.com\n")
    keys_after = {h.name: h.key for h in read(first).hosts}
    assert {n: keys_after[n] for n in keys_before} == keys_before


def test_repeated_names_are_reported_and_get_deterministic_keys(tmp_path):
    path = tmp_path / "rep.csv"
    path.write_text("name,host\nweb,w1.example.com\nweb,w2.example.com\nweb,w3.example.com\n")
    result = read(path)
    assert [h.key.split("#", 1)[1] for h in result.hosts] == ["web", "web#2", "web#3"]
    assert [d.line for d in result.diagnostics if d.code == "duplicate-name"] == [3, 4]
    assert len({h.key for h in result.hosts}) == 3


def test_id_column_is_the_key_when_the_profile_maps_one(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,name,host\nA-17,same,a.example.com\nA-18,same,b.example.com\n")
    result = read(path)
    assert [h.key.split("#", 1)[1] for h in result.hosts] == ["A-17", "A-18"]
    assert "duplicate-name" not in codes(result)


def test_jump_problems_are_rejected_with_their_reason(tmp_path):
    path = tmp_path / "jumps.csv"
    path.write_text(
        "name,host,port,jump,protocol\n"
        "j-self,self.example.com,22,j-self,ssh\n"
        "j-loop-a,la.example.com,22,j-loop-b,ssh\n"
        "j-loop-b,lb.example.com,22,j-loop-a,ssh\n"
        "j-rdp,rdp.example.com,3389,,rdp\n"
        "j-via-rdp,v.example.com,22,j-rdp,ssh\n"
        "j-by-address,x.example.com,22,la.example.com,ssh\n"
    )
    result = read(path)
    errs = {d.line: d.message for d in result.errors}
    assert "this row itself" in errs[2]
    assert "loops" in errs[3] or "loops" in errs[4]
    assert "j-rdp" in errs[6] and "not SSH" in errs[6]
    skipped = [d for d in result.diagnostics if d.code == "skipped"]
    assert [d.line for d in skipped] == [5]
    assert set(errs) == {2, 3, 4, 6, 7}  # j-by-address jumps via j-loop-a, which is rejected
    assert "j-loop-a" in errs[7] or "la.example.com" in errs[7]


def test_jump_by_address_resolves_to_that_row(tmp_path):
    path = tmp_path / "addr.csv"
    path.write_text("name,host,user,jump\ngw,gw.example.com,jumper,\napp,app.example.com,,GW.example.com\n")
    hosts = by_name(read(path))
    hop = hosts["app"].jump[0]
    assert (hop.ref, hop.ref_key, hop.user) == ("gw", hosts["gw"].key, "jumper")


# -- options, detection, errors ---------------------------------------------------------------------


def test_explicit_delimiter_and_encoding_options(tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes("name|host|description\no-1|o.example.com|Grüße, Welt\n".encode("latin-1"))
    result = read(path, delimiter="|", encoding="latin-1")
    assert [(h.name, h.description) for h in result.hosts] == [("o-1", "Grüße, Welt")]
    assert "encoding" not in codes(result)
    with pytest.raises(ConfigError):
        read(path, encoding="no-such-codec")


def test_detection_and_unreadable_input(tmp_path):
    assert detect_format(SAMPLE) == "csv"
    txt = tmp_path / "list.txt"
    txt.write_text("name;host\nx;x.example.com\n")
    assert CsvSource.detect(txt, txt.read_bytes()) == 20
    assert CsvSource.detect(tmp_path, b"") == 0
    with pytest.raises(InputError):
        CsvSource(tmp_path / "missing.csv").read()
    result = open_source(f"csv:{txt}").read()
    assert [h.name for h in result.hosts] == ["x"]


def test_value_helpers():
    assert parse_port("22") == 22 and parse_port("22.0") == 22 and parse_port("2.222") == 2222
    assert parse_port(" 5,522 ") == 5522
    for bad in ("0", "65536", "22x", "", "2.22"):
        with pytest.raises(ValueError):
            parse_port(bad)
    assert split_target("u@h:2") == ("u", "h", "2", None)
    assert split_target("[2001:db8::1]:2200") == (None, "2001:db8::1", "2200", None)
    assert split_target("2001:db8::1") == (None, "2001:db8::1", None, None)
    assert decode(b"caf\xe9")[1] == "cp1252"
