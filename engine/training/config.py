"""The classifier's configuration: defaults from the original exercise, and validation.

Its settings (defaults, bounds, labels, flags) are declared in `setting_specs.py`; this
module adds the parsers only training knows (models, strategy, steps per execution).
Front ends hand over raw values (strings from a form or the command line, or numbers);
`TrainConfig.parse` returns a validated config or raises a `ConfigError` that names the
offending field, so the TUI can show the message next to it and the CLI can exit 2.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..errors import ConfigError
from ..setting_specs import SettingsConfig, setting_named, settings_config
from ..validators import as_whole_number, split_list

MODEL_TITLES = dict(setting_named("train.models").choices)
MODEL_NAMES = tuple(MODEL_TITLES)
MAX_STEPS_PER_EXECUTION = 100_000

# The parsers come before TrainConfig: making it parses the declared defaults with them.


def parse_models(raw: Any) -> tuple[str, ...]:
    """"lowlevel,keras" or a list -> ("lowlevel", "keras"): the user's order, without repeats."""
    names = [str(name).strip().lower() for name in split_list(raw)]
    names = [name for name in names if name]
    if not names:  # a choice of no model, not "the default" (both models, 70 epochs)
        raise ConfigError("models", "Choose at least one model.", f"Models are: {', '.join(MODEL_NAMES)}.")
    unknown = [name for name in names if name not in MODEL_NAMES]
    if unknown:
        raise ConfigError("models", f"Unknown model {unknown[0]!r}.", f"Models are: {', '.join(MODEL_NAMES)}.")
    return tuple(dict.fromkeys(names))


def parse_strategy(raw: Any) -> str:
    from .distribute import STRATEGIES

    name = str(raw).strip().lower()
    if name not in STRATEGIES:
        raise ConfigError("strategy", f"Unknown strategy {str(raw)!r}.", f"Strategies are: {', '.join(STRATEGIES)}.")
    return name


def parse_steps_per_execution(raw: Any) -> int | str:
    """"auto" (any case) or a whole number of steps per compiled call, at least 1."""
    if isinstance(raw, str) and raw.strip().lower() == "auto":
        return "auto"
    value = as_whole_number(raw)
    if value is None or not 1 <= value <= MAX_STEPS_PER_EXECUTION:
        label = setting_named("train.steps_per_execution").label
        raise ConfigError(
            "steps_per_execution",
            f"{label} must be auto or a whole number from 1 to {MAX_STEPS_PER_EXECUTION:,}, got {str(raw)!r}.",
            "Use auto (calls of about 0.1 s each), or 1 for one step a call as Keras does by default.",
        )
    return value


@settings_config("train")
class TrainConfig(SettingsConfig):
    """Hyperparameters shared by both trainers (the original's: 70 epochs, batch 64, …)."""

    epochs: int
    batch_size: int
    learning_rate: float
    dropout: float
    hidden_units: int
    seed: int | None
    models: tuple[str, ...]
    strategy: str  # see distribute.py
    # Training steps per compiled call of the Keras trainer (Keras's `steps_per_execution`):
    # "auto" sizes them to about 0.1 s each; 1 is Keras's default, one step a call.
    steps_per_execution: int | str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["models"] = list(self.models)
        return data
