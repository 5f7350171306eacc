"""Layered defaults: command-line flags, then `FMNIST_…` environment variables, then a
config file (`fmnist-tui.toml` in the working directory, else the user config directory),
then the built-in defaults. Every resolved value remembers where it came from. The
settings themselves (keys, defaults, flags, variables, parsers) are declared in
`setting_specs.py`.

Task values are returned raw (as written); each task's own parser validates them, and the
source lets a front end say *where* a bad value was set. The `[general]` paths have no
parser of their own, so they are checked here: a path in quotes, never empty.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import setting_specs
from .errors import ConfigError
from .setting_specs import SETTINGS, Setting, flag_names as declared_flags

__all__ = ["SETTINGS", "Setting", "ConfigFile", "Resolved", "find_config_file", "load_config_file", "resolve",
           "unknown_environment_variables", "values_of"]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE_NAME = "fmnist-tui.toml"




@dataclass(frozen=True)
class Resolved:
    setting: Setting
    value: Any
    source: str  # "flag --epochs", "env FMNIST_TRAIN_EPOCHS", "file /x/fmnist-tui.toml:3", "default"

    @property
    def origin(self) -> str:
        return self.source.split(" ", 1)[0]


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    values: Mapping[str, Any]  # "section.key" -> value
    lines: Mapping[str, int]  # "section.key" -> line number


def config_file_candidates(cwd: Path | None = None) -> list[Path]:
    explicit = os.environ.get("FMNIST_CONFIG")
    if explicit:
        return [Path(explicit).expanduser()]
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [(cwd or Path.cwd()) / CONFIG_FILE_NAME, base / "fmnist-tui" / "config.toml"]


def find_config_file(cwd: Path | None = None) -> Path | None:
    candidates = config_file_candidates(cwd)
    if os.environ.get("FMNIST_CONFIG"):
        path = candidates[0]
        if not path.is_file():
            raise ConfigError("config", f"FMNIST_CONFIG names {path}, which {_what_is(path)}.",
                              "Point FMNIST_CONFIG at a TOML file, or unset it.")
        return path
    return next((p for p in candidates if p.is_file()), None)


def _what_is(path: Path) -> str:
    """What a path that is not a regular file is, for an error message."""
    if path.is_dir():
        return "is a directory, not a TOML file"
    if path.exists():
        return "is not a regular file"
    return "does not exist"


def load_config_file(path: Path) -> ConfigFile:
    """Parse and check a config file; errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("config", f"Cannot read the config file {path}: {exc}.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{path}: {exc}.", "Fix the TOML syntax on that line.") from None
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for section, table in data.items():
        _check_section(path, text, section, table)
        for key, value in table.items():
            name = f"{section}.{key}"
            line = _line_in_section(text, section, key)
            where = f"{path}:{line or '?'}"
            if name not in _names():
                keys = ", ".join(s.key for s in setting_specs.section_settings(section))
                raise ConfigError("config", f"{where}: unknown setting '{key}' in [{section}].",
                                  f"Settings of [{section}] are: {keys}.")
            if _is_path(section, key):
                _check_general_path(where, key, value)
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            values[name] = value
            lines[name] = line or 0
    return ConfigFile(path, values, lines)


def _names() -> set[str]:
    return {s.name for s in setting_specs.SETTINGS}


def _check_section(path: Path, text: str, section: str, table: Any) -> None:
    sections = set(setting_specs.sections())
    line = _line_of(text, rf"^\s*\[\s*{re.escape(section)}\s*\]") or _line_of(text, rf"^\s*{re.escape(section)}\s*=")
    if section not in sections:
        raise ConfigError(
            "config", f"{path}:{line or '?'}: unknown section [{section}].",
            f"Sections are: {', '.join(sorted(sections))}.",
        )
    if not isinstance(table, dict):
        # `train = 5` is a known section written as a value: say so, not "unknown section"
        raise ConfigError(
            "config", f"{path}:{line or '?'}: [{section}] must be a table of settings, not {_toml_type(table)}.",
            f"Write [{section}] on a line of its own, then one `key = value` per line.",
        )


