"""Input specs (`value`, `fill` + `shape`, `random` + `shape`) → `Input` with exact values.

`random` draws once in float64 with numpy.random.default_rng(seed), so every
backend sees the same numbers; the exact values are those floats as Fractions.
"""

from __future__ import annotations

import keyword
from fractions import Fraction

import numpy as np

from verifier.cases import fields as f
from verifier.cases.integer_inputs import integer_dtype, integer_values
from verifier.cases.model import Input
from verifier.cases.numbers import (
    DataError,
    check_size,
    exact_array,
    filled,
    float64_number,
    from_floats,
    number_or_ieee,
)
from verifier.cases.problems import Problems
from verifier.cases.yaml_lines import LineList, LineMap
from verifier.lang.statements import RESERVED_TARGETS

RESERVED_NAMES = RESERVED_TARGETS | {"True", "False", "None"}
RANDOM_DEFAULTS = {"uniform": {"low": Fraction(0), "high": Fraction(1)},
                   "normal": {"mean": Fraction(0), "std": Fraction(1)}}


def name_problem(name) -> str | None:
    """Why `name` can't name an input, or None."""
    if not isinstance(name, str):
        return f"an input name must be text, found {name!r}"
    if not name.isidentifier() or not name.isascii() or keyword.iskeyword(name):
        return f"'{name}' is not a valid name: use letters, digits and _, not starting with a digit"
    if name in RESERVED_NAMES or name.startswith("__"):
        return f"'{name}' is reserved in the case language; choose another name"
    return None


def read_input(name: str, spec, field: str, line: int, problems: Problems) -> Input | None:
    spec = f.mapping(spec, field, line, problems, "an input spec such as {fill: 1, shape: [2, 2]}")
    if spec is None:
        return None
    f.check_keys(spec, f.INPUT_KEYS, field, problems)
    dtype = None
    if "dtype" in spec:
        dtype = integer_dtype(spec, field, problems)
        if dtype is None:
            return None
    requires_grad = dtype is None  # an integer or bool tensor is a constant
    if "requires_grad" in spec:
        requires_grad = f.boolean(spec["requires_grad"], f"{field}.requires_grad",
                                  spec.key_line("requires_grad"), problems)
        if requires_grad and dtype is not None:
            problems.add(spec.key_line("requires_grad"), f"{field}.requires_grad",
                         f"an input of dtype {dtype} cannot require grad (torch: only tensors of "
                         "floating point dtype can require gradients); remove requires_grad")
            return None
    made = _values(spec, field, problems, booleans=dtype == "bool")
    if made is None or requires_grad is None:
        return None
    exact, kind = made
    if dtype is not None and not integer_values(exact, dtype, kind, spec, field, problems):
        return None
    return Input(name=name, exact=exact, requires_grad=requires_grad, kind=kind,
                 line=spec.line or line, dtype=dtype)


def read_seed(spec, field: str, line: int, problems: Problems) -> Input | None:
    """`seed:` is an input spec (without requires_grad) or a literal number / nested list."""
    if isinstance(spec, LineMap):
        f.check_keys(spec, f.SEED_KEYS, field, problems)
        made = _values(spec, field, problems)
        kind = made[1] if made else "value"
    else:
        made = _literal(spec, field, line, problems)
        kind = "value"
    if made is None:
        return None
    return Input(name="seed", exact=made[0], requires_grad=False, kind=kind, line=line)


def _values(spec: LineMap, field: str, problems: Problems,
            booleans: bool = False) -> tuple[np.ndarray, str] | None:
    given = [k for k in ("value", "fill", "random") if k in spec]
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        problems.add(spec.line, field, f"an input needs exactly one of value, fill or random; found {what}")
        return None
    kind = given[0]
    if kind == "value":
        if "shape" in spec:
            problems.add(spec.key_line("shape"), f"{field}.shape", "the shape of a 'value' input follows "
                                                                   "from the value; remove shape")
            return None
        made = _literal(spec["value"], f"{field}.value", spec.value_line("value"), problems,
                        booleans)
        return None if made is None else (made[0], kind)
    if "shape" not in spec:
        problems.add(spec.line, field, f"'{kind}' needs a shape, such as shape: [2, 3]")
        return None
    shape = read_shape(spec["shape"], f"{field}.shape", spec.value_line("shape"), problems)
    if kind == "fill":
        fill = spec["fill"]
        if booleans and isinstance(fill, bool):
            fill = int(fill)
        value = _fill_value(fill, f"{field}.fill", spec.value_line("fill"), problems)
        if value is None or shape is None:
            return None
        return filled(shape, value), kind
    values = _random(spec["random"], shape, f"{field}.random", spec.value_line("random"), problems)
    return None if values is None else (values, kind)


