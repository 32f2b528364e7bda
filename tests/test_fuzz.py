"""Fuzzing (hypothesis): every reader and every command, fed hostile input, ends in a clean
error (a PapersiftError, or click's usage error) and never a traceback; XML entities are
never expanded; the cases fuzzing found (a CSV cell over 128 KiB, JSON nested 5,000 deep,
``feed --days 1000000000``, a 5,000-digit id) stay fixed."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersift.cli import cli, main
from papersift.errors import PapersiftError, ParseError
from papersift.ingest.formats import FormatSpec
from papersift.ingest.pipeline import ingest_file
from papersift.ingest.sources import readers
from papersift.store import open_store
from tests.support import EXAMPLES, FIXTURES, example_library

SPECS = {spec.name: spec for spec in readers()}
SAMPLES = {  # a real file of each format, to mutate
    "arxiv-atom": FIXTURES / "arxiv_api.atom",
    "oai-pmh": FIXTURES / "oai_arxiv.xml",
    "arxiv-snapshot": FIXTURES / "arxiv_snapshot.jsonl",
    "bibtex": FIXTURES / "zotero.bib",
    "hf-daily": FIXTURES / "hf_daily.txt",
    "pubpage": FIXTURES / "pubpage.txt",
    "abstracts": FIXTURES / "abstracts.txt",
    "json": FIXTURES / "papers.json",
    "csv": FIXTURES / "zotero.csv",
}
# CI replays the same examples every run (a red CI names a real regression, not a new
# random find); a developer's run explores new ones.
FUZZ = settings(
    max_examples=60,
    derandomize=os.environ.get("CI") == "true",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# What each format is made of, so random text reaches past the first check of a reader.
STRUCTURE = st.sampled_from(
    [*'{}[]",:@=#%<>/&;\\\n\t ', "<?xml ", "<record>", "</entry>", "@article{", "title", "\ufeff"]
)


def _parse_all(spec: FormatSpec, text: str) -> None:
    """Run a reader to the end; only a clean error may stop it."""
    name = f"fuzz{spec.extensions[0]}"
    try:
        for _ in spec.parse(io.StringIO(text), name):
            pass
    except PapersiftError:
        pass


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """The sample cut, with a piece repeated, deleted or replaced by hostile text."""
    cut = draw(st.integers(0, len(text)))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 400)))
    insert = draw(st.one_of(st.text(max_size=50), st.lists(STRUCTURE, max_size=30).map("".join)))
    edit = draw(st.sampled_from(["cut", "repeat", "delete", "insert"]))
    if edit == "cut":
        return text[:cut]
    if edit == "repeat":
        return text[:end] + text[start:end] * draw(st.integers(2, 50)) + text[end:]
    if edit == "delete":
        return text[:start] + text[end:]
    return text[:start] + insert + text[end:]


@pytest.mark.parametrize("name", sorted(SPECS))
@FUZZ
@given(data=st.data())
def test_readers_give_only_clean_errors_on_mutated_files(name: str, data: st.DataObject) -> None:
    text = SAMPLES[name].read_text(encoding="utf-8")
    _parse_all(SPECS[name], data.draw(mutated(text)))


@pytest.mark.parametrize("name", sorted(SPECS))
@FUZZ
@given(text=st.lists(st.one_of(STRUCTURE, st.text(max_size=8)), max_size=200).map("".join))
def test_readers_give_only_clean_errors_on_random_text(name: str, text: str) -> None:
    _parse_all(SPECS[name], text)


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
<!ENTITY secret SYSTEM "file:///etc/hostname">]>
"""
ATOM_BODY = """<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id>
<title>Laughs &lol9; &secret;</title><summary>An abstract &lol9; &secret;</summary>
<published>2024-01-01T00:00:00Z</published><author><name>A. Person</name></author></entry></feed>
"""
OAI_BODY = """<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record>
<header><identifier>oai:arXiv.org:2401.00001</identifier><datestamp>2024-01-01</datestamp></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2401.00001</id>
<title>Laughs &lol9; &secret;</title><abstract>An abstract &lol9; &secret;</abstract>
<authors><author><keyname>Person</keyname></author></authors></arXiv></metadata></record>
</ListRecords></OAI-PMH>
"""


@pytest.mark.parametrize(("name", "body"), [("arxiv-atom", ATOM_BODY), ("oai-pmh", OAI_BODY)])
def test_xml_entities_are_never_expanded_nor_read_from_files(name: str, body: str) -> None:
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    try:
        items = list(SPECS[name].parse(io.StringIO(LAUGHS + body), "laughs.xml"))
    except ParseError:
        return  # refusing the document is as good
    for item in items:
        text = repr(item)
        assert len(text) < 10_000 and "lollol" not in text
        assert not hostname or hostname not in text


def test_bibtex_strings_that_double_each_other_are_refused_not_expanded() -> None:
    lines = ['@string{s0 = "lollollollollol"}']
    lines += [f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, 40)]
    lines.append("@article{x, title = s39, author = {A. B}, year = 2024}")
    with pytest.raises(ParseError, match="expands past"):  # was 6 GB in 30 s
        list(SPECS["bibtex"].parse(io.StringIO("\n".join(lines)), "laughs.bib"))


# ------------------------------------------------------------------ ingest: the found cases


