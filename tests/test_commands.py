"""Each command's settings are defined once (leia/commands.py): for extract, augment, run, entities, mentions
build, mentions detect and tokenize, every parameter of the Python function is an option of the command with
the same name and default, every option is a parameter, the positional parameters are what the command reads
then where it writes, and the old spellings of renamed options still work. Read from the real parser of the
``leia`` command and the signatures ``help()`` shows."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import subprocess
import sys

import pytest

import leia
from leia.cli import build_parser
from leia.commands import (AugmentSettings, BuildMentionsSettings, Cleaning, DetectSettings, EntitiesSettings,
                           ExtractSettings, MentionSettings, PageFilters, RunSettings, SpanControls, TokenizeSettings)
from leia.errors import ConfigError
from leia.settings import add_settings, setting, settings_from, takes

# The command line (its words before the options) -> the function and the settings it is made from.
COMMANDS = {
    "extract": (leia.extract, ExtractSettings),
    "augment": (leia.augment, AugmentSettings),
    "run": (leia.run, RunSettings),
    "entities": (leia.build_entities, EntitiesSettings),
    "mentions build": (leia.build_mentions, BuildMentionsSettings),
    "mentions detect": (leia.detect_mentions, DetectSettings),
    "tokenize": (leia.tokenize, TokenizeSettings),
}

# Options of the command line that are no parameter of the function, each with its reason. There is no
# parameter without an option.
CLI_ONLY = {
    "help": "argparse's -h",
    "verbose": "-v says what the command logs (leia.cli.logs configures logging, which library code never does); "
               "it is not a setting of the run and is taken by every command, before or after its name",
}

# What each command reads, in the order data flows, then where it writes.
POSITIONAL = {
    "extract": ["dump", "output"],
    "augment": ["input", "entities", "output"],
    "run": ["dump", "output"],
    "entities": ["output"],
    "mentions build": ["documents", "entities", "output"],
    "mentions detect": ["input", "output"],
    "tokenize": ["input", "output"],
}


def subparser(command: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for word in command.split():
        parser = parser._subparsers._group_actions[0].choices[word]
    return parser


def actions_by_dest(parser: argparse.ArgumentParser) -> dict[str, list[argparse.Action]]:
    found: dict[str, list[argparse.Action]] = {}
    for action in parser._actions:
        found.setdefault(action.dest, []).append(action)
    return found


def main_action(name: str, actions: list[argparse.Action]) -> argparse.Action:
    """The action of option ``--name-with-dashes`` (or the positional argument ``name``)."""
    flag = "--" + name.replace("_", "-")
    (action,) = [a for a in actions if flag in a.option_strings or (not a.option_strings and a.dest == name)]
    return action


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_parameter_is_an_option_of_the_same_name_and_default(command):
    function, _ = COMMANDS[command]
    by_dest = actions_by_dest(subparser(command))
    parameters = inspect.signature(function).parameters
    for name, parameter in parameters.items():
        assert name in by_dest, f"{command}: {name} has no option"
        action = main_action(name, by_dest[name])
        if parameter.default is inspect.Parameter.empty:
            assert action.required or (not action.option_strings and action.nargs is None), (command, name)
        else:
            assert not action.required, (command, name)
            assert action.default == parameter.default and type(action.default) is type(parameter.default), \
                (command, name, action.default, parameter.default)
        if parameter.default is True:  # a switch on by default: --no-NAME gives the keyword's False
            assert "--no-" + name.replace("_", "-") in action.option_strings, (command, name)
    options = {dest for dest in by_dest if dest not in ("help",) and dest != argparse.SUPPRESS}
    assert sorted(options - set(parameters)) == sorted(set(CLI_ONLY) - {"help"}), command


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_function_takes_the_fields_of_its_settings(command):
    function, settings = COMMANDS[command]
    parameters = inspect.signature(function).parameters
    fields = {f.name: f for f in dataclasses.fields(settings)}
    assert set(parameters) == set(fields)
    for name, parameter in parameters.items():
        default = fields[name].default
        assert parameter.default == (inspect.Parameter.empty if default is dataclasses.MISSING else default)
    assert [n for n, p in parameters.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD] == \
        POSITIONAL[command]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for n, p in parameters.items()
               if n not in POSITIONAL[command])


def test_help_shows_the_parameters():
    text = pydoc_text(leia.extract)
    assert "extract(dump: 'str | os.PathLike', output: 'str | os.PathLike', *, pages:" in text
    assert "shard_size: 'int' = 20000, batch_size: 'int' = 64" in text
    assert "Convert every article of ``dump``" in text


def pydoc_text(obj) -> str:
    import pydoc

    return pydoc.plaintext.document(obj)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_command_line_gives_the_settings_python_gives(command, tmp_path):
    """Given only what is required, the command line and the function make equal settings."""
    function, settings = COMMANDS[command]
    required = [n for n, p in inspect.signature(function).parameters.items() if p.default is inspect.Parameter.empty]
    parser = subparser(command)
    by_dest = actions_by_dest(parser)
    argv, values = [], {}
    for name in required:
        action = main_action(name, by_dest[name])
        value = "64" if name == "block_size" else str(tmp_path / name)
        values[name] = int(value) if name == "block_size" else value
        argv += [value] if not action.option_strings else [action.option_strings[-1], value]
    assert settings_from(parser.parse_args(argv), settings) == settings(**values)


def test_old_spellings_of_renamed_options_still_work(tmp_path):
    out = str(tmp_path / "o")
    extract = subparser("extract")
    args = extract.parse_args(["d.xml", "-o", out, "--keep-disambiguation", "--keep-navigation-sections", "--quiet"])
    assert (args.skip_disambiguation, args.drop_navigation_sections, args.progress) == (False, False, False)
    assert extract.parse_args(["d.xml", "-o", out, "-q"]).progress is False
    assert extract.parse_args(["d.xml", "-o", out, "--num-shards", "4", "--shard-index", "3"]).num_parts == 4
    entities = subparser("entities").parse_args(["-o", out, "--keep-disambiguators"])
    assert entities.drop_disambiguator is False
    run = subparser("run").parse_args(["--no-skip-disambiguation", "--no-progress"])
    assert settings_from(run, RunSettings) == RunSettings(skip_disambiguation=False, progress=False)
    # Old spellings are not shown.
    assert "--keep-disambiguation" not in extract.format_help() and "--quiet" not in extract.format_help()


def test_an_unknown_keyword_names_the_function():
    with pytest.raises(TypeError, match=r"^extract\(\) got an unexpected keyword argument 'wrokers'$"):
        leia.extract("dump.xml", "out", wrokers=2)
    with pytest.raises(TypeError, match=r"^run\(\) too many positional arguments$"):
        leia.run("dump.xml", "langlinks.sql", "out")
    with pytest.raises(TypeError, match=r"^tokenize\(\) missing a required argument: 'tokenizer'$"):
        leia.tokenize("augmented", "out")


def test_a_bad_setting_is_refused_when_the_settings_are_made():
    with pytest.raises(ConfigError, match="prob must be between 0 and 1, got 2"):
        RunSettings(prob=2)
    with pytest.raises(ConfigError, match="length limits must satisfy"):
        BuildMentionsSettings("d", "e", "o", min_length=5, max_length=2)


def test_the_configs_of_the_steps_are_made_of_the_groups():
    from leia.augmenter import AugmentConfig
    from leia.mentions import MentionConfig
    from leia.steps.extract import ExtractOptions

    for config, group in ((AugmentConfig, SpanControls), (MentionConfig, MentionSettings),
                          (ExtractOptions, PageFilters)):
        assert issubclass(config, group)
        assert {f.name for f in dataclasses.fields(config)} - {f.name for f in dataclasses.fields(group)} == \
            {AugmentConfig: {"epoch", "cleaning"}, MentionConfig: {"segment"}, ExtractOptions: set()}[config]
    assert dataclasses.fields(AugmentConfig(cleaning=Cleaning(drop_fragment=False)).cleaning)[0].name == \
        "drop_disambiguator"


def test_augment_dataset_takes_the_span_controls_of_leia_augment():
    parameters = inspect.signature(leia.augment_dataset).parameters
    for field in dataclasses.fields(SpanControls):
        assert parameters[field.name].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters[field.name].default == field.default


def test_every_name_leia_exports_is_there():
    for name in leia.__all__:
        assert getattr(leia, name) is not None, name
    assert leia.detect_mentions is leia.api.detect_mentions


def test_the_help_of_leia_imports_nothing_heavy():
    code = ("import sys\nfrom leia.cli import build_parser\nbuild_parser().format_help()\n"
            "print(sorted(m for m in ('duckdb', 'torch', 'transformers', 'datasets', 'ray', 'fugashi', 'selectolax', "
            "'leia.api', 'leia.augmenter', 'leia.entities', 'leia.mentions') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


# -- leia.settings: takes, and the spellings that turn a switch off or came before ------------------------------

@dataclasses.dataclass(frozen=True, kw_only=True)
class Loudness:
    progress: bool = setting(True, "show progress", off=("-q",), old=("--quiet",))
    size: int = setting(3, "how many", old=("--count",))


@dataclasses.dataclass(frozen=True)
class Job(Loudness):
    path: str = setting(help="where", positional=True)
    out: str = setting(help="to", short="-o")
    _: dataclasses.KW_ONLY
    rate: float = setting(0.5, "how fast")


@takes(Job)
def job(settings: Job) -> tuple:
    """Run a job."""
    return settings.path, settings.out, settings.rate, settings.size, settings.progress


def test_takes_gives_the_function_the_signature_of_its_settings():
    assert str(inspect.signature(job)) == ("(path: 'str', out: 'str', *, rate: 'float' = 0.5, progress: 'bool' = True, "
                                           "size: 'int' = 3) -> 'tuple'")
    assert job("p", "o", size=4) == ("p", "o", 0.5, 4, True)
    assert job.__doc__ == "Run a job." and job.__name__ == "job"


def test_off_and_old_spellings():
    parser = argparse.ArgumentParser(prog="job")
    add_settings(parser, Job)
    assert settings_from(parser.parse_args(["p", "-o", "x"]), Job) == Job("p", "x")
    assert settings_from(parser.parse_args(["p", "-o", "x", "-q", "--count", "7"]), Job) == \
        Job("p", "x", progress=False, size=7)
    assert settings_from(parser.parse_args(["p", "-o", "x", "--quiet"]), Job).progress is False
    assert settings_from(parser.parse_args(["p", "-o", "x", "--no-progress"]), Job).progress is False
    text = parser.format_help()
    assert "-q " in text and "same as --no-progress" in text and "show progress (default: on)" in text
    assert "--quiet" not in text and "--count" not in text
    # the job's own options before those of the group it is made of
    assert text.index("--rate") < text.index("--progress") < text.index("--size")
