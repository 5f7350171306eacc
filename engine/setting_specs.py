"""Every setting, declared once: its section and key, default, parser (with its bounds),
label, command-line help and flag, environment variable, and what a form shows for it.

From these declarations come the `fmnist-tui run …` options, `fmnist-tui config`, the
config file's keys, the forms' fields and every task's validation (`SettingsConfig`), so
adding a setting is one entry here plus its use in the task. Where values come from
(flags, environment, file) is `settings.py`; the shared parsers are `validators.py`.

Lookups read `SETTINGS` when called, so a test can declare a setting of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, Callable, ClassVar, Mapping, TypeVar

from .errors import ConfigError
from .validators import Bounded, OrNone, Parser, optional_text, text, tolerance, yes_or_no


@dataclass(frozen=True)
class TaskParser:
    """A task module's own one-argument parser (`.devices`, `parse_sizes`), imported when first
    used: the declarations stay cheap to import, and the task modules may import them."""

    module: str
    function: str

    def __call__(self, raw: Any, field_name: str, label: str) -> Any:
        return getattr(import_module(self.module, __package__), self.function)(raw)


@dataclass(frozen=True)
class Setting:
    section: str  # "general" or a task name
    key: str
    default: Any  # as a user would write it; `parse` makes the task's value of it
    help: str  # the command-line help; "{default}" stands for the default
    label: str = ""  # the form's label, and the subject of error messages ("Epochs must …")
    parse: Parser = text  # raw value -> the task's value, or ConfigError(key, …)
    flag: str = ""  # default: --key-with-dashes
    metavar: str = ""  # default: KEY
    env: str = ""  # default: FMNIST_<SECTION>_<KEY> (FMNIST_<KEY> for [general])
    tooltip: str = ""
    placeholder: str = ""
    form_default: Any = None  # what a form starts from when not the default (quick runs)
    choices: tuple[tuple[str, str], ...] = ()  # (name, title): a form shows a checkbox for each

    def __post_init__(self) -> None:
        middle = "" if self.section == "general" else f"{self.section.upper()}_"
        filled = {
            "label": self.label or self.key.replace("_", " ").capitalize(),
            "flag": self.flag or "--" + self.key.replace("_", "-"),
            "metavar": self.metavar or self.key.upper(),
            "env": self.env or f"FMNIST_{middle}{self.key.upper()}",
        }
        for name, value in filled.items():
            object.__setattr__(self, name, value)

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"

    @property
    def cli_help(self) -> str:
        return self.help.replace("{default}", str(self.default))

    @property
    def form_value(self) -> Any:
        return self.default if self.form_default is None else self.form_default

    def value(self, raw: Any) -> Any:
        """The task's value for `raw` (None: the default); raises ConfigError naming the key."""
        return self.parse(self.default if raw is None else raw, self.key, self.label)


def _tolerance(section: str) -> Setting:
    return Setting(section, "tolerance", "1e-9", "match tolerance, in (0, 1) (default {default})", parse=tolerance,
                   metavar="TOL", tooltip="Match tolerance in (0, 1)", placeholder="1e-9")


_GENERAL = (
    Setting("general", "out", "runs", "where run summaries go (default ./runs)", label="Runs", metavar="DIR"),
    Setting("general", "logs", "logs", "TensorBoard and diagnostic logs (default ./logs)", metavar="DIR"),
    Setting("general", "data_dir", None, "directory with the four Fashion-MNIST .gz files", label="Data",
            parse=optional_text, metavar="DIR", env="FMNIST_DATA"),
    Setting("general", "notify", "on", "when a run ends, ring the terminal bell and send a desktop notification "
            "(OSC 9 and OSC 777): on or off (default {default})", label="Notifications", parse=yes_or_no,
            metavar="on|off", tooltip="Bell and desktop notification when a run ends."),
)

