"""`verifier show NAME`: one case, its symbolic derivative, the claims, and every backend's numbers.

Reads what the runner produced (a CaseOutcome); computes nothing itself.
"""

from __future__ import annotations

import numpy as np

from verifier.float_formats import FORMATS
from verifier.report.escape import printable
from verifier.report.style import Style

_MAX_ELEMENTS = 8  # per array printed; the rest is summarized
_DIGITS = {f.name: f.digits for f in FORMATS.values()}


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in str(text).splitlines())


def format_array(values, dtype: str = "float64") -> str:
    """Numbers at full precision for their dtype (17 digits float64, 9 float32, exact as is)."""
    if values is None:
        return "—"
    array = np.asarray(values)
    digits = _DIGITS.get(dtype, 17)

    def one(x) -> str:
        if array.dtype == object:
            return str(x)
        x = float(x)
        return f"{x:.{digits}g}"

    flat = [one(x) for x in array.ravel()[:_MAX_ELEMENTS]]
    if array.ndim == 0:
        return flat[0]
    more = f", … ({array.size} elements)" if array.size > _MAX_ELEMENTS else ""
    return f"[{', '.join(flat)}{more}] shape {tuple(array.shape)}"


# The symbolic part of `verifier show` is capped by default (a two-layer MLP's derivative
# pretty-prints to thousands of lines): an expression past MAX_SYMBOLIC_NODES is not
# printed at all, and a printed one stops after MAX_SYMBOLIC_LINES; --full shows all of it.
MAX_SYMBOLIC_NODES = 400
MAX_SYMBOLIC_LINES = 40
FULL_FLAG = "--full"


def expression_nodes(expression, limit: int) -> int:
    """The number of nodes of a SymPy expression (or array of them), counting up to `limit`
    only: a huge expression is not walked to its end."""
    import sympy

    items = expression.ravel() if isinstance(expression, np.ndarray) else [expression]
    count = 0
    for item in items:
        if not isinstance(item, sympy.Basic):
            count += 1
            continue
        for _ in sympy.preorder_traversal(item):
            count += 1
            if count > limit:
                return count
    return count


def capped_derivative(expression, full: bool = False) -> str:
    """`pretty_derivative`, within MAX_SYMBOLIC_NODES and MAX_SYMBOLIC_LINES unless full."""
    if full:
        return pretty_derivative(expression)
    nodes = expression_nodes(expression, MAX_SYMBOLIC_NODES)
    if nodes > MAX_SYMBOLIC_NODES:
        return (f"(an expression of more than {MAX_SYMBOLIC_NODES} nodes, not printed; "
                f"{FULL_FLAG} prints all of it)")
    lines = pretty_derivative(expression).splitlines()
    if len(lines) <= MAX_SYMBOLIC_LINES:
        return "\n".join(lines)
    return "\n".join(lines[:MAX_SYMBOLIC_LINES] + [
        f"… ({len(lines) - MAX_SYMBOLIC_LINES} more lines; {FULL_FLAG} prints all of it)"])


def pretty_derivative(expression) -> str:
    """SymPy's pretty printing; a small array of expressions as a matrix."""
    import sympy

    if isinstance(expression, np.ndarray):
        if expression.ndim == 0:
            expression = expression.item()
        elif expression.ndim <= 2 and expression.size <= 16:
            rows = expression.tolist() if expression.ndim == 2 else [[x] for x in expression.tolist()]
            expression = sympy.Matrix(rows)
        else:
            first = sympy.pretty(expression.ravel()[0], use_unicode=True)
            return f"(array of shape {expression.shape}; first element:)\n{first}"
    try:
        return sympy.pretty(expression, use_unicode=True)
    except Exception:  # not a SymPy object: show it as it is
        return str(expression)


def _inputs_section(case) -> list[str]:
    lines = ["inputs:"]
    items = list(case.inputs.items()) + ([("seed", case.seed)] if case.seed is not None else [])
    for name, inp in items:
        grad = "requires grad" if inp.requires_grad and name != "seed" else "no grad"
        dtype = getattr(inp, "dtype", None)
        if dtype is not None:  # an int64/int32/bool input: that dtype in every run
            values = str(inp.native().tolist()).replace("True", "true").replace("False", "false")
            lines.append(f"    {name}: {inp.kind}, shape {inp.shape}, {dtype} in every run, "
                         f"{grad}: {values}")
            continue
        lines.append(f"    {name}: {inp.kind}, shape {inp.shape}, {grad}: "
                     f"{format_array(inp.exact, 'exact')}")
    return lines


def _claim_line(result) -> str:
    """A claim result, whatever its exact fields: its own str when it has one."""
    if type(result).__str__ is not object.__str__ and not hasattr(result, "__dataclass_fields__"):
        return str(result)
    fields = getattr(result, "__dataclass_fields__", None)
    if fields:
        return "  ".join(f"{k}: {getattr(result, k)}" for k in fields
                         if getattr(result, k) not in (None, "", (), [], {}))
    return str(result)


def _quantities(outcome) -> list[str]:
    names = ["value"]
    for run in list(outcome.runs.values()) + list(outcome.oracle_runs.values()):
        names += [f"grad.{n}" for n in run.grads] + [f"hvp.{n}" for n in run.hvp]
    for ref in outcome.oracle_runs.values():
        names += [f"grad.{n}" for n in ref.exact_grads] + [f"hvp.{n}" for n in ref.exact_hvp]
    return list(dict.fromkeys(names))


