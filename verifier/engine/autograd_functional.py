"""torch.autograd.functional for the engine: jacobian, hessian, vjp, jvp, hvp, vhp.

Each takes `func` and its `inputs` (a tensor or a tuple of tensors) and returns
results shaped as torch's: a Jacobian block has shape output.shape + input.shape,
nested as [output][input] where func returns a tuple or inputs is a tuple.
Everything is built from the engine's reverse mode: jvp and hvp use the
double-backward trick (the VJP is linear in its seed, so differentiating
it with respect to the seed gives J·v), as torch does.
"""

from __future__ import annotations

import numpy as np

from verifier.engine import autograd
from verifier.engine.grad_mode import enable_grad
from verifier.engine.tensor import Tensor, _detached


def _as_tuple(values, what: str) -> tuple[bool, tuple]:
    """(was it a tuple, the values as a tuple), checking that each is a tensor."""
    is_tuple = isinstance(values, (tuple, list))
    values = tuple(values) if is_tuple else (values,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            raise TypeError(f"The {what} given to the user-provided function must be either a "
                            f"Tensor or a tuple of Tensors but the given {what} has an element "
                            f"of type {type(v).__name__} at position {i}.")
    return is_tuple, values


def _prepare(inputs, create_graph: bool) -> tuple:
    """Fresh inputs that require grad: connected to the originals only under create_graph."""
    prepared = []
    for x in inputs:
        if create_graph and x.requires_grad:
            prepared.append(x.view_as(x))
        else:
            prepared.append(x.detach().requires_grad_(True))
    return tuple(prepared)


def _finish(values, create_graph: bool):
    if isinstance(values, tuple):
        return tuple(_finish(v, create_graph) for v in values)
    if values is None or create_graph:
        return values
    return values.detach()


def _grad(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, which: str) -> tuple:
    """autograd.grad with zeros (not None) where an input is unused (an error under strict)."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        grads = (None,) * len(inputs)
    else:
        outs, seeds = zip(*pairs)
        grads = autograd.grad(list(outs), list(inputs), grad_outputs=list(seeds), retain_graph=True,
                              create_graph=create_graph, allow_unused=True)
    result = []
    for i, (x, g) in enumerate(zip(inputs, grads)):
        if g is None:
            if strict:
                raise RuntimeError(f"The {which} of the user-provided function is independent of "
                                   f"input {i}. This is not allowed in strict mode.")
            g = _detached(np.zeros_like(x._array))
        result.append(g)
    return tuple(result)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of func at inputs, one reverse pass per output element.

    `vectorize` changes nothing but speed in torch and is accepted; the
    'forward-mode' strategy gives the same numbers from the engine's forward mode.
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: '
                         'If your function has more outputs than inputs, "forward-mode" tends to '
                         'be more performant. Otherwise, prefer to use "reverse-mode".')
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*xs), "outputs of the user-provided function")
        blocks = []
        for k, out in enumerate(outputs):
            rows = []
            flat_count = out._array.size
            for m in range(flat_count):
                seed = np.zeros(flat_count, dtype=out._array.dtype)
                seed[m] = 1
                rows.append(_grad([out], xs, [_detached(seed.reshape(out._array.shape))],
                                  create_graph, strict, f"output {k}"))
            per_input = []
            for i, x in enumerate(xs):
                from verifier.engine.functional import FUNCTIONS
                if rows:
                    stacked = FUNCTIONS["stack"]([row[i] for row in rows])
                else:
                    stacked = _detached(np.zeros((0,) + x._array.shape, dtype=x._array.dtype))
                per_input.append(FUNCTIONS["reshape"](stacked, out._array.shape + x._array.shape))
            blocks.append(tuple(per_input))
    blocks = _finish(tuple(blocks), create_graph)
    return _nest(blocks, outputs_tuple, inputs_tuple)


def _nest(blocks, outputs_tuple: bool, inputs_tuple: bool):
    """torch's nesting: tuples only where func returned a tuple / inputs were a tuple."""
    rows = [row if inputs_tuple else row[0] for row in blocks]
    return tuple(rows) if outputs_tuple else rows[0]


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a function with one scalar output: the Jacobian of its gradient."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")

    def gradient(*xs):
        _, outputs = _as_tuple(func(*xs), "outputs of the user-provided function")
        if len(outputs) != 1 or outputs[0]._array.size != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element")
        return _grad(outputs, xs, [_detached(np.ones_like(outputs[0]._array))], True, strict,
                     "output 0")

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    return result if inputs_tuple else result[0][0]


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·J); v may be left out when func returns a single element."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*xs), "outputs of the user-provided function")
        seeds = _seeds(v, outputs, "vjp")
        grads = _grad(outputs, xs, seeds, create_graph, strict, "output")
    outputs = _finish(outputs, create_graph)
    grads = _finish(grads, create_graph)
    return (outputs if outputs_tuple else outputs[0]), (grads if inputs_tuple else grads[0])


