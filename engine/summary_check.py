"""Is a parsed `summary.json` usable? One check, shared by every reader of past runs.

The runs list, the headline, the viewer, the comparison and the report call
`summary_problem` once and refuse (or flag as damaged) what it rejects, so the renderers
behind them only ever see the shapes the writers produce. The schema below follows the
writers (`runner.RunContext`, the training reporter, the devices and calculus tasks,
`report.save_report_run`) and what the renderers read:

- keys the writers always write are required; the others may be absent;
- any key may hold null where the writers can write null (a NaN is written as null);
- a number is an int or a float (not a boolean), finite and within float range;
- keys the schema does not name are ignored, so a newer writer's extras do not break readers.

Pure Python; never raises, whatever `data` is (its checks follow the schema, not `data`'s
own nesting, so a deeply nested value costs nothing).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field as _default
from typing import Any, Mapping, Union

STATUSES = ("running", "interrupted", "completed", "cancelled", "failed")
# A summary with hundreds of bad epochs needs one reason, not hundreds.
MAX_PROBLEMS = 20
FLOAT32_MAX = 3.4028234663852886e38


# ---- the schema --------------------------------------------------------------------------

# Scalar kinds: "number", "integer", "string", "boolean", "any"; "status" and "datetime" are
# strings with a vocabulary or a format; a "metric" is a number a trainer computed in float32.
Spec = Union[str, "Obj", "ListOf", "MapOf"]


@dataclass(frozen=True)
class Field:
    spec: Spec
    required: bool = False
    nullable: bool = True


@dataclass(frozen=True)
class Obj:
    fields: Mapping[str, Field] = _default(default_factory=dict)


@dataclass(frozen=True)
class ListOf:
    item: Spec


@dataclass(frozen=True)
class MapOf:
    """An object whose keys are names (models) and whose values all have one shape."""

    value: Spec


def _optional(**specs: Spec) -> dict[str, Field]:
    return {key: Field(spec) for key, spec in specs.items()}


def _numbers(*keys: str) -> dict[str, Field]:
    return {key: Field("number") for key in keys}


COMMON = {
    "task": Field("string", required=True, nullable=False),
    "run_id": Field("string", required=True, nullable=False),
    "status": Field("status", required=True, nullable=False),
    "started_at": Field("datetime", required=True, nullable=False),
    "finished_at": Field("datetime"),
    "seconds_total": Field("number"),
    "config": Field(Obj(), required=True, nullable=False),
    "environment": Field(Obj({"devices": Field(ListOf("string")), "gpus": Field(ListOf(Obj()))}),
                         required=True, nullable=False),
    **_optional(error="string", hint="string", notes=ListOf("any")),
}

EPOCH = Obj({
    "epoch": Field("integer", required=True, nullable=False),
    # required: the per-epoch table has a column for each; null is a NaN the writer replaced
    **{key: Field("metric", required=True) for key in ("loss", "accuracy", "test_loss", "test_accuracy")},
    "seconds": Field("number", required=True),
    **_numbers("seconds_per_sample"),
    **_optional(steps_per_execution="integer", steps_per_execution_auto="boolean"),
})
MODEL = Obj({
    "status": Field("string"),
    "epochs": Field(ListOf(EPOCH), required=True, nullable=False),
    **{key: Field("metric")
       for key in ("test_accuracy", "test_loss", "train_accuracy", "train_loss", "best_test_accuracy")},
    **_numbers("seconds_total", "seconds_per_epoch", "seconds_per_sample", "samples_per_second"),
    **_optional(best_epoch="integer", epochs_completed="integer",
                steps_per_execution=Obj(_optional(steps="integer", auto="boolean")),
                resources=Obj(_optional(peak_rss_bytes="integer", mean_cpu_percent="number",
                                        peak_gpu_memory_bytes="integer", samples="integer")),
                confusion_matrix=ListOf(ListOf("integer")),
                per_class=ListOf(Obj(_optional(**{"class": "integer"}, name="string", precision="number",
                                               recall="number", f1="number", support="integer")))),
})
TRAIN = {
    "models": Field(MapOf(MODEL)),
    "strategy": Field(Obj(_optional(**{"class": "string"}, replicas="integer", devices=ListOf("string")))),
    "data": Field(Obj(_optional(source="string", train_samples="integer", test_samples="integer"))),
    **_optional(tensorboard_logdir="string"),
}

DEVICE_ROW = Obj({
    **_optional(size="integer", device="string", dtype="string", rejected="boolean", reason="string",
                times_ms=ListOf("number")),
    **_numbers("median_ms", "mean_ms", "min_ms", "max_ms", "stdev_ms", "gflops", "speedup_vs_cpu", "peak_gflops"),
})
DEVICES = {
    "config": Field(Obj(_optional(sizes=ListOf("integer"), dtype="string")), required=True, nullable=False),
    "rows": Field(ListOf(DEVICE_ROW)),
    "devices": Field(ListOf(Obj({**_optional(id="string", name="string", backend="string"),
                                 **_numbers("memory_free", "memory_total", "peak_gflops")}))),
    "in_progress": Field(Obj(_optional(size="integer", device="string"))),
    "tf32": Field(Obj()),
    "estimate": Field(Obj(_numbers("seconds"))),
    **_optional(sizes=ListOf("integer"), dtype="string", method="string", gpu_present="boolean",
                speedups=ListOf(Obj()), skipped=ListOf(Obj())),
}

MATRIX = ListOf(ListOf("any"))
JACOBIAN = {
    "symbolic": Field(Obj({
        **_optional(exact=MATRIX, values=MATRIX, latex="string", exact_latex="string", derivative_latex="string"),
    })),
    "autodiff": Field(Obj(_optional(jacobian=MATRIX, gradient=ListOf("any"), explanation="string"))),
    **_optional(expression="string", variables=ListOf("string"), point=ListOf("string"), elementwise="boolean",
                function_latex="string", match="boolean", tolerance_rule="string"),
    **_numbers("max_abs_error", "max_rel_error", "gradient_max_abs_error", "tolerance"),
}

EXACT_PAIR = Obj({
    **_optional(value="string", latex="string", algebraic_multiplicity="integer", geometric_multiplicity="integer",
                eigenvectors=ListOf(ListOf("string")), eigenvectors_latex=ListOf("string")),
})
NUMERIC_PAIR = Obj({
    **_optional(paired_with="string", ok="boolean"),
    **_numbers("value_error", "residual", "vector_error"),
})
EIGEN = {
    "characteristic_polynomial": Field(Obj(_optional(latex="string", factored_latex="string"))),
    "eigenvalues": Field(Obj(_optional(exact=ListOf(EXACT_PAIR), numeric=ListOf(NUMERIC_PAIR)))),
    **_optional(matrix_latex="string", method="string", match="boolean"),
    **_numbers("max_residual", "max_value_error", "max_vector_error", "tolerance"),
}

RUN_REF = Obj(_optional(run_id="string", task="string", status="string", reason="string"))
REPORT = {"runs": Field(ListOf(RUN_REF)), "skipped": Field(ListOf(RUN_REF))}

TASK_FIELDS: Mapping[str, Mapping[str, Field]] = {
    "train": TRAIN, "devices": DEVICES, "jacobian": JACOBIAN, "eigen": EIGEN, "report": REPORT,
}
TASKS = tuple(TASK_FIELDS)


# ---- checking ----------------------------------------------------------------------------


def check_summary(data: Any) -> list[str]:
    """Every problem found in a parsed summary.json (at most `MAX_PROBLEMS`); [] when usable.

    Each problem names where it is, e.g. "models.keras.epochs[2] lacks seconds" or
    "config is a list, not an object".
    """
    problems: list[str] = []
    if not isinstance(data, Mapping):
        return [f"the summary is {_a(_kind(data))}, not an object"]
    _check_fields(data, COMMON, "", problems)
    task = data.get("task")
    if isinstance(task, str) and task:
        if task in TASK_FIELDS:
            # a task's own fields refine the common ones (e.g. the devices config's sizes)
            _check_fields(data, TASK_FIELDS[task], "", problems)
        else:
            _add(problems, f"task is {_quote(task)}, not one of {', '.join(TASKS)}")
    return problems


def summary_problem(data: Any) -> str | None:
    """Why a parsed summary.json cannot be used, in one short line; None when it can."""
    problems = check_summary(data)
    if not problems:
        return None
    more = len(problems) - 1
    if more:
        return f"{problems[0]} (and {'more than ' if len(problems) >= MAX_PROBLEMS else ''}{more} more)"
    return problems[0]


def is_number(value: Any) -> bool:
    """An int or float (not a bool) that is finite and fits a float; what tables can format."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _check_fields(data: Mapping[str, Any], fields: Mapping[str, Field], path: str, problems: list[str]) -> None:
    missing = [key for key, f in fields.items() if f.required and key not in data]
    if missing:
        _add(problems, f"{path or 'the summary'} lacks {', '.join(missing)}")
    for key, f in fields.items():
        if key not in data:
            continue
        value = data[key]
        where = f"{path}.{_short(key)}" if path else _short(key)
        if value is None:
            if not f.nullable:
                _add(problems, f"{where} is null")
            continue
        _check(value, f.spec, where, problems)


