"""The host records validate exactly as the pydantic models they replaced.

The oracle below is the pydantic definition of ``Host`` and friends as it was before the records
(``migrator.record``), and the address check as it was written then. Every generated input must give
the same result from both: the same fields, or a ``ValidationError`` with the same locations, types
and messages (what the sources turn into diagnostics).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Literal

import pytest
from helpers.records import record_json
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from migrator.model import Credentials, Diagnostic, Host, JumpHop, Provenance, validate_address

# ---- the oracle: the pydantic models as they were -------------------------------------------------

_OLD_FORBIDDEN = re.compile(r"[\s/\\@'\"`;,<>|&$]")


def _shown(value: str) -> str:
    """How a rejected address is shown since the attack review: repr (no raw control characters),
    cut to 60 characters with the full length given."""
    return repr(value) if len(value) <= 60 else repr(value[:60]) + f"… ({len(value):,} characters)"


def old_validate_address(value: str) -> str:
    v = value.strip()
    if v.startswith("[") and v.endswith("]"):
        v = v[1:-1]
    if not v:
        raise ValueError("address must not be blank")
    if "@" in v:
        shown = _shown("…@" + v.rpartition("@")[2])
        raise ValueError(f"address {shown} has a user part; give the user in its own field")
    try:
        return str(ipaddress.ip_address(v.split("%", 1)[0])) + (("%" + v.split("%", 1)[1]) if "%" in v else "")
    except ValueError:
        pass
    if _OLD_FORBIDDEN.search(v) or any(ord(c) < 32 for c in v):
        raise ValueError(f"address {_shown(value)} contains characters a host name cannot have")
    if v.endswith("."):
        v = v[:-1]
    labels = v.split(".")
    if len(v) > 253 or any(not lab or len(lab) > 63 for lab in labels):
        raise ValueError(f"address {_shown(value)} is not a valid host name")
    if not all(re.fullmatch(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?", lab) for lab in labels):
        raise ValueError(f"address {_shown(value)} is not a valid host name")
    if re.fullmatch(r"[0-9.]+", v):
        raise ValueError(f"address {_shown(value)} is not a valid IPv4 address")
    return v


class OldDiagnostic(BaseModel):
    model_config = ConfigDict(frozen=True)
    level: Literal["error", "warning", "info"]
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    entry: str | None = None


class OldProvenance(BaseModel):
    model_config = ConfigDict(frozen=True)
    format: str
    file: str
    line: int | None = None
    section: str | None = None


class OldJumpHop(BaseModel):
    model_config = ConfigDict(frozen=True)
    host: str
    port: int | None = None
    user: str | None = None
    ref: str | None = None
    ref_key: str | None = None


class OldCredentials(BaseModel):
    password: SecretStr | None = None
    password_prompt: bool = False
    password_manager_ref: str | None = None
    key_files: list[str] = Field(default_factory=list)
    key_passphrase: SecretStr | None = None
    certificate_files: list[str] = Field(default_factory=list)
    identities_only: bool | None = None
    identity_agent: str | None = None
    agent: Literal["openssh", "pageant"] | None = None
    identity: str | None = None


class OldHost(BaseModel):
    key: str
    name: str
    address: str
    port: int = 22
    user: str | None = None
    category: list[str] = Field(default_factory=list)
    credentials: OldCredentials = Field(default_factory=OldCredentials)
    jump: list[OldJumpHop] = Field(default_factory=list)
    ssh_options: list[tuple[str, str]] = Field(default_factory=list)
    proxy_command: str | None = None
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    source: OldProvenance

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("name must not be blank")
        if any(ord(c) < 32 for c in v):
            raise ValueError("name must not contain control characters")
        return v

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        return old_validate_address(v)

    @field_validator("port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 1 <= v <= 65535:
            raise ValueError(f"port {v} is outside 1-65535")
        return v

    @field_validator("user")
    @classmethod
    def _user(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip()
        if not v:
            return None
        if any(ord(c) < 32 for c in v):
            raise ValueError("user must not contain control characters")
        return v

    @field_validator("category")
    @classmethod
    def _category(cls, v: list[str]) -> list[str]:
        return [s.strip() for s in v if s and s.strip()]


# ---- inputs ---------------------------------------------------------------------------------------

ADDRESS_CHARS = "abcXYZ019_-.:[]%@ /\t\n\x00é"
#: Numbers and dots: the IPv4 fast path (already canonical) against ``ip_address`` of the old check.
dotted = st.lists(st.from_regex(r"[0-9]{1,4}", fullmatch=True), min_size=1, max_size=5).map(".".join)
addresses = st.one_of(
    st.text(alphabet=ADDRESS_CHARS, max_size=12),
    dotted,
    dotted.map(lambda v: f" [{v}] "),
    st.sampled_from(
        [
            "web01.example.net",
            "10.0.0.1",
            "010.0.0.1",
            "1.2.3",
            "[2001:db8::1]",
            "fe80::1%eth0",
            "1.2.3.4%x",
            "::ffff:10.0.0.1",
            "host.",
            ".",
            "a" * 64,
            ".".join(["a" * 63] * 4),
            "-a.b",
            "a-.b",
            "123.456",
            "user@host",
            "ünicode.example",
        ]
    ),
)
texts = st.one_of(st.text(alphabet="ab \t\x01\n-", max_size=6), st.sampled_from(["web", " padded ", ""]))
odd = st.sampled_from([None, 0, 1, 22.0, 22.5, True, "22", " 8022 ", "22x", b"bytes", ["x"], ("x",), {"a": 1}])
ports = st.one_of(st.integers(min_value=-2, max_value=70000), odd)
strings_or_odd = st.one_of(texts, odd)
string_lists = st.one_of(st.lists(texts, max_size=3), st.tuples(texts), odd)
hops = st.fixed_dictionaries(
    {"host": strings_or_odd}, optional={"port": ports, "user": strings_or_odd, "ref": strings_or_odd}
)
credentials = st.fixed_dictionaries(
    {},
    optional={
        "password": st.one_of(st.none(), st.builds(SecretStr, texts), texts),
        "password_prompt": st.one_of(st.booleans(), odd),
        "key_files": string_lists,
        "agent": st.one_of(st.sampled_from(["openssh", "pageant", "agent"]), odd),
        "identities_only": st.one_of(st.none(), st.booleans(), odd),
    },
)
hosts = st.fixed_dictionaries(
    {"key": st.one_of(texts, odd), "name": strings_or_odd, "address": st.one_of(addresses, odd)},
    optional={
        "port": ports,
        "user": strings_or_odd,
        "category": string_lists,
        "tags": string_lists,
        "jump": st.one_of(st.lists(hops, max_size=2), odd),
        "ssh_options": st.one_of(st.lists(st.tuples(texts, texts), max_size=2), st.just([["a", "b"]]), odd),
        "credentials": credentials,
        "description": strings_or_odd,
    },
)


def outcome(make, data):
    """The fields as JSON data, or the errors as (loc, type, msg)."""
    try:
        obj = make(data)
    except ValidationError as exc:
        return "invalid", [
            (e["loc"], e["type"], e["msg"].replace("instance of Old", "instance of ")) for e in exc.errors()
        ]
    if isinstance(obj, BaseModel):
        return "ok", obj.model_dump(mode="json")
    return "ok", record_json(obj)


def _source(kind):
    return lambda data: kind(**data, source={"format": "csv", "file": "f.csv", "line": 3})


@given(data=hosts)
def test_host_validates_like_the_pydantic_model(data):
    assert outcome(_source(Host), data) == outcome(_source(OldHost), data)


@given(
    data=st.fixed_dictionaries(
        {"level": st.one_of(st.sampled_from(["error", "warning", "info", "fatal"]), odd), "code": strings_or_odd},
        optional={"message": strings_or_odd, "line": ports, "file": strings_or_odd},
    )
)
def test_diagnostic_validates_like_the_pydantic_model(data):
    data.setdefault("message", "m")
    assert outcome(lambda d: Diagnostic(**d), data) == outcome(lambda d: OldDiagnostic(**d), data)


@given(value=addresses)
def test_address_check_is_the_old_one(value):
    def run(fn):
        try:
            return "ok", fn(value)
        except ValueError as exc:
            return "invalid", str(exc)

    assert run(validate_address) == run(old_validate_address)


def test_exact_values_are_kept_and_lists_copied():
    keys = ["~/.ssh/id_ed25519"]
    hop = JumpHop(host="gw.example.net", port=2222)
    host = Host(
        key="k",
        name=" web ",
        address="[2001:DB8::1]",
        credentials=Credentials(password=SecretStr("pw"), key_files=keys),
        jump=[hop],
        source=Provenance(format="csv", file="f"),
    )
    assert (host.name, host.address, host.jump[0] is hop) == ("web", "2001:db8::1", True)
    keys.append("other")  # the record owns its lists, as the pydantic model did
    assert host.credentials.key_files == ["~/.ssh/id_ed25519"]
    assert "pw" not in repr(host) and "pw" not in str(host)


def test_records_compare_hash_and_copy_like_values():
    a = Diagnostic(level="info", code="c", message="m", line=1)
    assert a == Diagnostic(level="info", code="c", message="m", line=1) and len({a, dataclasses.replace(a)}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.line = 2
    host = Host(key="k", name="n", address="h.example", source=Provenance(format="csv", file="f"))
    with pytest.raises(ValidationError) as exc:
        dataclasses.replace(host, port=0)  # a copy is checked again
    assert exc.value.errors()[0]["loc"] == ("port",)
    with pytest.raises(TypeError):
        Host(key="k", name="n", address="h", source=Provenance(format="csv", file="f"), adress="typo")
    with pytest.raises(TypeError):
        JumpHop("positional.example")
