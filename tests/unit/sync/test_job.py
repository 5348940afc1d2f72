"""Job files: loading, validation messages, path resolution, source filtering and the fingerprint."""

from __future__ import annotations

import csv
import re
import textwrap
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from migrator.errors import ConfigError, InputError
from migrator.manager import read_inventory
from migrator.sources import registry
from migrator.sync.filters import filter_hosts, folder_glob_regex
from migrator.sync.job import Job, SourceFilter, load_job, parse_job
from migrator.xpipe.auth import ApiKeyAuth, LocalAuth

SAMPLES = REPO_ROOT / "samples"
COLUMNS = [
    "name",
    "host",
    "port",
    "user",
    "password",
    "key_file",
    "key_passphrase",
    "folder",
    "jump",
    "tags",
    "description",
]
#: name, folder, tags, jump
INVENTORY = [
    ("gw", "Infrastructure", "bastion;SSH", ""),
    ("web-01", "Production/Web", "web;Prod", "gw"),
    ("web-02", "Production/Web", "web;prod", "gw"),
    ("web-old", "Production/Web/Retired", "web;legacy", ""),
    ("db-01", "Production/Database", "db;prod", "gw"),
    ("Prod-top", "Production", "prod", ""),
    ("stage-web", "Staging/Web", "web;staging", ""),
    ("dev-box", "", "", ""),
    ("ProductionX", "ProductionX", "prod", ""),
]


def write_inventory(folder: Path, rows=INVENTORY, name: str = "servers.csv") -> Path:
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for i, (host, category, tags, jump) in enumerate(rows, 1):
            out.writerow([host, f"192.0.2.{i}", "22", "ops", "", "", "", category, jump, tags, f"row {i}"])
    return path


def write_job(folder: Path, body: str, name: str = "job.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


MINIMAL = """\
name = "t"
[[source]]
path = "servers.csv"
"""


def job_error(tmp_path: Path, body: str) -> str:
    path = write_job(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_job(path)
    message = str(info.value)
    for line in message.splitlines():
        assert line.startswith(f"{path}: "), line
    return message


# -- the samples -----------------------------------------------------------------------------------


def test_sample_job_loads_with_everything_under_out():
    job = load_job(SAMPLES / "job.toml")
    out = (SAMPLES.parent / "out").resolve()
    assert job.name == "sample-job"
    assert job.job_dir == SAMPLES.resolve()
    assert job.state_path == out / "sample-job.state.sqlite"
    assert job.target.url == "embedded"
    assert job.target.embedded_state == out / "embedded-vault"
    assert all(out in path.parents for path in job.reports.outputs().values())
    assert set(job.reports.outputs()) == {"markdown", "html", "json", "rejects"}
    assert [s.path.name for s in job.sources] == [
        "servers.csv",
        "putty-sessions.reg",
        "mobaxterm.mxtsessions",
        "ssh_config",
    ]
    assert all(s.path.is_file() for s in job.sources)
    assert job.sources[0].mapping == "generic"
    assert job.import_.root_path == ("Imported", "Sample job")


def test_sample_job_sources_read_and_filter():
    job = load_job(SAMPLES / "job.toml")
    csv_result = read_inventory([job.sources[0].to_input()])
    names = {h.name for h in csv_result.hosts}
    assert "csv-web-01" in names and not names & {"csv-stage-web", "csv-stage-db"}
    filtered = [d for d in csv_result.diagnostics if d.code == "filtered"]
    assert len(filtered) == 1 and "left out 2 of" in filtered[0].message
    putty = read_inventory([job.sources[1].to_input()])
    assert putty.hosts and all(h.source.format == "putty" for h in putty.hosts)
    moba = read_inventory([job.sources[2].to_input()])
    assert "moba-old" not in {h.name for h in moba.hosts} and "moba-db01" in {h.name for h in moba.hosts}


@pytest.mark.parametrize("path", sorted((SAMPLES / "jobs").glob("*.toml")), ids=lambda p: p.name)
def test_extra_sample_jobs_load_and_read(path):
    job = load_job(path)
    for spec in job.sources:
        assert spec.path.is_file(), spec.path
        result = read_inventory([spec.to_input()])
        assert result.hosts, spec.path
        assert [d for d in result.diagnostics if d.code == "filtered"]


# -- unknown keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('nmae = "x"\n' + MINIMAL, "unknown key 'nmae' (did you mean 'name'?)"),
        ('name = "t"\n[[sources]]\npath = "a.csv"\n', "unknown key 'sources' (did you mean 'source'?)"),
        (MINIMAL + 'fromat = "csv"\n', "[[source]] #1 unknown key 'fromat' (did you mean 'format'?)"),
        (
            MINIMAL + '[source.filter]\ninclude_tag = ["a"]\n',
            "[[source]] #1 unknown key 'filter.include_tag' (did you mean 'filter.include_tags'?)",
        ),
        (MINIMAL + '[target]\nurl = "embedded"\nport = 1\n', "[target] unknown key 'port'"),
        (MINIMAL + '[import]\nroot = "A"\n', "[import] unknown key 'root'"),
        (MINIMAL + "[prune]\nmax_precent = 3.0\n", "[prune] unknown key 'max_precent' (did you mean 'max_percent'?)"),
        (MINIMAL + '[reports]\npdf = "a.pdf"\n', "[reports] unknown key 'pdf'"),
    ],
    ids=["top", "sources-plural", "source", "filter", "target", "import", "prune", "reports"],
)
def test_unknown_keys_are_named(tmp_path, body, expected):
    assert f"{tmp_path / 'job.toml'}: {expected}" in job_error(tmp_path, body)


