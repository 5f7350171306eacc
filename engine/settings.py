"""Layered defaults: command-line flags, then `FMNIST_…` environment variables, then a
config file (`fmnist-tui.toml` in the working directory, else the user config directory),
then the built-in defaults. Every resolved value remembers where it came from.

Values are returned raw (as written); each task's own parser validates them, and the
source lets a front end say *where* a bad value was set.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE_NAME = "fmnist-tui.toml"


@dataclass(frozen=True)
class Setting:
    section: str  # "general" or a task name
    key: str
    default: Any
    help: str
    env_name: str = ""

    @property
    def env(self) -> str:
        if self.env_name:
            return self.env_name
        middle = "" if self.section == "general" else f"{self.section.upper()}_"
        return f"FMNIST_{middle}{self.key.upper()}"

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


SETTINGS: tuple[Setting, ...] = (
    Setting("general", "out", "runs", "where run summaries go"),
    Setting("general", "logs", "logs", "TensorBoard and diagnostic logs"),
    Setting("general", "data_dir", None, "directory with the four Fashion-MNIST .gz files", env_name="FMNIST_DATA"),
    Setting("train", "epochs", 70, "epochs per model"),
    Setting("train", "batch_size", 64, "batch size"),
    Setting("train", "learning_rate", 0.001, "Adam learning rate"),
    Setting("train", "dropout", 0.2, "dropout rate in [0, 1)"),
    Setting("train", "hidden_units", 512, "hidden units"),
    Setting("train", "seed", 42, "random seed, or 'none'"),
    Setting("train", "models", "keras,lowlevel", "models to train, in order"),
    Setting("train", "strategy", "default", "tf.distribute strategy: default, mirrored or multiworker"),
    Setting("devices", "sizes", "500,1000,5000,10000", "matrix sizes"),
    Setting("devices", "rounds", 10, "timed products per size and device"),
    Setting("devices", "dtype", "float32", "float32, float64, float16 or bfloat16"),
    Setting("devices", "devices", "cpu,gpu", "devices to time"),
    Setting("devices", "tf32", None, "TensorFloat-32 on Ampere+ GPUs: on, off, or TensorFlow's default"),
    Setting("devices", "warmup", 2, "untimed warm-up products"),
    Setting("jacobian", "expr", "3*x**2 + 2*x + 3", "expression or [list] of expressions"),
    Setting("jacobian", "at", "1,3", "the point"),
    Setting("jacobian", "vars", None, "variables in order (default: the free symbols, sorted)"),
    Setting("jacobian", "tolerance", 1e-9, "largest accepted error, relative to max(1, |exact|)"),
    Setting("eigen", "matrix", "[[3,2],[2,3]]", "a square matrix"),
    Setting("eigen", "tolerance", 1e-9, "largest accepted error, relative to max(1, |exact|)"),
)

BY_NAME = {s.name: s for s in SETTINGS}


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
        if not candidates[0].is_file():
            raise ConfigError("config", f"FMNIST_CONFIG names {candidates[0]}, which does not exist.",
                              "Point FMNIST_CONFIG at a TOML file, or unset it.")
        return candidates[0]
    return next((p for p in candidates if p.is_file()), None)


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
    sections = {s.section for s in SETTINGS}
    for section, table in data.items():
        if section not in sections or not isinstance(table, dict):
            line = _line_of(text, rf"^\s*\[\s*{re.escape(section)}\s*\]") or _line_of(text, rf"^\s*{re.escape(section)}\s*=")
            raise ConfigError(
                "config", f"{path}:{line or '?'}: unknown section [{section}].",
                f"Sections are: {', '.join(sorted(sections))}.",
            )
        for key, value in table.items():
            name = f"{section}.{key}"
            line = _line_in_section(text, section, key)
            if name not in BY_NAME:
                keys = ", ".join(s.key for s in SETTINGS if s.section == section)
                raise ConfigError("config", f"{path}:{line or '?'}: unknown setting '{key}' in [{section}].",
                                  f"Settings of [{section}] are: {keys}.")
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            values[name] = value
            lines[name] = line or 0
    return ConfigFile(path, values, lines)


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
    """
    flags = flags or {}
    environ = os.environ if environ is None else environ
    flag_names = flag_names or {}
    wanted = set(sections)
    result: dict[str, Resolved] = {}
    for setting in SETTINGS:
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
    return result


def values_of(resolved: Mapping[str, Resolved], section: str) -> dict[str, Any]:
    """{key: value} for one section, as a task's parser expects."""
    return {r.setting.key: r.value for r in resolved.values() if r.setting.section == section}