def _check_general_path(where: str, key: str, value: Any) -> None:
    """`[general]` values are paths: Path(5) would crash far from the file that said 5."""
    if not isinstance(value, str):
        raise ConfigError(key, f"{where}: {key} must be a path in quotes, not {_toml_type(value)}.",
                          f'Write it as {key} = "{_EXAMPLE_PATH[key]}".')
    if not value.strip():
        raise ConfigError(key, f"{where}: {key} must not be empty.", f"{_EMPTY_HINT[key]}, or remove the line.")


_EXAMPLE_PATH = {"out": "runs", "logs": "logs", "data_dir": "/data/fmnist"}


def _is_path(section: str, key: str) -> bool:
    """The path settings of [general] (its others, such as notify, are checked by their parsers)."""
    return section == "general" and key in _EXAMPLE_PATH


_EMPTY_HINT = {  # completed by how to fall back to the default: "remove the line", "unset it"…
    "out": "Name a directory for run summaries (the default is runs)",
    "logs": "Name a directory for logs (the default is logs)",
    "data_dir": "Name the directory with the Fashion-MNIST .gz files (else the usual places are searched)",
}


# In order: a bool is also an int. Anything else TOML reads is a date or a time.
TOML_TYPE_NAMES = ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (list, "a list"),
                   (dict, "a table"), (str, "a string"))


def _toml_type(value: Any) -> str:
    return next((name for types, name in TOML_TYPE_NAMES if isinstance(value, types)), "a date or time")