_TRAIN = (
    Setting("train", "epochs", 70, "epochs per model (default {default})", parse=Bounded(1, 10_000), metavar="N",
            tooltip="Epochs per model (the original trained 70)."),
    Setting("train", "batch_size", 64, "batch size (default {default})", parse=Bounded(1, 60_000), metavar="B",
            tooltip="Samples per gradient step."),
    Setting("train", "learning_rate", 0.001, "Adam learning rate (default {default})", flag="--lr", metavar="X",
            parse=Bounded(0, 10, low_open=True, whole=False), tooltip="Adam's learning rate."),
    Setting("train", "dropout", 0.2, "dropout rate in [0, 1) (default {default})", metavar="P",
            parse=Bounded(0, 1, high_open=True, whole=False), tooltip="Dropout rate after the hidden layer, in [0, 1)."),
    Setting("train", "hidden_units", 512, "hidden units (default {default})", flag="--hidden", metavar="H",
            parse=Bounded(1, 100_000), tooltip="Width of the hidden Dense layer."),
    Setting("train", "seed", 42, "random seed, or 'none' (default {default})", parse=OrNone(Bounded(0, 2**31 - 1)),
            metavar="S", tooltip="Random seed; empty for none."),
    Setting("train", "models", "keras,lowlevel",
            "comma-separated models to train, in order: keras, lowlevel (default both)",
            parse=TaskParser(".training.config", "parse_models"), metavar="LIST",
            choices=(("keras", "Keras fit"), ("lowlevel", "Low-level (GradientTape)"))),
    Setting("train", "strategy", "default",
            "tf.distribute strategy: default (one device), mirrored (all local GPUs, or all logical CPUs), "
            "multiworker (machines in TF_CONFIG) (default: default)",
            parse=TaskParser(".training.config", "parse_strategy"), metavar="NAME",
            tooltip="default (one device), mirrored (all local GPUs) or multiworker (TF_CONFIG)."),
    Setting("train", "steps_per_execution", "auto",
            "training steps per compiled call of the Keras trainer (Keras's steps_per_execution): auto (sized to "
            "about 0.1 s a call, so progress and cancel stay prompt) or a whole number; 1 is Keras's default, one "
            "step a call (default: auto)",
            parse=TaskParser(".training.config", "parse_steps_per_execution"), metavar="N",
            tooltip="Keras trainer: training steps per compiled call; auto (about 0.1 s a call) or a whole number, "
            "1 for one step a call."),
)

# The form's sizes and rounds are quick on a small CPU; the headless command's defaults are
# the exercise's 500,1000,5000,10000 × 10 rounds.
_DEVICES = (
    Setting("devices", "sizes", "500,1000,5000,10000", "comma-separated matrix sizes n of n×n products "
            "(default {default})", parse=TaskParser(".devices", "parse_sizes"), metavar="LIST",
            tooltip="Matrix sizes n (n×n), comma-separated, e.g. 500,1000,5000,10000.", form_default="500,1000,2000"),
    Setting("devices", "rounds", 10, "timed products per size and device; the median is reported (default {default})",
            parse=Bounded(1, 1000, hint="10 rounds give a steady median."), metavar="N",
            tooltip="Timed products per size and device; the median is reported.", form_default=5),
    Setting("devices", "dtype", "float32", "float32, float64, float16 or bfloat16 (default {default})",
            parse=TaskParser(".devices", "parse_dtype"), metavar="DTYPE", tooltip="float32, float64, float16 or bfloat16."),
    Setting("devices", "devices", "cpu,gpu", "cpu, gpu (every GPU), gpu:N, or a list like cpu,gpu (default {default})",
            parse=TaskParser(".devices", "parse_devices"), metavar="LIST",
            tooltip="cpu, gpu (every GPU), gpu:N, or a list like cpu,gpu."),
    Setting("devices", "tf32", None, "TensorFloat-32 for float32 on Ampere+ GPUs (default: TensorFlow's default)",
            label="TF32", parse=TaskParser(".devices", "parse_tf32"), metavar="on|off",
            tooltip="auto (TensorFlow's default), on or off; float32 on Ampere+ GPUs only.", form_default="auto"),
    Setting("devices", "warmup", 2, "untimed products before the timed rounds (default {default})", label="Warm-up",
            parse=Bounded(0, 100, hint="2 warm-up products are enough."), metavar="N",
            tooltip="Untimed products first (kernel selection, caches)."),
)

_CALCULUS = (
    Setting("jacobian", "expr", "3*x**2 + 2*x + 3", 'f: one expression, or a [list] of expressions (default "{default}")',
            label="Expression", metavar="EXPR", tooltip="f: one expression, or a [list] of expressions",
            placeholder="3*x**2 + 2*x + 3"),
    Setting("jacobian", "at", "1,3", 'the point, comma-separated numbers such as 1,3 or 1/2,pi/4 (default "{default}")',
            label="Point", metavar="POINT", tooltip="Comma-separated numbers, e.g. 1,3 or 1/2, pi/4", placeholder="1,3"),
    Setting("jacobian", "vars", None, "the variables in column order, e.g. x,y (default: the expression's, sorted by "
            "name)", label="Variables", parse=optional_text, metavar="LIST",
            tooltip="Optional column order, e.g. x,y (default: sorted names)", placeholder="optional, e.g. x,y"),
    _tolerance("jacobian"),
    Setting("eigen", "matrix", "[[3,2],[2,3]]", 'a square matrix as nested lists, e.g. "[[3,2],[2,3]]" (default '
            '"{default}")', metavar="MATRIX", tooltip="A square matrix as nested lists, e.g. [[3,2],[2,3]]",
            placeholder="[[3,2],[2,3]]"),
    _tolerance("eigen"),
)

