"""The classifier's configuration: defaults from the original exercise, and validation.

Front ends hand over raw values (strings from a form or the command line, or numbers);
`TrainConfig.parse` returns a validated config or raises a `ConfigError` that names the
offending field, so the TUI can show the message next to it and the CLI can exit 2.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping

from ..errors import ConfigError

MODEL_NAMES = ("keras", "lowlevel")
MODEL_TITLES = {"keras": "Keras fit", "lowlevel": "Low-level (GradientTape)"}


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters shared by both trainers (the original's: 70 epochs, batch 64, …)."""

    epochs: int = 70
    batch_size: int = 64
    learning_rate: float = 0.001
    dropout: float = 0.2
    hidden_units: int = 512
    seed: int | None = 42
    models: tuple[str, ...] = field(default=MODEL_NAMES)
    strategy: str = "default"  # see distribute.py
    # Training steps per compiled call of the Keras trainer (Keras's `steps_per_execution`):
    # "auto" sizes them to about 0.1 s each; 1 is Keras's default, one step a call.
    steps_per_execution: int | str = "auto"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["models"] = list(self.models)
        return data

    @classmethod
    def parse(cls, values: Mapping[str, Any]) -> "TrainConfig":
        """Validate raw values (missing keys take defaults); raises `ConfigError`."""
        defaults = cls()
        get = lambda key: values.get(key) if values.get(key) not in (None, "") else getattr(defaults, key)  # noqa: E731
        epochs = _number("epochs", get("epochs"), int, low=1, high=10_000)
        batch_size = _number("batch_size", get("batch_size"), int, low=1, high=60_000)
        learning_rate = _number("learning_rate", get("learning_rate"), float, low=0.0, high=10.0, low_open=True)
        dropout = _number("dropout", get("dropout"), float, low=0.0, high=1.0, high_open=True)
        hidden_units = _number("hidden_units", get("hidden_units"), int, low=1, high=100_000)
        raw_seed = values.get("seed", defaults.seed)
        seed = None if raw_seed in (None, "", "none", "None") else _number("seed", raw_seed, int, low=0, high=2**31 - 1)
        # an empty list is a choice of no model, not "the default" (both models, 70 epochs)
        models = _models(values["models"] if values.get("models") is not None else defaults.models)
        strategy = _strategy(get("strategy"))
        steps_per_execution = _steps_per_execution(get("steps_per_execution"))
        return cls(epochs, batch_size, learning_rate, dropout, hidden_units, seed, models, strategy,
                   steps_per_execution)


FIELD_LABELS = {
    "epochs": "Epochs",
    "batch_size": "Batch size",
    "learning_rate": "Learning rate",
    "dropout": "Dropout",
    "hidden_units": "Hidden units",
    "seed": "Seed",
    "models": "Models",
    "strategy": "Strategy",
    "steps_per_execution": "Steps per execution",
}
MAX_STEPS_PER_EXECUTION = 100_000


def _number(
    name: str,
    raw: Any,
    kind: Callable[[Any], Any],
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
) -> Any:
    label = FIELD_LABELS[name]
    if isinstance(raw, bool):
        raise ConfigError(name, f"{label} must be a number, not {raw!r}.")
    try:
        if kind is int:
            text = str(raw).strip()
            value = int(text) if not isinstance(raw, float) else None
            if value is None:
                if not float(raw).is_integer():
                    raise ValueError
                value = int(raw)
        else:
            value = float(str(raw).strip())
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(name, f"{label} must be {what}, got {str(raw)!r}.") from None
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        lo = f"greater than {low:g}" if low_open else f"at least {low:g}"
        hi = f"less than {high:g}" if high_open else f"at most {high:g}"
        raise ConfigError(name, f"{label} must be {lo} and {hi}, got {value:g}.")
    return value


def _models(raw: Any) -> tuple[str, ...]:
    names = [n.strip().lower() for n in raw.split(",")] if isinstance(raw, str) else [str(n).lower() for n in raw]
    names = [n for n in names if n]
    if not names:
        raise ConfigError("models", "Choose at least one model.", f"Models are: {', '.join(MODEL_NAMES)}.")
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        raise ConfigError(
            "models", f"Unknown model {unknown[0]!r}.", f"Models are: {', '.join(MODEL_NAMES)}."
        )
    # Keep the user's order but drop repeats.
    return tuple(dict.fromkeys(names))


def _strategy(raw: Any) -> str:
    from .distribute import STRATEGIES

    name = str(raw).strip().lower()
    if name not in STRATEGIES:
        raise ConfigError(
            "strategy", f"Unknown strategy {str(raw)!r}.", f"Strategies are: {', '.join(STRATEGIES)}."
        )
    return name


def _steps_per_execution(raw: Any) -> int | str:
    """"auto" (any case) or a whole number of steps per compiled call, at least 1."""
    if isinstance(raw, str) and raw.strip().lower() == "auto":
        return "auto"
    label = FIELD_LABELS["steps_per_execution"]
    accepted = f"auto or a whole number from 1 to {MAX_STEPS_PER_EXECUTION:,}"
    value = None
    if not isinstance(raw, bool):
        try:
            value = int(str(raw).strip()) if not isinstance(raw, float) else (int(raw) if raw.is_integer() else None)
        except (TypeError, ValueError, OverflowError):
            value = None
    if value is None or not 1 <= value <= MAX_STEPS_PER_EXECUTION:
        raise ConfigError("steps_per_execution", f"{label} must be {accepted}, got {str(raw)!r}.",
                          "Use auto (calls of about 0.1 s each), or 1 for one step a call as Keras does by default.")
    return value
