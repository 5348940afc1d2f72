"""The source contract, checked the same way for every registered format and for the example plugin.

Parametrised over the registry (``helpers.formats``), so a new built-in or plugin is checked by
adding it, with no list here to keep in step. Each format supplies a small valid input through its
``example`` classmethod; the checks are what every format promises: declared decisions, documented
options, secrets refused as option values, detection that picks it and no other, stable keys,
fingerprints that follow the bytes, and bad bytes that end in diagnostics or one ``InputError``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.formats import contract_classes, registered

from migrator.errors import ConfigError, InputError
from migrator.sources import detect_format, open_source
from migrator.sources.base import FileSource, Source, SourceOptions
from migrator.sources.registry import SUPPORTED_API_VERSIONS

CLASSES = contract_classes()
FILE_CLASSES = {name: cls for name, cls in CLASSES.items() if not cls.remote}


def _example(cls, tmp_path: Path) -> Path:
    folder = tmp_path / "example"
    folder.mkdir()
    return Path(cls.example(folder))


def _read(cls, location: Path):
    return cls(location).read()


def _files(location: Path) -> list[Path]:
    return sorted(f for f in location.rglob("*") if f.is_file()) if location.is_dir() else [location]


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_the_class_declares_its_contract(name):
    cls = CLASSES[name]
    assert issubclass(cls, Source) and cls.format == name
    assert isinstance(cls.summary, str) and cls.summary.strip() and "\n" not in cls.summary
    assert cls.api_version in SUPPORTED_API_VERSIONS
    assert isinstance(cls.remote, bool) and isinstance(cls.tabular, bool)
    assert issubclass(cls.Options, SourceOptions)
    cls.Options()  # every option has a usable default
    undocumented = [opt for opt, text in cls.Options.option_help().items() if not text]
    assert not undocumented, f"{name}: options without a description: {undocumented}"
    if not cls.remote:
        assert issubclass(cls, FileSource)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_options_are_checked_and_secrets_are_never_option_values(name):
    cls = CLASSES[name]
    with pytest.raises(ConfigError, match=rf"unknown option 'no_such_option_x' for {name} sources"):
        cls.parse_options({"no_such_option_x": "1"})
    for key in ("password", "Passphrase", "master_password"):
        with pytest.raises(ConfigError, match="a source password is never taken as an option") as err:
            cls.parse_options({key: "Hunter2-secret"})
        assert "Hunter2-secret" not in str(err.value)


@pytest.mark.parametrize("name", sorted(FILE_CLASSES))
def test_the_example_reads_to_hosts_with_stable_keys(name, tmp_path):
    cls = FILE_CLASSES[name]
    location = _example(cls, tmp_path)
    first, second = _read(cls, location), _read(cls, location)
    assert first.hosts, f"{name}: its example gives no host"
    assert not first.errors, [str(d) for d in first.errors]
    assert not first.partial and not first.held
    assert [h.key for h in first.hosts] == [h.key for h in second.hosts]
    assert len({h.key for h in first.hosts}) == len(first.hosts)
    for host in first.hosts:
        assert host.key.startswith(f"{name}:") and host.source.format == name


@pytest.mark.parametrize("name", sorted(set(FILE_CLASSES) & set(registered())))
def test_detection_picks_the_format_of_its_example_and_no_other(name, tmp_path):
    cls = FILE_CLASSES[name]
    location = _example(cls, tmp_path)
    if cls.detect.__func__ is Source.detect.__func__:
        with pytest.raises(InputError, match="cannot tell which format"):
            detect_format(location)
    else:
        assert detect_format(location) == name
    assert open_source(f"{name}:{location.as_posix()}").format == name


@pytest.mark.parametrize("name", sorted(FILE_CLASSES))
def test_the_fingerprint_follows_every_byte(name, tmp_path):
    cls = FILE_CLASSES[name]
    location = _example(cls, tmp_path)
    source = cls(location)
    source.read()
    before = source.fingerprint()
    assert before == cls(location).fingerprint() or source.inputs  # reading may add the files it opened
    target = _files(location)[-1]
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    assert source.fingerprint() != before


@pytest.mark.parametrize("name", sorted(FILE_CLASSES))
def test_every_cut_of_the_example_ends_in_diagnostics_or_one_input_error(name, tmp_path):
    cls = FILE_CLASSES[name]
    location = _example(cls, tmp_path)
    target = max(_files(location), key=lambda f: f.stat().st_size)
    data = target.read_bytes()
    cuts = sorted({len(data) * i // 12 for i in range(12)} | {1, len(data) - 1})
    for cut in cuts:
        target.write_bytes(data[:cut])
        try:
            result = _read(cls, location)
        except InputError as exc:
            assert str(exc).strip() and "\n" not in str(exc), (cut, str(exc))
            continue
        for d in result.diagnostics:
            assert d.message and d.file, (cut, d)
        assert all(h.key.startswith(f"{name}:") for h in result.hosts)


def _codec_options(cls) -> list[str]:
    """Options typed ``TextCodec`` (alone or inside ``TextCodec | None``)."""
    import typing

    from migrator.sources.base import text_codec

    def is_codec(annotation, metadata=()) -> bool:
        if any(getattr(m, "func", None) is text_codec for m in metadata):
            return True
        if typing.get_origin(annotation) is typing.Annotated:
            base, *extra = typing.get_args(annotation)
            return is_codec(base, extra)
        return any(is_codec(a) for a in typing.get_args(annotation))

    return [name for name, field in cls.Options.model_fields.items() if is_codec(field.annotation, field.metadata)]


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_encoding_options_take_only_text_codecs(name):
    cls = CLASSES[name]
    for option in _codec_options(cls):
        assert cls.parse_options({option: "UTF-8"})
        for codec in ("rot13", "base64", "no-such-codec"):
            with pytest.raises(ConfigError, match=rf"option '{option}'"):
                cls.parse_options({option: codec})


def _bundled_samples():
    from helpers.paths import REPO_ROOT

    formats = registered()
    for folder in sorted((REPO_ROOT / "samples").iterdir()):
        if folder.is_dir() and folder.name in formats:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix.lower() not in (".toml", ".md", ".pem", ".pub", ".token"):
                    yield pytest.param(folder.name, path, id=path.relative_to(REPO_ROOT / "samples").as_posix())


@pytest.mark.parametrize("fmt, path", list(_bundled_samples()))
def test_no_format_claims_another_formats_sample(fmt, path):
    """A sample under samples/FORMAT/ is detected as FORMAT or not at all: never as another, never a tie."""
    try:
        assert detect_format(path) == fmt
    except InputError as exc:
        assert "cannot tell which format" in str(exc), str(exc)