# -- wrong types and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("name = 5\n[[source]]\npath = 'a.csv'\n", "name: input should be a valid string (got an integer)"),
        ('name = "a b"\n[[source]]\npath = "a.csv"\n', "name: use only letters"),
        (
            'name = "t"\n[[source]]\npath = "a.csv"\n[[source]]\npath = "b"\nformat = "xls"\n',
            "[[source]] #2 format: unknown format 'xls'; known: " + ", ".join(registry().names()),
        ),
        ('name = "t"\n[[source]]\npath = 3\n', "[[source]] #1 path: input is not a valid path"),
        ('name = "t"\n[[source]]\nformat = "csv"\n', "[[source]] #1 path: required key is missing"),
        (
            MINIMAL + '[source.filter]\ninclude_tags = "web"\n',
            "[[source]] #1 filter.include_tags: input should be a valid list (got a string)",
        ),
        (
            MINIMAL + '[source.filter]\nexclude_names = ["ok", 7]\n',
            "[[source]] #1 filter.exclude_names item 2: input should be a valid string (got an integer)",
        ),
        (MINIMAL + '[target]\nauth = "apikey"\n', "[target] auth: input should be 'local' or 'api-key'"),
        (MINIMAL + '[target]\ntimeout = "30"\n', "[target] timeout: input should be a valid number"),
        (MINIMAL + "[target]\ntimeout = 0\n", "[target] timeout: input should be greater than 0"),
        (MINIMAL + '[target]\nptb = "yes"\n', "[target] ptb: input should be a valid boolean"),
        (MINIMAL + "[target]\ndialect = 25\n", "[target] dialect: input should be '23' or '24'"),
        (
            MINIMAL + '[target]\nurl = "ftp://host"\n',
            '[target] url: must be "embedded" or an XPipe API URL (the URL must be an http',
        ),
        (MINIMAL + '[target]\nurl = "https://u:pw@host"\n', "[target] url: must not contain a user name"),
        (
            MINIMAL + '[target]\nembedded_version = "23.8"\n',
            '[target] embedded_version: only used with url = "embedded"',
        ),
        (
            MINIMAL + '[target]\nauth_file = "x"\nauth = "api-key"\n',
            '[target] auth_file: only used with auth = "local"',
        ),
        (MINIMAL + '[target]\napi_key_file = "k"\n', '[target] api_key_file: only used with auth = "api-key"'),
        (
            MINIMAL + '[target]\nauth = "api-key"\napi_key_file = "k"\napi_key_env = "K"\n',
            "[target] api_key_env: give api_key_file or api_key_env, not both",
        ),
        (
            MINIMAL + '[target]\nurl = "embedded"\nauth = "api-key"\n',
            "[target] auth: the embedded simulator uses Local authentication",
        ),
        (
            MINIMAL + "[import]\nidentity_threshold = 0\n",
            "[import] identity_threshold: input should be greater than or equal to 1",
        ),
        (
            MINIMAL + "[import]\nidentity_threshold = 2.0\n",
            "[import] identity_threshold: input should be a valid integer (got a float)",
        ),
        (
            MINIMAL + '[import]\npassword_policy = "ask"\n',
            "[import] password_policy: input should be 'source', 'prompt' or 'none'",
        ),
        (MINIMAL + '[import]\nroot_category = "A//B"\n', "[import] root_category: the root category needs"),
        (MINIMAL + "[prune]\nmax_percent = 101\n", "[prune] max_percent: input should be less than or equal"),
        (MINIMAL + "[prune]\nquarantine_days = -1\n", "[prune] quarantine_days: input should be greater"),
        (MINIMAL + '[prune]\nenabled = "true"\n', "[prune] enabled: input should be a valid boolean"),
        ('target = "embedded"\n' + MINIMAL, "[target]: should be a table (got a string)"),
        (MINIMAL + '[reports]\nhtml = "r/x"\njson = "r/x"\n', "[reports]: html and json would both"),
    ],
)
def test_wrong_values_name_the_toml_key(tmp_path, body, expected):
    assert f"{tmp_path / 'job.toml'}: {expected}" in job_error(tmp_path, body)


