"""mRemoteNG: the second review's attacks (numbers of thousands of digits, key-derivation work, nesting),
each a class of hostile file that used to crash the read or cost time and memory without bound."""

from __future__ import annotations

import pytest
from helpers.mremoteng import Node, Style, folder, render, write

from migrator.errors import InputError
from migrator.sources import limits
from migrator.sources.mremoteng import crypto
from migrator.sources.mremoteng.document import net_enum, net_int
from migrator.sources.mremoteng.source import MremotengSource
from migrator.sources.mremoteng.tree import PROTOCOLS
from migrator.sources.secrets import PASSWORD_ENV


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


def read(path):
    return MremotengSource(path).read()


# ---- numbers: .NET's int.TryParse fails on overflow, Python's int() refuses 4,300+ digits ----------


@pytest.mark.parametrize("digits", [11, 400, 5000, 100_000])
def test_a_number_of_any_length_is_no_int32_never_a_crash(digits):
    assert net_int("7" * digits) is None
    assert net_int(" -" + "7" * digits) is None
    assert net_enum("3" * digits, PROTOCOLS) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [("0" * 5000 + "22", 22), ("  +00000000000000000022 ", 22), ("2147483647", 2**31 - 1), ("-2147483648", -(2**31))],
)
def test_leading_zeros_and_the_int32_range_read_as_dotnet_does(text, number):
    assert net_int(text) == number
    assert net_int("2147483648") is None


@pytest.mark.parametrize(
    ("where", "node_kw", "style_kw"),
    [
        ("Port", {"port": "1" * 5000}, {}),
        ("Protocol", {"protocol": "3" + "0" * 5000}, {}),
        ("Type", {"extra": {"Type": "9" * 5000}}, {}),
    ],
)
def test_huge_numbers_in_any_attribute_are_reported_not_an_internal_error(tmp_path, where, node_kw, style_kw):
    nodes = [folder("F", Node("web", id="w", hostname="web.example.net", **node_kw)), Node("ok", hostname="o.example")]
    path = write(tmp_path / "c.xml", nodes, Style(version="2.8", kdf=1000, **style_kw))
    result = read(path)
    assert {d.level for d in result.diagnostics} <= {"info", "warning", "error"}
    if where == "Port":
        assert [h.name for h in result.hosts] == ["ok"]
        assert any(d.field == "Port" and d.entry == "F/web" for d in result.errors)
        assert len(result.held) == 1