def _fill_value(value, field: str, line: int, problems: Problems):
    """A number within float64's range, or an IEEE special value (inf, -inf, nan)."""
    try:
        number = number_or_ieee(value)
        return float64_number(number) if isinstance(number, Fraction) else number
    except DataError as exc:
        problems.add(line, field, exc.message)
        return None


def _literal(value, field: str, line: int, problems: Problems,
             booleans: bool = False) -> tuple[np.ndarray, str] | None:
    try:
        return exact_array(value, field, float64_range=True, booleans=booleans), "value"
    except DataError as exc:
        problems.add(exc.line or line, field if not exc.message.startswith(field) else "", exc.message)
        return None


def read_shape(value, field: str, line: int, problems: Problems) -> tuple[int, ...] | None:
    if not isinstance(value, LineList):
        problems.add(line, field, f"expected a list of sizes such as [2, 3] ([] for a scalar), "
                                  f"found {f.describe(value)}")
        return None
    sizes = [f.integer(v, f"{field}[{i}]", value.item_line(i), problems, low=0) for i, v in enumerate(value)]
    if any(s is None for s in sizes):
        return None
    try:
        check_size(sizes, field)
    except DataError as exc:
        problems.add(line, "", exc.message)
        return None
    return tuple(sizes)


def _random(spec, shape, field: str, line: int, problems: Problems) -> np.ndarray | None:
    spec = f.mapping(spec, field, line, problems, "a mapping such as {dist: uniform, seed: 0}")
    if spec is None:
        return None
    f.check_keys(spec, f.RANDOM_KEYS, field, problems)
    dist = spec.get("dist")
    if dist not in f.DISTRIBUTIONS:
        problems.add(spec.key_line("dist"), f"{field}.dist",
                     f"expected uniform or normal, found {f.describe(dist)}")
        return None
    if "seed" not in spec:
        problems.add(spec.line, field, "random needs a seed (an integer), so that every run draws the "
                                       "same numbers")
        return None
    seed = f.integer(spec["seed"], f"{field}.seed", spec.value_line("seed"), problems, low=0)
    params = dict(RANDOM_DEFAULTS[dist])
    for key in ("low", "high", "mean", "std"):
        if key not in spec:
            continue
        if key not in params:
            takes = ", ".join(RANDOM_DEFAULTS[dist])
            problems.add(spec.key_line(key), f"{field}.{key}",
                         f"'{key}' does not apply to dist: {dist} (it takes {takes})")
            return None
        params[key] = _float64_param(spec[key], f"{field}.{key}", spec.value_line(key), problems)
    if seed is None or shape is None or any(v is None for v in params.values()):
        return None
    rng = np.random.default_rng(seed)
    if dist == "uniform":
        if params["high"] <= params["low"]:
            problems.add(spec.line, field, f"high ({params['high']}) must exceed low ({params['low']})")
            return None
        if not np.isfinite(float(params["high"]) - float(params["low"])):
            problems.add(spec.line, field, f"high - low must be a finite float64 (numpy draws from "
                                           f"low + (high - low) * u); {float(params['high'])} - "
                                           f"{float(params['low'])} overflows")
            return None
        drawn = rng.uniform(float(params["low"]), float(params["high"]), size=shape)
    else:
        if params["std"] <= 0:
            problems.add(spec.key_line("std"), f"{field}.std", f"std must be > 0, found {params['std']}")
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            drawn = rng.normal(float(params["mean"]), float(params["std"]), size=shape)
    try:
        return from_floats(np.asarray(drawn, dtype=np.float64))
    except DataError as exc:
        problems.add(spec.line, field, exc.message)
        return None


def _float64_param(value, field: str, line: int, problems: Problems) -> Fraction | None:
    """A number that the backends will receive as a float64: finite in float64's range."""
    number = f.number(value, field, line, problems)
    if number is None:
        return None
    try:
        return float64_number(number)
    except DataError as exc:
        problems.add(line, field, exc.message)
        return None
