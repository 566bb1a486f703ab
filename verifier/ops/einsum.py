"""einsum(equation, *operands): Einstein summation, as torch.einsum.

The gradient of operand k is itself an einsum: the output's gradient contracted
with the other operands onto k's subscripts. A letter that only operand k has
(summed over it alone) is broadcast back. Supported: explicit ("ij,jk->ik") and
implicit ("ij,jk") output; not supported: "..." and a letter repeated within one
operand (a diagonal, "ii->i"), which raise a clear error.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.registry import Domain, Op, Param, register


def parse(equation: str, count: int) -> tuple[list[str], str]:
    """(subscripts of each operand, subscripts of the output)."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): the equation must be a string, got {type(equation).__name__}")
    text = equation.replace(" ", "")
    if "." in text:
        raise NotImplementedError("einsum: '...' (ellipsis) is not supported by the verifier; "
                                  "write every subscript")
    left, arrow, right = text.partition("->")
    inputs = left.split(",")
    if len(inputs) != count:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if count > len(inputs) else
                           "einsum(): fewer operands were provided than specified in the equation")
    for sub in inputs + [right]:
        if not all(c.isalpha() for c in sub):
            raise RuntimeError(f"einsum(): invalid subscript given at index {sub!r} in the "
                               f"equation string, subscripts must be in [a-zA-Z]")
        if len(set(sub)) != len(sub):
            raise NotImplementedError(f"einsum: the repeated subscript in {sub!r} (a diagonal) is "
                                      "not supported by the verifier; use diagonal() first")
    if not arrow:
        # Implicit output: the letters that occur once, in alphabetical order.
        letters = "".join(inputs)
        right = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return inputs, right


def _einsum(*operands, equation):
    inputs, output = parse(equation, len(operands))
    for sub, a in zip(inputs, operands):
        if len(sub) != np.ndim(a):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) "
                               f"does not match the number of dimensions ({np.ndim(a)}) for "
                               "operand and no ellipsis was given")
    try:
        return np.asarray(np.einsum(f"{','.join(inputs)}->{output}", *operands))
    except ValueError as exc:
        raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                           f"({exc})") from None


def _einsum_vjp(ns, g, out, *operands, equation):
    inputs, output = parse(equation, len(operands))
    grads = []
    for k, (sub, x) in enumerate(zip(inputs, operands)):
        others = [(s, o) for j, (s, o) in enumerate(zip(inputs, operands)) if j != k]
        present = set(output).union(*(set(s) for s, _ in others))
        kept = "".join(c for c in sub if c in present)
        terms = ",".join([output] + [s for s, _ in others])
        grad = ns.einsum(f"{terms}->{kept}", g, *(o for _, o in others))
        # Letters summed over this operand alone: the gradient is constant along them.
        for axis, c in enumerate(sub):
            if c not in present:
                grad = ns.unsqueeze(grad, axis)
        grads.append(ns.expand(grad, tuple(x.shape)) if kept != sub else grad)
    return tuple(grads)


def _einsum_sympy(*operands, equation):
    inputs, output = parse(equation, len(operands))
    arrays = [np.asarray(a, dtype=object) for a in operands]
    return np.asarray(np.einsum(f"{','.join(inputs)}->{output}", *arrays), dtype=object)


register(Op(
    name="einsum", inputs=("operands",), params=(Param("equation", kind="text"),), kind="linalg",
    forward=_einsum, vjp=_einsum_vjp, sympy=_einsum_sympy,
    torch=lambda torch, *operands, equation: torch.einsum(equation, *operands),
    variadic=True, method=False, domain=(Domain(),),
    extra={"leading_param": "equation", "saves": "cross", "node_name": "ViewBackward0"},
    doc='einsum("ij,jk->ik", a, b): Einstein summation (no "..." and no repeated letter within '
        'one operand)',
))