@pytest.mark.parametrize("text", ["9" * 5000, "2147483648", "-1" + "0" * 30, "10000x", ""])
def test_an_unreadable_kdf_iterations_is_one_line_naming_it(tmp_path, text):
    """int.TryParse fails, so the legacy scheme applies and the AEAD Protected value cannot be checked:
    the one line says why, naming KdfIterations, and never quotes the value."""
    path = write(tmp_path / "c.xml", [Node("ok", hostname="o.example")], Style(version="2.8", kdf=1000))
    raw = path.read_text(encoding="utf-8").replace('KdfIterations="1000"', f'KdfIterations="{text}"')
    path.write_text(raw, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    message = str(caught.value)
    assert "\n" not in message and "KdfIterations" in message and "nothing imported" in message
    assert not text or text not in message


# ---- PBKDF2 work: every value has its own salt, so a file sets the cost ---------------------------


def test_key_derivations_beyond_the_work_budget_hold_their_entries(tmp_path, monkeypatch):
    """A file of many passwords at a high KdfIterations costs values x iterations: past the budget the
    remaining entries are held (never imported without their password, never deleted by a prune)."""
    iterations = 1000
    # the Protected check and three passwords fit, the fourth and fifth do not
    monkeypatch.setattr(crypto, "MAX_KDF_WORK", 4 * iterations)
    nodes = [Node(f"h{i}", id=f"id-{i}", hostname=f"h{i}.example.net", password=f"pw-{i}") for i in range(5)]
    nodes.append(Node("nopw", id="id-nopw", hostname="n.example.net"))
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8", kdf=iterations)))
    passwords = {h.name: h.credentials.password.get_secret_value() for h in result.hosts if h.credentials.password}
    assert passwords == {"h0": "pw-0", "h1": "pw-1", "h2": "pw-2"}
    assert {h.name for h in result.hosts} == {"h0", "h1", "h2", "nopw"}
    assert {k.split("#", 1)[1] for k in result.held} == {"id-3", "id-4"}
    budget = [d for d in result.errors if d.code == "kdf-budget"]
    assert [d.entry for d in budget] == ["h3", "h4"]
    assert all(d.field == "Password" and "4,000 PBKDF2 iterations" in d.message for d in budget)


def test_the_work_budget_covers_large_real_inventories():
    assert crypto.MAX_KDF_WORK >= 50_000 * 10_000  # 50,000 passwords at mRemoteNG 1.77's default
    assert crypto.MAX_KDF_WORK >= 10_000 * 50_000  # 10,000 at the options page's maximum


def test_a_cached_salt_costs_nothing_more(tmp_path, monkeypatch):
    """An inherited password is one value: decrypting it for every child derives its key once."""
    monkeypatch.setattr(crypto, "MAX_KDF_WORK", 2 * 1000)
    children = [Node(f"c{i}", id=f"c{i}", hostname=f"c{i}.example.net", inherit={"Password"}) for i in range(20)]
    nodes = [folder("Top", folder("F", *children, password="shared-pw"))]
    result = read(write(tmp_path / "c.xml", nodes, Style(version="2.8", kdf=1000)))
    assert len(result.hosts) == 20 and not result.held
    assert {h.credentials.password.get_secret_value() for h in result.hosts} == {"shared-pw"}


# ---- nesting: a folder's path is copied into every node below it ----------------------------------


def _nested(depth: int) -> str:
    text = render([Node("top", hostname="top.example.net")], Style(version="2.8", kdf=1000))
    inner = (
        '<Node Name="f" Type="Container">' * depth
        + '<Node Name="deep" Type="Connection" Id="deep-id" Hostname="d.example.net" Protocol="SSH2" Port="22"/>'
        + "</Node>" * depth
    )
    return text.replace("</mrng:Connections>", inner + "</mrng:Connections>")


def test_folders_nested_beyond_the_cap_are_not_read_and_the_read_is_partial(tmp_path):
    path = tmp_path / "c.xml"
    path.write_text(_nested(limits.MAX_FOLDER_DEPTH + 1), encoding="utf-8")
    result = read(path)
    assert [h.name for h in result.hosts] == ["top"]
    assert result.partial
    deep = [d for d in result.errors if d.code == "too-deep"]
    assert len(deep) == 1 and f"{limits.MAX_FOLDER_DEPTH}" in deep[0].message


def test_folders_at_the_cap_are_read(tmp_path):
    path = tmp_path / "c.xml"
    path.write_text(_nested(limits.MAX_FOLDER_DEPTH), encoding="utf-8")
    result = read(path)
    deep = next(h for h in result.hosts if h.name == "deep")
    assert len(deep.category) == limits.MAX_FOLDER_DEPTH and not result.partial


def test_a_hundred_thousand_nested_folders_cost_linear_memory(tmp_path):
    """Before the cap every node kept a copy of its folder path: 16,000 levels took over a gigabyte."""
    import tracemalloc

    path = tmp_path / "c.xml"
    path.write_text(_nested(100_000), encoding="utf-8")
    tracemalloc.start()
    try:
        result = read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.partial and [h.name for h in result.hosts] == ["top"]
    assert peak < 400 * 1024 * 1024


def test_a_truncated_deep_file_is_still_one_line_or_partial(tmp_path):
    path = tmp_path / "c.xml"
    text = _nested(limits.MAX_FOLDER_DEPTH + 50)
    path.write_text(text[: len(text) - 3000], encoding="utf-8")
    try:
        result = read(path)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.partial