def _check(value: Any, spec: Spec, where: str, problems: list[str]) -> None:
    if len(problems) >= MAX_PROBLEMS:
        return
    if isinstance(spec, Obj):
        if _expect(value, Mapping, "an object", where, problems):
            _check_fields(value, spec.fields, where, problems)
    elif isinstance(spec, MapOf):
        if _expect(value, Mapping, "an object", where, problems):
            for key, item in value.items():
                _check(item, spec.value, f"{where}.{_short(key)}", problems)
    elif isinstance(spec, ListOf):
        if _expect(value, list, "a list", where, problems) and spec.item != "any":
            for i, item in enumerate(value):
                if item is None and spec.item == "number":
                    continue  # a NaN, written as null
                if item is None:
                    _add(problems, f"{where}[{i}] is null")
                else:
                    _check(item, spec.item, f"{where}[{i}]", problems)
    else:
        _check_scalar(value, spec, where, problems)


def _check_scalar(value: Any, kind: str, where: str, problems: list[str]) -> None:
    if kind == "any":
        return
    if kind in ("number", "integer", "metric"):
        wanted = (int,) if kind == "integer" else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            _add(problems, f"{where} is {_a(_kind(value))}, not {'an integer' if kind == 'integer' else 'a number'}")
        elif not is_number(value):
            _add(problems, f"{where} is not a finite number")
        elif kind == "metric" and abs(value) > FLOAT32_MAX:
            # no trainer can write it; the curves' plotting overflows near the float64 limit
            _add(problems, f"{where} is {value:.3g}, beyond float32's range")
        return
    if kind == "boolean":
        _expect(value, bool, "a boolean", where, problems)
        return
    if not _expect(value, str, "a string", where, problems):
        return
    if kind == "status" and value not in STATUSES:
        _add(problems, f"{where} is {_quote(value)}, not one of {', '.join(STATUSES)}")
    elif kind == "datetime" and not _is_datetime(value):
        _add(problems, f"{where} is {_quote(value)}, not an ISO date and time")


def _expect(value: Any, kind: type, expected: str, where: str, problems: list[str]) -> bool:
    if isinstance(value, kind):
        return True
    _add(problems, f"{where} is {_a(_kind(value))}, not {expected}")
    return False


def _is_datetime(text: str) -> bool:
    try:
        _dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return False
    return True


def _add(problems: list[str], problem: str) -> None:
    # a task's fields may repeat a common one (the devices config): say it once
    if len(problems) < MAX_PROBLEMS and problem not in problems:
        problems.append(problem)


# In order: a bool is also an int.
JSON_TYPE_NAMES = ((bool, "boolean"), ((int, float), "number"), (str, "string"), (Mapping, "object"), (list, "list"))


def _kind(value: Any) -> str:
    """The JSON name of a parsed value's type."""
    if value is None:
        return "null"
    return next((name for types, name in JSON_TYPE_NAMES if isinstance(value, types)), type(value).__name__)


def _a(kind: str) -> str:
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


def _short(text: Any, limit: int = 32) -> str:
    # keys and values come from the file: keep a reason to one readable line
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return repr(_short(text))


__all__ = ("MAX_PROBLEMS", "STATUSES", "TASKS", "check_summary", "is_number", "summary_problem")