def test_all_problems_are_listed_one_per_line(tmp_path):
    message = job_error(
        tmp_path,
        """\
        name = "t"
        colour = "blue"
        [[source]]
        path = "a.csv"
        format = "xls"
        [target]
        auth = "apikey"
        [prune]
        max_precent = 3.0
    """,
    )
    lines = message.splitlines()
    assert len(lines) == 4
    assert any("unknown key 'colour'" in x for x in lines)
    assert any("[[source]] #1 format:" in x for x in lines)
    assert any("[target] auth:" in x for x in lines)
    assert any("[prune] unknown key 'max_precent'" in x for x in lines)


def test_sources_are_required_and_must_be_an_array(tmp_path):
    assert "[[source]]: at least one [[source]] table is required" in job_error(tmp_path, 'name = "t"\n')
    assert "at least one [[source]] table is required" in job_error(tmp_path, 'name = "t"\nsource = []\n')
    message = job_error(tmp_path, 'name = "t"\n[source]\npath = "a.csv"\n')
    assert "job.toml: [[source]]: write each source as [[source]] (double brackets" in message


def test_api_key_in_job_file_is_refused_without_echoing_it(tmp_path):
    message = job_error(tmp_path, MINIMAL + '[target]\nauth = "api-key"\napi_key = "S3cret-key-value"\n')
    assert "job.toml: [target] api_key: the API key must not be written into a job file" in message
    assert "api_key_file" in message and "api_key_env" in message
    assert "S3cret-key-value" not in message


def test_api_key_env_must_name_a_variable(tmp_path):
    message = job_error(tmp_path, MINIMAL + '[target]\nauth = "api-key"\napi_key_env = "abc def=="\n')
    assert "[target] api_key_env: must be the name of an environment variable" in message


@pytest.mark.parametrize("fmt", ["ssh_config", "putty", "mobaxterm"])
def test_mapping_on_a_non_tabular_format_is_refused(tmp_path, fmt):
    body = f'name = "t"\n[[source]]\npath = "x"\nformat = "{fmt}"\nmapping = "generic"\n'
    expected = f"[[source]] #1 mapping: only csv and excel sources take a mapping; this source's format is '{fmt}'"
    assert expected in job_error(tmp_path, body)


def test_sheet_only_for_excel(tmp_path):
    message = job_error(tmp_path, 'name = "t"\n[[source]]\npath = "x.csv"\nformat = "csv"\nsheet = "S"\n')
    assert "[[source]] #1 sheet: only excel sources take a sheet" in message


def test_mapping_on_a_detected_non_tabular_source_is_refused_when_read(tmp_path):
    reg = tmp_path / "sessions.reg"
    reg.write_bytes((SAMPLES / "putty-sessions.reg").read_bytes())
    body = 'name = "t"\n[[source]]\npath = "sessions.reg"\nmapping = "generic"\n'
    job = load_job(write_job(tmp_path, body))
    with pytest.raises(
        ConfigError,
        match=r"job\.toml: \[\[source\]\] #1 mapping: only csv and excel sources "
        r"take 'mapping', but .*sessions\.reg was detected as 'putty'",
    ):
        read_inventory([job.sources[0].to_input()])