def _numbers_of(run, quantity: str, exact: bool):
    kind, _, name = quantity.partition(".")
    if not exact:
        return run.value if kind == "value" else getattr(run, kind + "s" if kind == "grad"
                                                        else kind).get(name)
    if kind == "value":
        return run.exact_value if run.exact_value is not None else run.value
    table = {"grad": (run.exact_grads, run.grads), "hvp": (run.exact_hvp, run.hvp)}[kind]
    exact_table, numeric = table
    return exact_table.get(name) if exact and name in exact_table else numeric.get(name)


def _detail_text(details: dict) -> str:
    parts = []
    for key, value in (details or {}).items():
        if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool):
            parts.append(f"{key} {float(value):.3g}")
    return "  ".join(parts + _bound_text(details or {}))


def _bound_text(details: dict) -> list[str]:
    """The error allowed at the worst element, its condition number and the rule used."""
    allowed, exact = details.get("allowed"), details.get("exact")
    if not allowed or not exact:
        return []
    shape = details.get("shape") or []
    index = details.get("worst_index") or []
    flat = int(np.ravel_multi_index(tuple(index), tuple(shape))) if index and shape else 0
    if flat >= len(allowed):
        return []
    parts = [f"allowed {allowed[flat]:.3g}"]
    sensitivity = details.get("sensitivity")
    if sensitivity and flat < len(sensitivity) and exact[flat]:
        # relative condition number: Σ_j |∂q/∂x_j|·|x_j| / |q|
        parts.append(f"cond {abs(sensitivity[flat] / exact[flat]):.3g}")
    if details.get("rule"):
        parts.append(f"rule: {details['rule']}")
    return parts


def render_show(outcome, style: Style | None = None, full: bool = False) -> str:
    """The case, then the numbers and verdicts, then the symbolic part (capped unless full)."""
    style = style or Style()
    case = outcome.case
    # Everything the case file supplied is escaped (report/escape.py): it is untrusted text.
    lines = [style.paint(f"case {printable(case.name, True)}", "bold") +
             f"  {printable(case.file, True)}:{case.line}"]
    if case.description:
        lines.append(_indent(printable(case.description)))
    if case.tags:
        lines.append(f"    tags: {printable(', '.join(case.tags), True)}")
    lines += ["", "source:", _indent(printable(case.source or "(no source text)")), ""]
    lines += _inputs_section(case)

    verdicts = {(v.backend, v.dtype): v for v in outcome.verdicts}
    rows = [(key[0], key[1], run, True) for key, run in outcome.oracle_runs.items()
            if key[1] is None]
    rows += [(backend, dtype, run, False) for (backend, dtype), run in outcome.runs.items()]
    lines += ["", style.paint("numbers", "bold") + " (oracle first, then each backend):"]
    for quantity in _quantities(outcome):
        lines.append(f"  {quantity}")
        for who, dtype, run, exact in rows:
            label = f"oracle at {who}" if exact else f"{who} {dtype}"
            numbers = _numbers_of(run, quantity, exact)
            if run.skipped:
                text = f"skipped: {run.skipped}"
            elif run.error_kind:
                text = f"raised {run.error_kind}: {printable(run.error_message)}"
            else:
                text = format_array(numbers, "exact" if exact else dtype)
            verdict = None if exact else verdicts.get((who, dtype))
            errors = _detail_text(verdict.details.get(quantity, {})) if verdict else ""
            lines.append(f"    {label:<24} {text}" + (f"   [{errors}]" if errors else ""))

    lines += ["", style.paint("verdicts", "bold") + ":"]
    for v in outcome.verdicts:
        worst = "  ".join(f"{k} {x:.3g}" for k, x in (("abs", v.max_abs_err),
                                                    ("rel", v.max_rel_err),
                                                    ("ULP", v.max_ulp_err)) if x is not None)
        lines.append(f"    {style.mark(v.status, v.diverged)} {v.backend:<11} {v.dtype:<8} "
                     f"{v.status:<6} {worst}" + (f"  {printable(v.message)}" if v.message else "") +
                     (f"  (blame: {v.blame})" if v.blame else ""))

    if outcome.claims:
        lines += ["", style.paint("claims", "bold") + ":"]
        lines += ["    " + printable(_claim_line(r)) for r in outcome.claims]

    exact_run = outcome.oracle_runs.get(("exact", None))
    if exact_run is not None:
        lines += ["", style.paint("symbolic derivative", "bold") +
                  (f" ({exact_run.exactness})" if exact_run.exactness else "") + ":"]
        if exact_run.error_kind:
            lines.append(f"    the oracle raised {exact_run.error_kind}: "
                         f"{printable(exact_run.error_message)}")
        symbolic = exact_run.symbolic_grads
        if not symbolic and exact_run.error_kind is None:
            # The graph oracle keeps numbers, not expressions: the closed form is derived
            # here, for showing, by the symbolic path (within a time budget).
            from verifier.oracle.backend import closed_form
            symbolic = closed_form(case)
            if not symbolic:
                lines.append("    (no closed form: too large for the symbolic path, or it took "
                             "too long; the numbers above are exact or certified)")
        for name, expression in symbolic.items():
            lines += [f"  d out / d {name} =", _indent(capped_derivative(expression, full))]

    return "\n".join(lines)