def _line_of(text: str, pattern: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(pattern, line):
            return number
    return None


def _line_in_section(text: str, section: str, key: str) -> int | None:
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
        elif current == section and re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number
    return None


def resolve(
    sections: Iterable[str],
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config: ConfigFile | None = None,
    flag_names: Mapping[str, str] | None = None,
) -> dict[str, Resolved]:
    """The effective value of every setting in `sections`, keyed by "section.key".

    `flags` maps "section.key" to a command-line value (None when not given);
    `flag_names` maps "section.key" to the option's spelling, for the source label.
    Raises `ConfigError` when a `[general]` path is set but blank (`--out ""`).
    """
    flags = flags or {}
    environ = os.environ if environ is None else environ
    flag_names = declared_flags() if flag_names is None else flag_names
    wanted = set(sections)
    result: dict[str, Resolved] = {}
    for setting in setting_specs.SETTINGS:
        if setting.section not in wanted:
            continue
        name = setting.name
        if flags.get(name) is not None:
            result[name] = Resolved(setting, flags[name], f"flag {flag_names.get(name, name)}")
        elif environ.get(setting.env) not in (None, ""):
            result[name] = Resolved(setting, environ[setting.env], f"env {setting.env}")
        elif config is not None and name in config.values:
            result[name] = Resolved(setting, config.values[name], f"file {config.path}:{config.lines.get(name, 0)}")
        else:
            result[name] = Resolved(setting, setting.default, "default")
        if _is_path(setting.section, setting.key):
            _check_not_blank(result[name])
    return result


def _check_not_blank(item: Resolved) -> None:
    """An empty `--out ""` would put run directories straight into the working directory."""
    if isinstance(item.value, str) and not item.value.strip():
        who = item.source.split(" ", 1)[1] if item.origin in ("flag", "env") else item.setting.name
        fallback = {"flag": "or leave the option out", "env": "or unset it"}.get(item.origin, "")
        hint = f"{_EMPTY_HINT[item.setting.key]}, {fallback}." if fallback else f"{_EMPTY_HINT[item.setting.key]}."
        raise ConfigError(item.setting.key, f"{who} must not be empty.", hint)


def values_of(resolved: Mapping[str, Resolved], section: str) -> dict[str, Any]:
    """{key: value} for one section, as a task's parser expects."""
    return {r.setting.key: r.value for r in resolved.values() if r.setting.section == section}


# ---- FMNIST_* variables that are not settings ---------------------------------------------

ENV_PREFIX = "FMNIST_"
# read by find_config_file, and by a cluster's workers (engine/training/cluster.py); FMNIST_DATA is
# general.data_dir's
OTHER_VARIABLES = ("FMNIST_CONFIG", "FMNIST_COLLECTIVE_TIMEOUT", "FMNIST_CLUSTER_JOIN_TIMEOUT")


def unknown_environment_variables(
    environ: Mapping[str, str] | None = None, flag_names: Mapping[str, str] | None = None
) -> list[str]:
    """One warning line per `FMNIST_…` variable that nothing reads, with the closest valid name.

    `flag_names` maps "section.key" to its command-line option (e.g. "--lr"); given, the
    suggestion names the flag too, and a variable spelt like the flag ("FMNIST_TRAIN_LR")
    is matched to it.
    """
    environ = os.environ if environ is None else environ
    flag_names = {} if flag_names is None else flag_names
    known = {s.env for s in setting_specs.SETTINGS} | set(OTHER_VARIABLES)
    warnings = []
    # case matters to the environment: fmnist_out is as unread as FMNIST_OUTPUT
    for variable in sorted(v for v in environ if v.upper().startswith(ENV_PREFIX) and v not in known):
        names = _closest_variables(variable.upper(), flag_names)
        if not names:
            warnings.append(f"{variable} is not a setting; `fmnist-tui config` lists the settings.")
            continue
        spelled = [f"{n.env} (flag {flag_names[n.name]})" if n.name in flag_names else n.env for n in names]
        warnings.append(f"{variable} is not a setting; did you mean {' or '.join(spelled)}?")
    return warnings


@dataclass(frozen=True)
class _Other:
    """A variable that is not a setting but is read (FMNIST_CONFIG), as a suggestion."""

    env: str
    name: str = ""


def _closest_variables(variable: str, flag_names: Mapping[str, str]) -> list[Setting | _Other]:
    """The settings (or other variables) `variable` most probably meant; [] if none is close."""
    rest = variable[len(ENV_PREFIX):]
    candidates: list[Setting | _Other] = [*setting_specs.SETTINGS, *(_Other(v) for v in OTHER_VARIABLES)]
    task_sections = [name for name in setting_specs.sections() if name != "general"]
    section = next((name for name in task_sections if rest.startswith(f"{name.upper()}_")), None)
    if section is not None:  # FMNIST_TRAIN_…: look in [train] first
        rest = rest[len(section) + 1:]
        in_section = [c for c in candidates if isinstance(c, Setting) and c.section == section]
        found = _match_key(rest, in_section, flag_names)
        if found:
            return found
    # also a misspelt section ("FMNIST_TRIAN_EPOCHS"): every setting's whole name is a spelling
    return _match_key(rest, candidates, flag_names)


def _match_key(key: str, candidates: list, flag_names: Mapping[str, str]) -> list:
    """Candidates whose key, flag or initials is `key`, else the one spelt most like it."""
    spellings: dict[str, list] = {}
    for candidate in candidates:
        for spelling in _spellings(candidate, flag_names):
            spellings.setdefault(spelling, []).append(candidate)
    wanted = key.replace("_", "")
    if wanted in spellings:
        return list(dict.fromkeys(spellings[wanted]))
    close = difflib.get_close_matches(wanted, list(spellings), n=1, cutoff=0.6)
    return spellings[close[0]][:1] if close else []


def _spellings(candidate, flag_names: Mapping[str, str]) -> set[str]:
    """The ways a user may write a setting's key, upper-case and without underscores."""
    if isinstance(candidate, _Other):
        return {candidate.env[len(ENV_PREFIX):].replace("_", "")}
    words = candidate.key.upper().split("_")
    spellings = {"".join(words), candidate.env[len(ENV_PREFIX):].replace("_", "")}
    if len(words) > 1:
        spellings.add("".join(w[0] for w in words))  # LEARNING_RATE -> LR
    flag = flag_names.get(candidate.name, "")
    if flag.startswith("--"):
        spellings.add(flag[2:].upper().replace("-", ""))
    return spellings
