"""Tensor operators and methods, each a thin call into the registry.

Binary operators take the fast path (`apply` with the op object bound once);
methods come from every registry entry with `method=True`, and the in-place
`op_` methods from `INPLACE`.
"""

from __future__ import annotations

from verifier.engine.function import apply, apply_inplace
from verifier.engine.functional import FUNCTIONS
from verifier.engine.tensor import Tensor
from verifier.ops.registry import all_ops

OPS = all_ops()
_ADD, _SUB, _MUL, _DIV, _POW = (OPS[n] for n in ("add", "sub", "mul", "div", "pow"))
_MATMUL, _NEG, _INDEX = OPS["matmul"], OPS["neg"], OPS["index"]
_EMPTY: dict = {}


def _binary(op):
    def forward(self, other):
        return apply(op, (self, other), _EMPTY)

    def reflected(self, other):
        return apply(op, (other, self), _EMPTY)
    return forward, reflected


def _inplace_operator(op):
    def method(self, other):
        return apply_inplace(op, self, (other,), _EMPTY)
    return method


for _name, _op in (("add", _ADD), ("sub", _SUB), ("mul", _MUL), ("truediv", _DIV),
                   ("pow", _POW), ("matmul", _MATMUL)):
    _fwd, _refl = _binary(_op)
    setattr(Tensor, f"__{_name}__", _fwd)
    setattr(Tensor, f"__r{_name}__", _refl)
    setattr(Tensor, f"__i{_name}__", _inplace_operator(_op))

Tensor.__div__ = Tensor.__truediv__
Tensor.__neg__ = lambda self: apply(_NEG, (self,), _EMPTY)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: FUNCTIONS["abs"](self)


def _compare(ufunc_name):
    import numpy as np
    ufunc = getattr(np, ufunc_name)

    def method(self, other):
        # Comparisons give bool tensors outside the graph, as in torch.
        other_array = other._array if isinstance(other, Tensor) else other
        from verifier.engine.tensor import wrap
        return wrap(np.asarray(ufunc(self._array, other_array)))
    return method


for _dunder, _ufunc in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                        ("ge", "greater_equal"), ("eq", "equal"), ("ne", "not_equal")):
    setattr(Tensor, f"__{_dunder}__", _compare(_ufunc))


def _getitem(self, index):
    return apply(_INDEX, (self,), {"index": _numpy_index(index)})


def _numpy_index(index):
    """Convert tensors inside an index to arrays (bool masks and integer lists)."""
    if isinstance(index, Tensor):
        return index._array
    if isinstance(index, tuple):
        return tuple(_numpy_index(i) for i in index)
    if isinstance(index, list):
        import numpy as np
        return np.asarray([i._array if isinstance(i, Tensor) else i for i in index])
    return index


Tensor.__getitem__ = _getitem


def _setitem(self, index, value):
    from verifier.engine.grad_mode import GRAD_ENABLED
    if GRAD_ENABLED[0] and (self.requires_grad or getattr(value, "requires_grad", False)):
        raise RuntimeError("index assignment into a tensor that requires grad is not supported by "
                           "the verifier engine; build the tensor with cat/stack/where instead, "
                           "or assign under no_grad()")
    self._array[_numpy_index(index)] = value._array if isinstance(value, Tensor) else value
    self._version[0] += 1


Tensor.__setitem__ = _setitem


def _method(function, varargs_param):
    if varargs_param:
        # x.reshape(2, 3) as well as x.reshape((2, 3)), as torch allows.
        def method(self, *args, **kwargs):
            if args and all(isinstance(a, int) for a in args) and varargs_param not in kwargs:
                args = (tuple(args),)
            return function(self, *args, **kwargs)
    else:
        def method(self, *args, **kwargs):
            return function(self, *args, **kwargs)
    method.__name__ = function.__name__
    method.__doc__ = function.__doc__
    return method


for _name, _op in OPS.items():
    if _op.method and not _op.variadic and not hasattr(Tensor, _name):
        setattr(Tensor, _name, _method(FUNCTIONS[_name], _op.extra.get("varargs")))


def _inplace_method(op):
    def method(self, *args, **kwargs):
        _, params = op.bind((self,) + args, dict(kwargs))
        others = args[:len(op.inputs) - 1]
        return apply_inplace(op, self, others, params)
    method.__name__ = op.name + "_"
    return method


INPLACE = ("add", "sub", "mul", "div", "pow", "clamp", "abs", "exp", "neg", "sqrt", "relu",
           "sigmoid", "tanh", "log", "sin", "cos")
for _name in INPLACE:
    if _name in OPS:
        setattr(Tensor, _name + "_", _inplace_method(OPS[_name]))


def _copy_(self, src, non_blocking=False):
    return apply_inplace(OPS["copy_from"], self, (src,), _EMPTY) if "copy_from" in OPS else \
        _copy_without_graph(self, src)


def _copy_without_graph(self, src):
    import numpy as np
    np.copyto(self._array, src._array if isinstance(src, Tensor) else src, casting="unsafe")
    self._version[0] += 1
    return self


def _zero_(self):
    return self.fill_(0)


def _fill_(self, value):
    if "fill_value" in OPS:
        return apply_inplace(OPS["fill_value"], self, (), {"value": value})
    return _copy_without_graph(self, value)


def _t_(self):
    if self._array.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self._array.ndim}D")
    if self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    result = FUNCTIONS["t"](self) if "t" in OPS else None
    self._array = result._array
    self.grad_fn = result.grad_fn
    self._version[0] += 1
    return self


Tensor.copy_ = _copy_
Tensor.zero_ = _zero_
Tensor.fill_ = _fill_
Tensor.t_ = _t_
Tensor.T = property(lambda self: FUNCTIONS["permute"](self, tuple(reversed(range(self._array.ndim))))
                    if "permute" in OPS else None)
Tensor.mT = property(lambda self: FUNCTIONS["transpose"](self, -2, -1))
