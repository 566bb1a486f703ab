"""torch.einsum's full call forms for the engine, rewritten into the registry's einsum.

The registry entry takes explicit letters only.  Here, before calling it:
- operands may be given as one list (einsum("ij,jk", [a, b])) or in sublist form
  (einsum(a, [0, 1], b, [1, 2], [0, 2]));
- "..." becomes fresh letters, aligned from the right as broadcasting aligns them;
- a letter repeated within one operand ("ii->i", a diagonal) becomes a `diagonal`
  of that operand first;
- an implicit output is made explicit from the original equation (letters that occur
  once, in alphabetical order, after the ellipsis dims), as torch defines it.
All of it is exact and differentiable (diagonal and einsum are registry functions).
"""

from __future__ import annotations

import string

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor

_LETTERS = string.ascii_letters


def _from_sublists(args) -> tuple[str, list]:
    """(op0, [0, 1], op1, [1, 2], [0, 2]) -> ("ab,bc->ac", [op0, op1]); ints name dims."""
    pairs = args[:len(args) - len(args) % 2]
    operands, subs = list(pairs[0::2]), list(pairs[1::2])

    def letters(sublist):
        return "".join("..." if s is Ellipsis else _LETTERS[int(s)] for s in sublist)
    equation = ",".join(letters(s) for s in subs)
    if len(args) % 2:
        equation += "->" + letters(args[-1])
    return equation, operands


def _split_ellipsis(sub: str, ndim: int, fresh: str) -> str:
    if "..." not in sub:
        return sub
    before, after = sub.split("...")
    count = ndim - len(before) - len(after)
    if count < 0:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(before) + len(after)}"
                           f") is more than the number of dimensions ({ndim}) for operand")
    return before + (fresh[len(fresh) - count:] if count else "") + after


def _take_diagonals(operand: Tensor, sub: str) -> tuple[Tensor, str]:
    """Repeated letters of one operand become its diagonal (the dim moves to the end)."""
    while len(set(sub)) != len(sub):
        letter = next(c for c in sub if sub.count(c) > 1)
        first = sub.index(letter)
        second = sub.index(letter, first + 1)
        operand = F["diagonal"](operand, 0, first, second)
        sub = sub[:first] + sub[first + 1:second] + sub[second + 1:] + letter
    return operand, sub


def einsum(*args, equation=None):
    """torch.einsum(equation, *operands), einsum(equation, [operands]) or the sublist form.

    einsum(*operands, equation=...) is the registry entry's own calling form (the VJPs
    under create_graph use it): passed through unchanged.
    """
    if equation is not None:
        return F["einsum"](*args, equation=equation)
    if args and isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _from_sublists(args)
    text = equation.replace(" ", "")
    left, arrow, right = text.partition("->")
    subs = left.split(",")
    if len(subs) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(subs) else
                           "einsum(): fewer operands were provided than specified in the equation")
    used = set(text) - set(".,->")
    spare = "".join(c for c in _LETTERS if c not in used)
    widest = max((op.ndim - len(s.replace("...", "")) for s, op in zip(subs, operands)
                  if "..." in s), default=0)
    fresh = spare[:widest]
    if not arrow:
        letters = "".join(s.replace("...", "") for s in subs)
        right = ("..." if widest or any("..." in s for s in subs) else "") + \
            "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    explicit_subs = [_split_ellipsis(s, op.ndim, fresh) for s, op in zip(subs, operands)]
    right = right.replace("...", fresh)
    prepared = [_take_diagonals(op, s) for op, s in zip(operands, explicit_subs)]
    operands = [op for op, _ in prepared]
    explicit_subs = [s for _, s in prepared]
    if len(set(right)) != len(right):
        raise RuntimeError(f"einsum(): output subscript {right} appears more than once in the "
                           "output")
    return F["einsum"](f"{','.join(explicit_subs)}->{right}", *operands)


FUNCTIONS = {"einsum": einsum}