def _ingest_refused(db: Path, path: Path) -> ParseError:
    store = open_store(db)
    try:
        with pytest.raises(ParseError) as caught:
            ingest_file(store, path)
        assert store.stats().papers == 0  # the failed file left nothing
    finally:
        store.close()
    return caught.value


def test_a_csv_cell_over_128_kib_is_a_parse_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("title,abstract\nfine,short\nhuge," + "x" * 140_000 + "\n")
    error = _ingest_refused(tmp_path / "lib.db", path)
    assert error.line == 3 and "field larger than field limit" in str(error)


@pytest.mark.parametrize("shape", ["array", "object", "jsonl"])
def test_json_nested_5000_deep_is_a_parse_error(tmp_path: Path, shape: str) -> None:
    deep = "[" * 5000 + "]" * 5000
    text = {
        "array": f'[{{"title": "t", "x": {deep}}}]',
        "object": f'{{"papers": [{{"title": "t", "x": {deep}}}]}}',
        "jsonl": f'{{"title": "t", "x": {deep}}}\n',
    }[shape]
    path = tmp_path / ("deep.jsonl" if shape == "jsonl" else "deep.json")
    path.write_text(text)
    assert "JSON" in str(_ingest_refused(tmp_path / "lib.db", path))


# ------------------------------------------------------------------ CLI arguments


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("fuzz") / "lib.db"
    example_library(db)
    assert main(["--db", str(db), "--model", "fake", "reader", "add", "ada"]) == 0
    assert main(["--db", str(db), "--model", "fake", "feedback", "ada", "1", "up"]) == 0
    return db


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # lazy ones too (papersift/cli_lazy.py)
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


#: Commands that serve or start servers: not fuzzed here (their own tests cover bad input);
#: ``embed`` runs with ``--engine local``, digests and harvests go to a closed port.
UNFUZZED = {("serve",), ("db", "start")}
CLOSED = "http://127.0.0.1:9/oai"
COMMANDS = sorted(set(_commands(cli)) - UNFUZZED)
HOSTILE = [
    "",
    " ",
    "-",
    "--",
    "0",
    "-1",
    "1000000000",
    "9" * 5000,
    "1e309",
    "nan",
    "-inf",
    "0000-00-00",
    "9999-12-31",
    "2024-02-30",
    "ada",
    "1",
    "2401.00001",
    "10.1234/x",
    "title:",
    '"',
    "(",
    "NOT OR AND *",
    "-word",
    "é" * 300,
    "\u202e\ufeff",
    "x" * 20_000,
    " ".join(["retrieval"] * 2000),
    "a=b,c",
    "title=",
    "%s%n{0}",
    "<script>",
    "'; DROP TABLE papers; --",
]


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(click.Context(command), name)
        assert found is not None
        command = found
    return command


@st.composite
def invocation(draw: st.DrawFn, paths: list[Path]) -> list[str]:
    path = draw(st.sampled_from(COMMANDS))
    value = st.one_of(
        st.sampled_from(HOSTILE), st.text(max_size=30).filter(lambda s: "\0" not in s)
    )
    file_value = st.sampled_from([str(p) for p in paths])
    argv = list(path)
    for param in _command(path).params:
        is_path = isinstance(param.type, click.Path | click.File)
        if isinstance(param, click.Argument):
            argv.append(draw(file_value if is_path else value))
        elif draw(st.booleans()):
            if isinstance(param, click.Option) and param.is_flag:
                argv.append(param.opts[0])
            else:
                argv += [param.opts[0], draw(file_value if is_path else value)]
    if path == ("embed",):
        argv += ["--engine", "local"]
    if path[0] == "sync":  # the last of an option given twice wins
        argv += ["--endpoint", CLOSED, "--retries", "0", "--delay", "0"]
    if path == ("digest", "send"):
        argv += ["--smtp-host", "127.0.0.1", "--smtp-port", "9", "--smtp-security", "none"]
    return argv


@FUZZ
@given(data=st.data())
def test_commands_give_only_clean_errors_on_hostile_arguments(
    library: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    data: st.DataObject,
) -> None:
    folder = tmp_path_factory.mktemp("args")
    (folder / "empty.txt").write_text("")
    listing = folder / "library.bib"  # a copy: commands may write to the paths they are given
    listing.write_bytes((EXAMPLES / "library.bib").read_bytes())
    paths = [folder / "missing.bib", folder / "empty.txt", folder, listing]
    paths.append(folder / "out.txt")
    argv = data.draw(invocation(paths))
    stdin = data.draw(st.sampled_from(["", "\n", "hunter2 and more\n", "x" * 5000]))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))  # --password-stdin reads it
    code = main(["--db", str(library), "--model", "fake", *argv])  # a traceback fails here
    assert isinstance(code, int)


@pytest.mark.parametrize(
    "argv",
    [
        ["feed", "ada", "--days", "1000000000"],
        ["papers", "show", "9" * 5000],
        ["feedback", "ada", "9" * 5000, "up"],
        ["similar", "9" * 5000],
        ["papers", "show", "\u00b2"],
        ["sync", "hf-daily", "--days", "1000000000", "--endpoint", CLOSED],
        ["sync", "arxiv", "--set", "cs", "--delay", "inf", "--endpoint", CLOSED],
    ],
)
def test_the_arguments_that_gave_tracebacks_now_answer(library: Path, argv: list[str]) -> None:
    code = main(["--db", str(library), "--model", "fake", *argv])
    assert code == {"feed": 0, "sync": 2}.get(argv[0], 3)