def _seeds(v, outputs, name: str) -> tuple:
    if v is None:
        if len(outputs) != 1 or outputs[0]._array.size != 1:
            raise RuntimeError(f"The vector v can only be None if the user-provided function "
                               f"returns a single Tensor with a single element ({name}).")
        return (_detached(np.ones_like(outputs[0]._array)),)
    _, seeds = _as_tuple(v, "v")
    if len(seeds) != len(outputs):
        raise RuntimeError(f"v has {len(seeds)} elements but the function has {len(outputs)} "
                           f"outputs: give one per output")
    for s, o in zip(seeds, outputs):
        if s._array.shape != o._array.shape:
            raise RuntimeError(f"Mismatch in shape: v has shape {list(s._array.shape)} where the "
                               f"output has shape {list(o._array.shape)}")
    return seeds


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J·v) by the double-backward trick: d/du (uᵀJ)·v = J·v."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    if v is None:
        if len(inputs) != 1 or inputs[0]._array.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        v = (_detached(np.ones_like(inputs[0]._array)),)
    _, v = _as_tuple(v, "v")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*xs), "outputs of the user-provided function")
        dummies = tuple(_detached(np.zeros_like(o._array)).requires_grad_(True) for o in outputs)
        vjps = _grad(outputs, xs, dummies, True, strict, "output")
        live = [(g, t) for g, t in zip(vjps, v) if g.requires_grad]
        if live:
            jvps = autograd.grad([g for g, _ in live], list(dummies),
                                 grad_outputs=[t for _, t in live], create_graph=create_graph,
                                 allow_unused=True)
        else:
            jvps = (None,) * len(dummies)
        jvps = tuple(_detached(np.zeros_like(o._array)) if j is None else j
                     for j, o in zip(jvps, outputs))
    outputs = _finish(outputs, create_graph)
    jvps = _finish(jvps, create_graph)
    return (outputs if outputs_tuple else outputs[0]), (jvps if outputs_tuple else jvps[0])


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·H) for a function with one scalar output."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        output = _scalar_output(func(*xs), "vhp")
        _, v = _as_tuple(_default_v(v, inputs), "v")
        gradient = _grad([output], xs, [_detached(np.ones_like(output._array))], True, strict,
                         "output")
        live = [(g, t) for g, t in zip(gradient, v) if g.requires_grad]
        result = autograd.grad([g for g, _ in live], list(xs), grad_outputs=[t for _, t in live],
                               create_graph=create_graph, allow_unused=True) if live else \
            (None,) * len(xs)
        result = tuple(_detached(np.zeros_like(x._array)) if r is None else r
                       for r, x in zip(result, xs))
    output, result = _finish(output, create_graph), _finish(result, create_graph)
    return output, (result if inputs_tuple else result[0])


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H·v): the Jacobian of the gradient applied to v (double backward)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs")
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        output = _scalar_output(func(*xs), "hvp")
        _, v = _as_tuple(_default_v(v, inputs), "v")
        gradient = _grad([output], xs, [_detached(np.ones_like(output._array))], True, strict,
                         "output")
        dummies = tuple(_detached(np.zeros_like(x._array)).requires_grad_(True) for x in xs)
        live = [(g, d) for g, d in zip(gradient, dummies) if g.requires_grad]
        back = autograd.grad([g for g, _ in live], list(xs), grad_outputs=[d for _, d in live],
                             create_graph=True, allow_unused=True) if live else ()
        pairs = [(b, t) for b, t in zip(back, v) if b is not None and b.requires_grad]
        result = autograd.grad([b for b, _ in pairs], list(dummies),
                               grad_outputs=[t for _, t in pairs], create_graph=create_graph,
                               allow_unused=True) if pairs else (None,) * len(xs)
        result = tuple(_detached(np.zeros_like(x._array)) if r is None else r
                       for r, x in zip(result, xs))
    output, result = _finish(output, create_graph), _finish(result, create_graph)
    return output, (result if inputs_tuple else result[0])


def _scalar_output(outputs, name: str) -> Tensor:
    _, outputs = _as_tuple(outputs, "outputs of the user-provided function")
    if len(outputs) != 1 or outputs[0]._array.size != 1:
        raise RuntimeError(f"The function given to {name} should return a single Tensor with a "
                           "single element")
    return outputs[0]


def _default_v(v, inputs):
    if v is not None:
        return v
    if len(inputs) != 1 or inputs[0]._array.size != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided "
                           "function is a single Tensor with a single element.")
    return _detached(np.ones_like(inputs[0]._array))
