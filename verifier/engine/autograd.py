"""torch.autograd's entry points: `backward` (accumulate into leaves) and `grad` (return).

They check the outputs and their seed gradients; the pass itself is
`verifier.engine.backprop.run`.
"""

from __future__ import annotations

import warnings

import numpy as np

from verifier.engine import forward_ad  # noqa: F401  (torch.autograd.forward_ad)
from verifier.engine.backprop import run
from verifier.engine.tensor import Tensor, _detached, edge_of


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None,
             grad_variables=None) -> None:
    """torch.autograd.backward: add d(sum tensors·grads)/d(t) into t.grad.

    With `inputs`, only those tensors (leaves or not) receive gradients.
    """
    if grad_variables is not None:
        warnings.warn("'grad_variables' is deprecated. Use 'grad_tensors' instead.",
                      DeprecationWarning, stacklevel=2)
        grad_tensors = grad_variables
    tensors, seeds = _roots(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        chosen = _as_list(inputs)
        if not chosen:
            raise RuntimeError("'inputs' argument to backward() cannot be empty; leave it out "
                               "to accumulate into every leaf")
        only = {}
        for t in chosen:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            only[edge_of(t)] = t
    run(tensors, seeds, retain_graph, create_graph, capture=None, only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """torch.autograd.grad: return d(sum outputs·grad_outputs)/d(inputs); .grad is untouched.

    is_grads_batched: the first dim of each grad_output indexes a batch of seeds; the
    result stacks one gradient per seed (torch vmaps; here a loop over the batch).
    """
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                             allow_unused, materialize_grads)
    outputs, seeds = _roots(outputs, grad_outputs)
    inputs = _as_list(inputs)
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture = {edge_of(t): None for t in inputs}
    run(outputs, seeds, retain_graph, create_graph, capture=capture, only=None)
    result = []
    for i, t in enumerate(inputs):
        g = capture[edge_of(t)]
        if g is None:
            if materialize_grads:
                g = _detached(np.zeros_like(t._array))
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        result.append(g)
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    from verifier.engine.functional import FUNCTIONS
    seeds = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    size = seeds[0]._array.shape[0]
    per_seed = []
    for b in range(size):
        per_seed.append(grad(outputs, inputs, [s[b] for s in seeds],
                             retain_graph=True if b < size - 1 else retain_graph,
                             create_graph=create_graph, allow_unused=allow_unused,
                             materialize_grads=materialize_grads))
    return tuple(None if column[0] is None else FUNCTIONS["stack"](list(column))
                 for column in zip(*per_seed))


def _as_list(values):
    if isinstance(values, Tensor):
        return [values]
    return list(values)


def _roots(tensors, grads):
    """The output tensors and their seed gradients (arrays or tensors), checked."""
    tensors = _as_list(tensors)
    if grads is None:
        grads = [None] * len(tensors)
    elif isinstance(grads, Tensor) or not isinstance(grads, (list, tuple)):
        grads = [grads]
    grads = list(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs: got "
                           f"{len(grads)} gradients for {len(tensors)} outputs; pass one per output")
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn: call requires_grad_() on the inputs before computing, "
                               "and compute outside torch.no_grad()")
        if g is None:
            if t._array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; this "
                                   f"output has shape {list(t._array.shape)}: pass "
                                   "backward(gradient=...) a tensor of that shape (dZ/dy)")
            g = np.ones_like(t._array)
        else:
            g_array = g._array if isinstance(g, Tensor) else np.asarray(g, dtype=t._array.dtype)
            if g_array.shape != t._array.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"torch.Size({list(g_array.shape)}) and output[{i}] has a shape "
                                   f"of torch.Size({list(t._array.shape)}). Pass a gradient "
                                   "with exactly the output's shape.")
            g = g if isinstance(g, Tensor) else g_array
        seeds.append(g)
    return tensors, seeds


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802
    """The seed notebook's `autograd.Variable`: since torch 0.4 it simply gives the Tensor."""
    if volatile:
        warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                      "instead.", UserWarning, stacklevel=2)
    t = data if isinstance(data, Tensor) else _detached(np.asarray(data))
    if requires_grad:
        t.requires_grad_(True)
    return t
