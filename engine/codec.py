"""The JSON form of engine values, so events can cross from a worker process to the UI.

Everything an event carries maps to JSON and back without loss: dataclasses (events and
the result objects the calculus tasks publish), tuples, paths, complex numbers, NaN and
infinities, and SymPy objects. Types JSON lacks travel as one-key objects (`{"__tuple__":
[...]}`). SymPy objects travel as their `srepr` text and are rebuilt by walking its syntax
tree against a whitelist of SymPy classes, never with `eval`; dataclasses are rebuilt only
from modules of this engine.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import math
from pathlib import Path, PurePath
from typing import Any, Mapping

ENGINE_PACKAGE = "fmnist_tui.engine"
MAX_SYMPY_TEXT = 200_000  # characters of srepr text: larger is not something we wrote
_TAGS = ("__tuple__", "__path__", "__complex__", "__float__", "__sympy__", "__dataclass__", "__dict__")


class DecodeError(ValueError):
    """A value that is not in the form `encode` writes."""


# ---- encoding -------------------------------------------------------------------------


def encode(value: Any) -> Any:
    """A JSON-compatible form of `value` that `decode` turns back into an equal value."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, complex):
        return {"__complex__": [encode(value.real), encode(value.imag)]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, PurePath):
        return {"__path__": str(value)}
    if isinstance(value, Mapping):
        return _encode_mapping(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_dataclass(value)
    if _is_sympy(value):
        import sympy

        return {"__sympy__": sympy.srepr(value)}
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # a NumPy scalar
        return encode(value.item())
    if hasattr(value, "tolist"):  # a NumPy array
        return encode(value.tolist())
    if isinstance(value, (set, frozenset)):
        return [encode(v) for v in sorted(value, key=repr)]
    raise TypeError(f"cannot encode a {type(value).__name__} as JSON")


def _encode_mapping(value: Mapping) -> Any:
    if all(isinstance(k, str) for k in value) and not any(k in _TAGS for k in value):
        return {k: encode(v) for k, v in value.items()}
    return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}


def _encode_dataclass(value: Any) -> dict[str, Any]:
    cls = type(value)
    return {
        "__dataclass__": f"{cls.__module__}:{cls.__qualname__}",
        "fields": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init},
    }


def _is_sympy(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module == "sympy" or module.startswith("sympy.")


# ---- decoding -------------------------------------------------------------------------


def decode(data: Any) -> Any:
    """The value `encode` was given; raises `DecodeError` on anything it would not write."""
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        raise DecodeError(f"unexpected JSON value of type {type(data).__name__}")
    if len(data) == 1 or "__dataclass__" in data:
        tag = next(iter(data)) if len(data) == 1 else "__dataclass__"
        decoder = _DECODERS.get(tag)
        if decoder is not None:
            return decoder(data)
    return {k: decode(v) for k, v in data.items()}


def _decode_float(data: dict) -> float:
    text = data["__float__"]
    if text not in ("nan", "inf", "-inf"):
        raise DecodeError(f"not a special float: {text!r}")
    return float(text)


def _decode_complex(data: dict) -> complex:
    real, imag = data["__complex__"]
    return complex(decode(real), decode(imag))


def _decode_dict(data: dict) -> dict:
    return {decode(k): decode(v) for k, v in data["__dict__"]}


def _decode_dataclass(data: dict) -> Any:
    cls = dataclass_named(data["__dataclass__"])
    values = {name: decode(v) for name, v in dict(data.get("fields") or {}).items()}
    known = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = set(values) - known
    if unknown:
        raise DecodeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    return cls(**values)


def dataclass_named(name: str) -> type:
    """The engine dataclass called `module:Qualname`; nothing outside the engine is loaded."""
    module_name, _, qualname = str(name).partition(":")
    if not (module_name == ENGINE_PACKAGE or module_name.startswith(ENGINE_PACKAGE + ".")):
        raise DecodeError(f"{name!r} is not an engine class")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        raise DecodeError(f"no class {name!r}") from None
    if not (isinstance(target, type) and dataclasses.is_dataclass(target)):
        raise DecodeError(f"{name!r} is not a dataclass")
    return target


def _decode_sympy(data: dict) -> Any:
    text = data["__sympy__"]
    if not isinstance(text, str) or len(text) > MAX_SYMPY_TEXT:
        raise DecodeError("SymPy text missing or too long")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise DecodeError(f"not SymPy's srepr form: {text[:60]!r}") from None
    return _SympyBuilder().build(tree.body)


class _SympyBuilder:
    """Rebuilds an `srepr` tree: calls of SymPy classes with literal or SymPy arguments."""

    def __init__(self) -> None:
        import sympy

        self.sympy = sympy

    def build(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return -self.build(node.operand)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.build(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Name):
            return self._named(node.id, callable_=False)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            cls = self._named(node.func.id, callable_=True)
            args = [self.build(a) for a in node.args]
            kwargs = {k.arg: self.build(k.value) for k in node.keywords if k.arg is not None}
            return cls(*args, **kwargs)
        raise DecodeError(f"unexpected {type(node).__name__} in SymPy text")

    def _named(self, name: str, callable_: bool) -> Any:
        obj = getattr(self.sympy, name, None)
        if callable_:
            matrix_base = self.sympy.matrices.MatrixBase
            if isinstance(obj, type) and issubclass(obj, (self.sympy.Basic, matrix_base)):
                return obj
        elif isinstance(obj, self.sympy.Basic):  # singletons such as pi, I, E, oo
            return obj
        raise DecodeError(f"{name!r} is not a SymPy class")


_DECODERS = {
    "__tuple__": lambda d: tuple(decode(v) for v in d["__tuple__"]),
    "__path__": lambda d: Path(d["__path__"]),
    "__complex__": _decode_complex,
    "__float__": _decode_float,
    "__sympy__": _decode_sympy,
    "__dataclass__": _decode_dataclass,
    "__dict__": _decode_dict,
}
