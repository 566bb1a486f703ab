"""max_pool1d/2d and avg_pool1d/2d.

Windows are gathered with one index map (padding, stride, dilation and
ceil_mode decided once, in numpy).  avg_pool is a composite: the windows' sums
divided by torch's divisor per output position.  max_pool has its own VJP,
because torch sends a window's whole gradient to its *first* maximal element
(scan order), not shared among ties as amax does; the VJP is a scatter to
those positions, so the second derivative is a gather from them (torch's too).
"""

from __future__ import annotations

import numpy as np

from verifier.ops.composite import constant, register_composite
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import LazyModule

steps = LazyModule("verifier.ops.sympy_steps")


def _tuple(value, n):
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value) if len(value) == n else tuple(int(value[0]) for _ in range(n))
    return (int(value),) * n


def _out_size(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


class Windows:
    """Where each window of an N-d pooling reads, in padded coordinates."""

    def __init__(self, shape, nd, kernel_size, stride, padding, dilation, ceil_mode, name):
        self.nd = nd
        self.kernel = _tuple(kernel_size, nd)
        self.stride = _tuple(stride if stride not in (None, [], ()) else kernel_size, nd)
        self.padding = _tuple(padding, nd)
        self.dilation = _tuple(dilation, nd)
        spatial = tuple(shape[-nd:])
        if any(p * 2 > k for p, k in zip(self.padding, self.kernel)):
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but "
                               f"got pad={list(self.padding)}, kernel_size={list(self.kernel)}")
        self.outs = tuple(_out_size(n, k, s, p, d, ceil_mode) for n, k, s, p, d in zip(
            spatial, self.kernel, self.stride, self.padding, self.dilation))
        if any(o <= 0 for o in self.outs):
            raise RuntimeError(f"{name}: Output size is too small ({list(self.outs)}) for input "
                               f"of spatial size {list(spatial)}")
        # right padding: enough for every window (ceil_mode may reach past the input)
        self.right = tuple(max(p, (o - 1) * s + d * (k - 1) + 1 - n - p) for n, o, k, s, p, d in zip(
            spatial, self.outs, self.kernel, self.stride, self.padding, self.dilation))
        self.spatial = spatial

    def pad_widths(self, ndim):
        return [(0, 0)] * (ndim - self.nd) + list(zip(self.padding, self.right))

    def index(self, ndim):
        """An index into the padded input giving (..., o_1..o_nd, k_1..k_nd)."""
        nd = self.nd
        index = [slice(None)] * (ndim - nd)
        for axis, (o, k, s, d) in enumerate(zip(self.outs, self.kernel, self.stride, self.dilation)):
            positions = (np.arange(o) * s)[:, None] + (np.arange(k) * d)[None, :]
            index.append(positions.reshape([o if i == axis else k if i == nd + axis else 1
                                            for i in range(2 * nd)]))
        return tuple(index)

    def inside(self):
        """Per window element: whether it reads the input (not padding): (o..., k...)."""
        ok = np.ones(self.outs + self.kernel, dtype=bool)
        for axis, (o, k, s, d, p, n) in enumerate(zip(self.outs, self.kernel, self.stride,
                                                     self.dilation, self.padding, self.spatial)):
            pos = (np.arange(o) * s)[:, None] + (np.arange(k) * d)[None, :] - p
            good = (pos >= 0) & (pos < n)
            ok &= good.reshape([o if i == axis else k if i == self.nd + axis else 1
                                for i in range(2 * self.nd)])
        return ok


def _check_rank(x_shape, nd, name):
    if len(x_shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D input, but got input of size "
                           f"{list(x_shape)}")


# --- max_pool ---------------------------------------------------------------------------
def _max_windows(x, nd, kernel_size, stride, padding, dilation, ceil_mode, name):
    x = np.asarray(x)
    _check_rank(x.shape, nd, name)
    w = Windows(x.shape, nd, kernel_size, stride, padding, dilation, ceil_mode, name)
    padded = np.pad(x, w.pad_widths(x.ndim), constant_values=-np.inf)
    patches = padded[w.index(x.ndim)]
    flat = patches.reshape(patches.shape[:x.ndim] + (-1,))
    return w, flat


def _first_max(flat):
    # torch keeps the first strict maximum (NaN counts as a maximum)
    nan = np.isnan(flat)
    return np.where(nan.any(axis=-1), np.argmax(nan, axis=-1), np.argmax(flat, axis=-1))