def test_options_may_not_repeat_source_keys(tmp_path):
    message = job_error(tmp_path, MINIMAL + 'options = { mapping = "generic" }\n')
    assert "[[source]] #1 options: 'mapping' is a key of [[source]] itself" in message


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{user} on {host}", "unknown field {host} in the name template; allowed: {user}, {method}, {n}"),
        ("{user.__class__}", "unknown field {user.__class__}"),
        ("{} key", "unknown field {}"),
        ("{user", "is not a valid name template"),
        ("{n:q}", "is not a valid name template"),
    ],
)
def test_identity_name_template_fields_are_checked(tmp_path, template, expected):
    body = MINIMAL + f"[import]\nidentity_name = '{template}'\n"
    assert f"job.toml: [import] identity_name: {expected}" in job_error(tmp_path, body)


def test_identity_name_template_accepts_the_allowed_fields(tmp_path):
    body = MINIMAL + "[import]\nidentity_name = '{user}/{method} x{n:02d} {{shared}}'\n"
    job = load_job(write_job(tmp_path, body))
    assert job.import_.identity_name.format(user="u", method="key", n=3) == "u/key x03 {shared}"


def test_toml_syntax_error_names_line_and_column(tmp_path):
    path = write_job(tmp_path, 'name = "t"\n[[source]]\npath = "a.csv"\nformat = csv\n')
    with pytest.raises(ConfigError) as info:
        load_job(path)
    assert re.match(rf"{re.escape(str(path))}: line 4, column \d+: invalid TOML: ", str(info.value))