SETTINGS: tuple[Setting, ...] = (*_GENERAL, *_TRAIN, *_DEVICES, *_CALCULUS)


# ---- lookups -------------------------------------------------------------------------------


def section_settings(section: str) -> tuple[Setting, ...]:
    return tuple(s for s in SETTINGS if s.section == section)


def setting_named(name: str) -> Setting:
    """The setting "section.key"; KeyError if there is none."""
    for setting in SETTINGS:
        if setting.name == name:
            return setting
    raise KeyError(name)


def sections() -> list[str]:
    return list(dict.fromkeys(s.section for s in SETTINGS))


def flag_names(wanted: list[str] | None = None) -> dict[str, str]:
    """"section.key" -> its flag, for the settings of `wanted` sections (default: all)."""
    return {s.name: s.flag for s in SETTINGS if wanted is None or s.section in wanted}


# ---- a task's config -----------------------------------------------------------------------


class SettingsConfig:
    """What every task's config shares: `parse(values)` and `errors(values)` over its section.

    Made with `@settings_config(section)`: one field per setting of the section, whose
    default is the declared one; fields of the task's own (not settings) come with their
    default and a parser in `EXTRA_PARSERS`. A missing or None value takes the default.
    """

    SECTION: ClassVar[str] = ""
    # field -> parser of a raw value, for fields that are not settings (devices' numpy)
    EXTRA_PARSERS: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    def check(self) -> None:
        """Checks across fields, once each has parsed; raises ConfigError naming a field."""

    @classmethod
    def parse(cls, values: Mapping[str, Any]):
        """The validated config; raises the first field's ConfigError (in declaration order)."""
        fields, problems = cls._parse_fields(values)
        if problems:
            raise next(iter(problems.values()))
        config = cls(**fields)
        config.check()
        return config

    @classmethod
    def errors(cls, values: Mapping[str, Any]) -> dict[str, str]:
        """{field: message} for every field that is wrong; {} when `parse` would succeed.

        A field that fails takes its default for the checks across fields, so those still
        report on the others (a bad tolerance does not hide a bad expression).
        """
        fields, problems = cls._parse_fields(values)
        try:
            cls(**fields).check()
        except ConfigError as exc:
            problems.setdefault(exc.field, exc)
        return {name: str(exc) for name, exc in problems.items()}

    @classmethod
    def _parse_fields(cls, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, ConfigError]]:
        parsers = {s.key: s.value for s in section_settings(cls.SECTION)}
        parsers.update({key: parse for key, parse in cls.EXTRA_PARSERS.items() if values.get(key) is not None})
        fields: dict[str, Any] = {}
        problems: dict[str, ConfigError] = {}
        for key, parse in parsers.items():
            try:
                fields[key] = parse(values.get(key))
            except ConfigError as exc:
                problems.setdefault(exc.field, exc)
        return fields, problems


Config = TypeVar("Config", bound=type)


def settings_config(section: str) -> Callable[[Config], Config]:
    """Make a frozen dataclass of a `SettingsConfig` whose fields are `section`'s settings.

    Each field's default is its setting's declared default, parsed; a setting without a
    field is an error here, at import, not a TypeError at the first parse.
    """

    def make(cls: Config) -> Config:
        declared = section_settings(section)
        missing = [s.key for s in declared if s.key not in cls.__dict__.get("__annotations__", {})]
        if missing:
            raise TypeError(f"{cls.__name__} has no field for the setting(s) {', '.join(missing)} of [{section}].")
        cls.SECTION = section
        for setting in declared:
            setattr(cls, setting.key, setting.value(None))
        return dataclass(frozen=True)(cls)

    return make


__all__ = ["SETTINGS", "Setting", "SettingsConfig", "TaskParser", "flag_names", "section_settings", "sections",
           "setting_named", "settings_config"]