def _max_pool(nd, name):
    def forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                return_indices=False):
        if return_indices:
            raise NotImplementedError(f"{name}(return_indices=True) is not supported by the "
                                      "verifier engine; the values alone are differentiable")
        w, flat = _max_windows(x, nd, kernel_size, stride, padding, dilation, ceil_mode, name)
        chosen = _first_max(flat)
        return np.take_along_axis(flat, chosen[..., None], axis=-1)[..., 0]

    def vjp(ns, g, out, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
            return_indices=False):
        # the whole gradient of a window goes to its first maximal element
        values = np.asarray(getattr(x, "_array", x))
        w, flat = _max_windows(values, nd, kernel_size, stride, padding, dilation, ceil_mode, name)
        chosen = _first_max(flat)
        lead = values.ndim - nd
        k_pos = np.unravel_index(chosen, w.kernel)
        index = []
        grids = np.indices(chosen.shape, sparse=True)
        for axis in range(lead):
            index.append(grids[axis])
        for axis in range(nd):
            o = grids[lead + axis]
            index.append(o * w.stride[axis] + k_pos[axis] * w.dilation[axis] - w.padding[axis])
        return (ns.index_scatter(g, tuple(values.shape), tuple(index)),)

    def sympy(a, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
              return_indices=False):
        from verifier.ops.symbolic import sp

        a = np.asarray(a, dtype=object)
        _check_rank(a.shape, nd, name)
        w = Windows(a.shape, nd, int(kernel_size) if not isinstance(kernel_size, (list, tuple))
                    else kernel_size, stride, padding, dilation, bool(ceil_mode), name)
        padded = np.pad(a, w.pad_widths(a.ndim), constant_values=-sp.oo)
        patches = padded[w.index(a.ndim)]
        flat = patches.reshape(patches.shape[:a.ndim] + (-1,))
        out = np.empty(flat.shape[:-1], dtype=object)
        for pos in np.ndindex(out.shape):
            out[pos] = steps.FirstMax(*flat[pos])
        return out

    return forward, vjp, sympy


MAX_POOL_PARAMS = (Param("kernel_size", kind="shape"), Param("stride", None, "shape"),
                   Param("padding", 0, "shape"), Param("dilation", 1, "shape"),
                   Param("ceil_mode", False, "bool"), Param("return_indices", False, "bool"))

for _nd, _node in ((1, "SqueezeBackward1"), (2, "MaxPool2DWithIndicesBackward0")):
    _name = f"max_pool{_nd}d"
    _forward, _vjp, _sympy = _max_pool(_nd, _name)
    register(Op(
        name=_name, inputs=("input",), params=MAX_POOL_PARAMS, kind="nn",
        forward=_forward, vjp=_vjp, sympy=_sympy, method=False,
        torch=lambda torch, x, _n=_name, **p: getattr(torch.nn.functional, _n)(x, **p),
        domain=(Domain(),), extra={"node_name": _node},
        kinks="a window's gradient goes wholly to its first maximal element in scan order "
              "(torch), not shared among ties",
        doc=f"torch.nn.functional.{_name}(input, kernel_size, stride=None, padding=0, "
            "dilation=1, ceil_mode=False)",
    ))


# --- avg_pool ---------------------------------------------------------------------------
def _divisor(w, count_include_pad, divisor_override):
    """torch's divisor per output position: the window clipped to input + padding, or to the
    input alone (count_include_pad=False), or divisor_override."""
    if divisor_override:
        return np.full(w.outs, float(divisor_override))
    counts = np.ones(w.outs)
    for axis, (o, k, s, p, n) in enumerate(zip(w.outs, w.kernel, w.stride, w.padding, w.spatial)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            end = np.minimum(end, n)
            start = np.maximum(start, 0)
        size = (end - start).astype(float)
        counts = counts * size.reshape([o if i == axis else 1 for i in range(w.nd)])
    return counts


def _avg_pool(nd, name):
    def body(ns, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None):
        _check_rank(tuple(x.shape), nd, name)
        w = Windows(tuple(x.shape), nd, kernel_size, stride, padding, 1, bool(ceil_mode), name)
        ndim = len(x.shape)
        from verifier.ops.nn_layers import pad_body
        flat_pads = [p for pair in reversed(w.pad_widths(ndim)[ndim - nd:]) for p in pair]
        padded = pad_body(ns, x, flat_pads) if any(flat_pads) else x
        patches = ns.index(padded, w.index(ndim))
        sums = ns.sum(patches, dim=list(range(ndim, ndim + nd)))
        divisor = _divisor(w, bool(count_include_pad), divisor_override)
        return sums / constant(ns, np.broadcast_to(divisor, tuple(sums.shape)).copy(), like=x)
    return body


AVG_POOL_PARAMS = (Param("kernel_size", kind="shape"), Param("stride", None, "shape"),
                   Param("padding", 0, "shape"), Param("ceil_mode", False, "bool"),
                   Param("count_include_pad", True, "bool"))

register_composite("avg_pool1d", ("input",), _avg_pool(1, "avg_pool1d"), params=AVG_POOL_PARAMS,
                   node_name="SqueezeBackward1",
                   doc="torch.nn.functional.avg_pool1d(input, kernel_size, stride=None, "
                       "padding=0, ceil_mode=False, count_include_pad=True)")
register_composite("avg_pool2d", ("input",), _avg_pool(2, "avg_pool2d"),
                   params=AVG_POOL_PARAMS + (Param("divisor_override", None, "int"),),
                   node_name="AvgPool2DBackward0",
                   doc="torch.nn.functional.avg_pool2d(input, kernel_size, stride=None, "
                       "padding=0, ceil_mode=False, count_include_pad=True, "
                       "divisor_override=None)")