def test_unreadable_and_non_utf8_job_files(tmp_path):
    with pytest.raises(ConfigError, match="missing.toml: cannot read job file"):
        load_job(tmp_path / "missing.toml")
    path = tmp_path / "latin.toml"
    path.write_bytes(b'name = "t"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match=r"latin\.toml: line 2: job files must be UTF-8"):
        load_job(path)


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_job(path).name == "t"


# -- defaults and paths -------------------------------------------------------------------------------


def test_defaults(tmp_path):
    job = load_job(write_job(tmp_path, MINIMAL, name="nightly.toml"))
    assert job.state_path == tmp_path.resolve() / "nightly.state.sqlite"
    assert job.target.url is None and job.target.auth == "local" and job.target.timeout == 30.0
    assert job.target.api_key_env == "XPIPE_API_KEY"
    assert job.import_.root_path == ("Imported",) and job.import_.name_clash == "refuse"
    assert job.prune.enabled is False and job.prune.max_percent == 30.0 and job.prune.min_owned == 10
    assert job.prune.quarantine_path == ("Quarantine",) and job.prune.quarantine_days == 7
    assert job.reports.outputs() == {}
    assert job.sources[0].format is None and job.sources[0].filter.is_empty


def test_paths_resolve_relative_to_the_job_file_not_the_cwd(tmp_path, monkeypatch):
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    write_job(
        jobs,
        """\
        name = "t"
        state = "state/t.sqlite"
        [[source]]
        path = "../inputs/servers.csv"
        mapping = "profiles/mine.toml"
        [[source]]
        path = "/abs/ssh/config"
        [target]
        url = "embedded"
        embedded_state = "sim"
        [reports]
        markdown = "out/plan.md"
        json = "out/plan.json"
        rejects = "../rejects.csv"
    """,
    )
    job = load_job(Path("../jobs/job.toml"))
    base = jobs.resolve()
    assert job.job_dir == base and job.job_file == base / "job.toml"
    assert job.state_path == base / "state" / "t.sqlite"
    assert job.sources[0].path == tmp_path.resolve() / "inputs" / "servers.csv"
    assert job.sources[0].mapping == str(base / "profiles" / "mine.toml")
    assert job.sources[1].path == Path("/abs/ssh/config")
    assert job.target.embedded_state == base / "sim"
    assert job.reports.outputs() == {
        "markdown": base / "out" / "plan.md",
        "json": base / "out" / "plan.json",
        "rejects": tmp_path.resolve() / "rejects.csv",
    }


def test_home_is_expanded_and_absolute_paths_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    job = load_job(
        write_job(
            tmp_path,
            MINIMAL
            + """\
        [target]
        auth = "api-key"
        api_key_file = "~/xpipe.key"
    """,
        )
    )
    assert job.target.api_key_file == (tmp_path / "home" / "xpipe.key").resolve()
    job = load_job(write_job(tmp_path, MINIMAL + '[target]\nauth_file = "/tmp/xpipe/ops/beacon-auth"\n'))
    assert job.target.auth_file == Path("/tmp/xpipe/ops/beacon-auth").resolve()


def test_target_auth_from_job(tmp_path):
    key_file = tmp_path / "xpipe.key"
    key_file.write_text("file-key-123\n", encoding="utf-8")
    job = load_job(write_job(tmp_path, MINIMAL + '[target]\nauth = "api-key"\napi_key_file = "xpipe.key"\n'))
    auth = job.target.resolve_auth(env={})
    assert isinstance(auth, ApiKeyAuth) and auth.handshake_auth() == {"type": "ApiKey", "key": "file-key-123"}

    body = MINIMAL + '[target]\nauth = "api-key"\napi_key_env = "MY_XPIPE_KEY"\n'
    job = load_job(write_job(tmp_path, body))
    auth = job.target.resolve_auth(env={"MY_XPIPE_KEY": "env-key-456", "XPIPE_API_KEY": "other"})
    assert auth.handshake_auth()["key"] == "env-key-456"
    with pytest.raises(ConfigError, match="environment variable MY_XPIPE_KEY is not set"):
        job.target.resolve_auth(env={"XPIPE_API_KEY": "other"})

    (tmp_path / "beacon-auth").write_text("local-token", encoding="utf-8")
    job = load_job(write_job(tmp_path, MINIMAL + '[target]\nauth_file = "beacon-auth"\n'))
    auth = job.target.resolve_auth(env={"XPIPE_API_KEY": "ignored"})
    assert isinstance(auth, LocalAuth)
    assert auth.handshake_auth() == {"type": "Local", "authFileContent": "local-token"}


def test_sections_convert_to_the_tools_options(tmp_path):
    job = load_job(
        write_job(
            tmp_path,
            MINIMAL
            + """\
        [target]
        url = "embedded"
        embedded_version = "24.0"
        embedded_state = "sim"
        dialect = 24
        timeout = 5
        [import]
        root_category = "All connections / Servers / Imported "
        identities = "shared"
        identity_threshold = 3
    """,
        )
    )
    opts = job.target.to_options()
    assert (opts.target, opts.embedded_version, opts.api_dialect) == ("embedded", "24.0", "24")
    assert opts.timeout == 5.0
    assert opts.embedded_state == str(tmp_path.resolve() / "sim")
    mapper = job.import_.to_mapper_options()
    assert mapper.root_category == ("Servers", "Imported")
    assert (mapper.identities, mapper.identity_threshold) == ("shared", 3)


# -- filtering ---------------------------------------------------------------------------------------


def read_filtered(tmp_path: Path, filter_toml: str, rows=INVENTORY):
    write_inventory(tmp_path, rows)
    job = load_job(write_job(tmp_path, MINIMAL + 'format = "csv"\n[source.filter]\n' + filter_toml))
    return read_inventory([job.sources[0].to_input()])


def names(result) -> list[str]:
    return [h.name for h in result.hosts]


def test_no_filter_keeps_everything_without_a_filter_diagnostic(tmp_path):
    write_inventory(tmp_path)
    result = read_inventory([load_job(write_job(tmp_path, MINIMAL)).sources[0].to_input()])
    assert names(result) == [r[0] for r in INVENTORY]
    assert not [d for d in result.diagnostics if d.code.startswith("filter")]


@pytest.mark.parametrize(
    ("filter_toml", "kept"),
    [
        ('include_folders = ["Production/**"]', ["web-01", "web-02", "web-old", "db-01", "Prod-top"]),
        ('include_folders = ["Production/*"]', ["web-01", "web-02", "db-01"]),
        ('include_folders = ["Production/*"]\nexclude_folders = ["*/Database"]', ["web-01", "web-02"]),
        ('include_folders = ["**/Web"]', ["web-01", "web-02", "stage-web"]),
        ('include_folders = ["Production**"]', ["web-01", "web-02", "web-old", "db-01", "Prod-top", "ProductionX"]),
        ('include_folders = [""]', ["dev-box"]),
        (
            'exclude_folders = ["**/Retired", "Staging/**"]',
            ["gw", "web-01", "web-02", "db-01", "Prod-top", "dev-box", "ProductionX"],
        ),
        ('include_tags = ["PROD"]', ["web-01", "web-02", "db-01", "Prod-top", "ProductionX"]),
        ('include_tags = ["web"]\nexclude_tags = ["Legacy", "staging"]', ["web-01", "web-02"]),
        ('include_names = ["web-*"]', ["web-01", "web-02", "web-old"]),
        ('include_names = ["prod-*"]', []),
        ('exclude_names = ["*-old", "[A-Z]*"]', ["gw", "web-01", "web-02", "db-01", "stage-web", "dev-box"]),
        (
            'include_folders = ["Production/**"]\ninclude_tags = ["prod"]\nexclude_names = ["*-02"]',
            ["web-01", "db-01", "Prod-top"],
        ),
    ],
)
def test_filter_semantics(tmp_path, filter_toml, kept):
    result = read_filtered(tmp_path, filter_toml + "\n")
    assert names(result) == kept
    summary = [d for d in result.diagnostics if d.code == "filtered"]
    assert len(summary) == 1
    assert summary[0].file == (tmp_path / "servers.csv").resolve().as_posix()
    left_out = len(INVENTORY) - len(kept)
    if left_out:
        assert f"left out {left_out} of {len(INVENTORY)} host(s)" in summary[0].message
    else:
        assert f"left out none of the {len(INVENTORY)} host(s)" in summary[0].message
    assert summary[0].level == ("warning" if not kept else "info")


def test_filter_summary_says_why_and_whom(tmp_path):
    result = read_filtered(tmp_path, 'include_folders = ["Production/**"]\nexclude_tags = ["legacy"]\n')
    (summary,) = [d for d in result.diagnostics if d.code == "filtered"]
    assert "4 not in include_folders" in summary.message and "1 a tag from exclude_tags" in summary.message
    for name in ("gw", "stage-web", "dev-box", "ProductionX", "web-old"):
        assert name in summary.message


def test_filter_warns_when_a_kept_host_jumps_through_a_left_out_one(tmp_path):
    result = read_filtered(tmp_path, 'include_folders = ["Production/**"]\n')
    warnings = [d for d in result.diagnostics if d.code == "filter-jump"]
    assert sorted(d.entry for d in warnings) == ["db-01", "web-01", "web-02"]
    assert all("'gw'" in d.message and d.level == "warning" for d in warnings)
    result = read_filtered(tmp_path, 'include_folders = ["Production/**", "Infrastructure"]\n')
    assert not [d for d in result.diagnostics if d.code == "filter-jump"]


def test_filter_hosts_counts_what_it_leaves_out(tmp_path):
    write_inventory(tmp_path)
    hosts = read_inventory([load_job(write_job(tmp_path, MINIMAL)).sources[0].to_input()]).hosts
    kept, left_out = filter_hosts(hosts, SourceFilter(include_tags=["Web"], exclude_names=["stage-*"]))
    assert [h.name for h in kept] == ["web-01", "web-02", "web-old"] and left_out == len(INVENTORY) - 3
    assert filter_hosts(hosts, SourceFilter()) == (hosts, 0)
    assert filter_hosts(hosts, None) == (hosts, 0)


def test_invalid_glob_is_named(tmp_path):
    message = job_error(tmp_path, MINIMAL + '[source.filter]\ninclude_folders = ["[z-a]"]\n')
    assert "[[source]] #1 filter.include_folders: '[z-a]' is not a valid glob" in message


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("a/**", ["a", "a/b", "a/b/c"], ["ab", "b/a"]),
        ("**/c", ["c", "a/c", "a/b/c"], ["ac", "c/d"]),
        ("a/**/c", ["a/c", "a/b/c", "a/b/d/c"], ["ac", "a/cc"]),
        ("**", ["", "a", "a/b"], []),
        ("a/*", ["a/b", "a/"], ["a", "a/b/c"]),
        ("a?c", ["abc"], ["a/c", "ac"]),
        ("[!x]y", ["ay"], ["xy", "/y"]),
        ("[ab]*", ["a", "bcd"], ["c", "a/b"]),
        ("a[", ["a["], ["a"]),
        ("we.b", ["we.b"], ["weXb"]),
    ],
)
def test_folder_globs(pattern, matches, misses):
    regex = folder_glob_regex(pattern)
    for text in matches:
        assert regex.match(text), (pattern, text)
    for text in misses:
        assert not regex.match(text), (pattern, text)


