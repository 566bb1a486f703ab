"""torch.autograd.gradcheck and gradgradcheck for the engine, with torch's signatures.

gradcheck compares, for every output and every input that requires grad, the
Jacobian the engine's backward gives (one autograd.grad per output element)
with central finite differences (f(x + eps·e_j) - f(x - eps·e_j)) / 2eps,
computed here by perturbing the input in place.  They agree when
|analytical - numerical| <= atol + rtol·|numerical| elementwise (torch's
allclose).  `check_forward_ad=True` compares the forward-mode Jacobian too.
`fast_mode` is accepted and runs the full (stricter) check.

gradgradcheck runs gradcheck on the function x, v -> d(f(x)·v)/dx (built with
create_graph=True), so it checks the second derivatives the same way.
"""

from __future__ import annotations

import warnings

import numpy as np

from verifier.engine import autograd
from verifier.engine.grad_mode import enable_grad
from verifier.engine.tensor import Tensor, _detached


class GradcheckError(RuntimeError):
    """A Jacobian of gradcheck or gradgradcheck disagrees with finite differences."""


def _as_tuple(values) -> tuple:
    if isinstance(values, Tensor):
        return (values,)
    return tuple(values)


def _differentiable(inputs) -> list[int]:
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _outputs(func, inputs) -> tuple:
    return _as_tuple(func(*inputs))


def _numerical(func, inputs, index, eps) -> list[np.ndarray]:
    """Per output, the (input numel, output numel) Jacobian by central differences."""
    # Perturbed in place, element by element, then restored.  func runs with grad mode on
    # (as in torch: it may register hooks), but its graphs are dropped.
    array = inputs[index]._array
    columns = None
    for j, position in enumerate(np.ndindex(array.shape)):
        original = array[position].copy()
        array[position] = original + eps
        plus = [o._array.astype(np.float64).reshape(-1) for o in _outputs(func, inputs)]
        array[position] = original - eps
        minus = [o._array.astype(np.float64).reshape(-1) for o in _outputs(func, inputs)]
        array[position] = original
        if columns is None:
            columns = [np.zeros((array.size, p.size)) for p in plus]
        for k, (p, m) in enumerate(zip(plus, minus)):
            if p.shape != m.shape or p.size != columns[k].shape[1]:
                raise GradcheckError(f"Expected `func` to return outputs with the same shape "
                                     f"when inputs are perturbed on index {j} by {eps}")
            columns[k][j] = (p - m) / (2 * eps)
    if columns is None:  # an empty input
        columns = [np.zeros((0, o._array.size)) for o in _outputs(func, inputs)]
    return columns


def _analytical(outputs, inputs, wrt) -> list[list[np.ndarray]]:
    """[output][input] Jacobians (input numel, output numel) from the engine's backward."""
    result = []
    targets = [inputs[i] for i in wrt]
    for out in outputs:
        per_input = [np.zeros((t._array.size, out._array.size)) for t in targets]
        if isinstance(out, Tensor) and out.requires_grad:
            for k in range(out._array.size):
                seed = np.zeros(out._array.size, dtype=out._array.dtype)
                seed[k] = 1
                grads = autograd.grad(out, targets, grad_outputs=_detached(seed.reshape(
                    out._array.shape)), retain_graph=True, allow_unused=True)
                for i, g in enumerate(grads):
                    if g is not None:
                        per_input[i][:, k] = g._array.astype(np.float64).reshape(-1)
        result.append(per_input)
    return result


def _forward_mode(func, inputs, wrt, outputs) -> list[list[np.ndarray]]:
    """[output][input] Jacobians by forward mode: one JVP per input element."""
    from verifier.engine.func import jvp
    result = [[np.zeros((inputs[i]._array.size, o._array.size)) for i in wrt] for o in outputs]
    tensors = [i for i, t in enumerate(inputs) if isinstance(t, Tensor)]
    for n, index in enumerate(wrt):
        x = inputs[index]
        for j in range(x._array.size):
            tangents = []
            for i in tensors:
                tangent = np.zeros_like(inputs[i]._array)
                if i == index:
                    tangent.reshape(-1)[j] = 1
                tangents.append(_detached(tangent))

            def along(*chosen):
                full = list(inputs)
                for i, t in zip(tensors, chosen):
                    full[i] = t
                return _outputs(func, full)
            _, derivatives = jvp(along, [inputs[i] for i in tensors], tangents)
            for k, d in enumerate(_as_tuple(derivatives)):
                result[k][n][j] = d._array.astype(np.float64).reshape(-1)
    return result


def _show(array: np.ndarray, like: Tensor):
    from verifier.engine.creation import tensor
    return tensor(array.astype(like._array.dtype))


def gradcheck(func, inputs, *, eps: float = 1e-06, atol: float = 1e-05, rtol: float = 0.001,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """True when the engine's gradients of `func` at `inputs` match finite differences."""
    inputs = _as_tuple(inputs)
    wrt = _differentiable(inputs)
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for i in wrt:
        if inputs[i]._array.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ", stacklevel=2)
    try:
        outputs = _outputs(func, inputs)
        numerical = [_numerical(func, inputs, i, eps) for i in wrt]
        checks = []
        if check_backward_ad:
            checks.append(("", _analytical(outputs, inputs, wrt)))
        if check_forward_ad:
            checks.append(("(forward mode) ", _forward_mode(func, inputs, wrt, outputs)))
        for mode, analytical in checks:
            for k in range(len(outputs)):
                for n, i in enumerate(wrt):
                    a, num = analytical[k][n], numerical[n][k]
                    if not np.allclose(a, num, rtol=rtol, atol=atol):
                        raise GradcheckError(
                            f"Jacobian {mode}mismatch for output {k} with respect to input {n},\n"
                            f"numerical:{_show(num, inputs[i])!r}\n"
                            f"analytical:{_show(a, inputs[i])!r}\n")
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-06, atol: float = 1e-05,
                  rtol: float = 0.001, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """gradcheck of the gradient: the second derivatives of `func` against finite differences.

    Without `grad_outputs`, random ones in [-1, 1) of each differentiable output's
    shape and dtype are drawn (as torch does).
    """
    inputs = _as_tuple(inputs)
    outputs = _outputs(func, inputs)
    differentiable_outputs = [o for o in outputs if o.requires_grad]
    if grad_outputs is None:
        from verifier.engine.random_state import default_generator
        rng = default_generator().numpy
        grad_outputs = tuple(_detached(rng.uniform(-1, 1, o._array.shape).astype(o._array.dtype))
                             for o in differentiable_outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    grad_outputs = tuple(v.detach().requires_grad_(True) if v._array.dtype.kind == "f" else v
                         for v in grad_outputs)
    n_inputs = len(inputs)
    wrt = _differentiable(inputs)

    def first_derivatives(*values):
        xs, vs = values[:n_inputs], values[n_inputs:]
        with enable_grad():  # gradcheck evaluates its finite differences under no_grad
            outs = [o for o in _outputs(func, xs) if o.requires_grad]
            grads = autograd.grad(outs, [xs[i] for i in wrt], grad_outputs=list(vs),
                                  create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev)