# -- options reach the source ---------------------------------------------------------------------------


def test_source_options_are_passed_to_the_source(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("name;host;folder\nsemi-1;192.0.2.50;A\nsemi-2;192.0.2.51;B\n", encoding="cp1252")
    job = load_job(
        write_job(
            tmp_path, 'name = "t"\n[[source]]\npath = "semi.csv"\nformat = "csv"\noptions = { delimiter = ";" }\n'
        )
    )
    assert job.sources[0].options == {"delimiter": ";"}
    assert [h.name for h in read_inventory([job.sources[0].to_input()]).hosts] == ["semi-1", "semi-2"]
    job = load_job(
        write_job(
            tmp_path, 'name = "t"\n[[source]]\npath = "semi.csv"\nformat = "csv"\noptions = { delimiter = "|" }\n'
        )
    )
    assert read_inventory([job.sources[0].to_input()]).hosts == []


def test_missing_source_file_is_an_input_error(tmp_path):
    job = load_job(write_job(tmp_path, MINIMAL))
    with pytest.raises(InputError, match="servers.csv: no such file"):
        read_inventory([job.sources[0].to_input()])


# -- fingerprint ----------------------------------------------------------------------------------------


FINGERPRINT_A = """\
name = "fp"
[[source]]
path = "servers.csv"
format = "csv"
[source.filter]
include_tags = ["prod"]
[target]
url = "embedded"
timeout = 30.0
[prune]
enabled = true
"""

FINGERPRINT_B = """\
# the same job, written differently
name = "fp"

[prune]
enabled    =   true

[target]
timeout = 30
url = 'embedded'
ptb = false

[[source]]
  format = "csv"   # explicit
  path   = "servers.csv"
  filter = { include_tags = [ "prod" ] }
"""


def test_fingerprint_ignores_layout_and_follows_content(tmp_path):
    first = load_job(write_job(tmp_path, FINGERPRINT_A, name="a.toml"))
    assert load_job(write_job(tmp_path, FINGERPRINT_B, name="a.toml")).fingerprint() == first.fingerprint()
    # the default ledger is named after the job file, so a copy under another name is another job
    assert load_job(write_job(tmp_path, FINGERPRINT_B, name="b.toml")).fingerprint() != first.fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", first.fingerprint())
    assert load_job(write_job(tmp_path, FINGERPRINT_A, name="a.toml")).fingerprint() == first.fingerprint()

    changed = [
        FINGERPRINT_A.replace('"prod"', '"Prod"'),
        FINGERPRINT_A.replace("timeout = 30.0", "timeout = 31.0"),
        FINGERPRINT_A.replace("enabled = true", "enabled = false"),
        FINGERPRINT_A.replace('path = "servers.csv"', 'path = "other.csv"'),
        FINGERPRINT_A + '[reports]\njson = "plan.json"\n',
    ]
    prints = {load_job(write_job(tmp_path, text, name="a.toml")).fingerprint() for text in changed}
    assert len(prints) == len(changed) and first.fingerprint() not in prints


def test_fingerprint_depends_on_where_paths_point(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    one = load_job(write_job(tmp_path / "one", FINGERPRINT_A))
    two = load_job(write_job(tmp_path / "two", FINGERPRINT_A))
    assert one.fingerprint() != two.fingerprint()


def test_parse_job_without_a_file_on_disk(tmp_path):
    job = parse_job({"name": "x", "source": [{"path": "s.csv"}]}, tmp_path / "x.toml")
    assert isinstance(job, Job) and job.sources[0].path == tmp_path.resolve() / "s.csv"
    with pytest.raises(ConfigError, match=r"x\.toml: \[\[source\]\] #1 unknown key 'paht'"):
        parse_job({"name": "x", "source": [{"paht": "s.csv"}]}, tmp_path / "x.toml")
