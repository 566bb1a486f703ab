"""Ops that select elements: max min median (with dim: values and indices), sort topk cummax cummin.

Each forward gives the values, the differentiable output; the indices come from
`others` (the engine returns torch's named tuple). The gradient goes to the
selected elements: `index_scatter` puts g at the selected positions (summing where
cummax selects one element several times), and is itself differentiable.
Without dim, max/min/median share the gradient evenly among tied elements (torch's
evenly_distribute_backward); with dim, the selected index alone gets it.

Ties: max/min/median with dim select the first index among ties, sort is stable,
cummax/cummin select the last index, as torch 2.13 on CPU. torch does not specify
which of tied elements topk selects: the oracle derives both orders there and
the elements whose gradient depends on the choice are undefined, either value
accepted (oracle/ties.py).
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import _one
from verifier.ops.promotion import binary
from verifier.ops.reductions import _extreme_vjp, _kept
from verifier.ops.registry import Op, Param, register
from verifier.ops.slices import full_index, map_slices, plain, stable_argsort
from verifier.ops.symbolic import LazyModule, elementwise2, kink, reduce_object

select = LazyModule("verifier.ops.sympy_selection")

ONE_DIM = (Param("dim", None, "int"), Param("keepdim", False, "bool"))
INDICES = np.int64


def _squeezed(index, dim, keepdim):
    return index if keepdim else np.squeeze(index, axis=dim)


def _scatter_back(ns, g, x, index, dim):
    """Gradient g (laid out like `index`) added at the positions index names along dim."""
    return ns.index_scatter(g, tuple(x.shape), full_index(index, dim))


# --- max min median: one int dim, or none --------------------------------------------
def _selector(picks):
    """picks(a, axis) -> the selected index along axis (keepdims), for a dim reduction."""
    def indices(a, dim=None, keepdim=False):
        if dim is None or isinstance(dim, np.ndarray):
            return None
        if np.ndim(a) == 0:
            _one(dim, 0)
            return (np.zeros((), dtype=INDICES),)
        d = _one(dim, np.ndim(a))
        return (_squeezed(picks(a, d).astype(INDICES), d, keepdim),)
    return indices


def _first_max(a, d):
    return np.expand_dims(np.argmax(a, axis=d), d)


def _first_min(a, d):
    return np.expand_dims(np.argmin(a, axis=d), d)


def _lower_median(a, d):
    n = a.shape[d]
    order = stable_argsort(a, d, descending=False)
    return np.take(order, [(n - 1) // 2], axis=d)


def _values(picks, whole, alias=None):
    def forward(a, dim=None, keepdim=False):
        if isinstance(dim, np.ndarray) and alias is not None:
            return binary(alias)(a, dim)  # max(input, other): the elementwise maximum
        if dim is None:
            return np.asarray(whole(a))
        if np.ndim(a) == 0:
            _one(dim, 0)
            return np.array(a)
        d = _one(dim, np.ndim(a))
        return _squeezed(np.take_along_axis(a, picks(a, d), axis=d), d, keepdim)
    return forward


def _selection_vjp(picks, whole_vjp):
    def vjp(ns, g, out, x, dim=None, keepdim=False, selected=None):
        if dim is None:
            return (whole_vjp(ns, g, out, x),)
        if x.ndim == 0:
            return (g,)
        d = _one(dim, x.ndim)
        index = picks(plain(x), d) if selected is None else selected
        return (_scatter_back(ns, _kept(ns, g, x, dim, keepdim), x, index, d),)
    return vjp


def _selected(picks):
    """The kept-dim index of the selected elements (None without dim: torch saves x then)."""
    def selects(a, dim=None, keepdim=False):
        if dim is None or np.ndim(a) == 0:
            return None
        return picks(a, _one(dim, np.ndim(a)))
    return selects


def _even_share_vjp(ns, g, out, x):
    # Every element equal to the result gets g / (how many there are), torch's rule.
    return _extreme_vjp(ns, g, out, x, None, False)[0]


def _median_whole(a):
    flat = np.sort(np.ravel(a))
    return flat[(flat.size - 1) // 2]


def _sympy_selection(rank_of, descending, whole, alias=None):
    def form(a, dim=None, keepdim=False):
        if isinstance(dim, np.ndarray) and alias is not None:
            return elementwise2(lambda u, v: getattr(kink, alias)(u, v))(a, dim)
        if dim is None:
            return reduce_object(a, None, False, whole)
        if np.ndim(a) == 0:
            return np.asarray(a, dtype=object), np.zeros((), dtype=object)
        d = _one(dim, np.ndim(a))
        values = map_slices(a, d, lambda xs: [select.order_stat(rank_of(len(xs)), descending, xs)])
        index = map_slices(a, d, lambda xs: [select.order_index(rank_of(len(xs)), descending, xs)])
        return _squeezed(values, d, keepdim), _squeezed(index, d, keepdim)
    return form


def _torch_selection(name):
    def call(torch, x, dim=None, keepdim=False):
        fn = getattr(torch, name)
        if torch.is_tensor(dim):
            return fn(x, dim)  # max(input, other)
        return fn(x) if dim is None else fn(x, dim, keepdim=keepdim)
    return call


for _name, _picks, _whole, _rank, _descending, _sym_whole, _alias, _doc in (
        ("max", _first_max, np.amax, lambda n: 0, True, lambda xs: kink.TiedMax(*xs), "maximum",
         "the largest element"),
        ("min", _first_min, np.amin, lambda n: 0, False, lambda xs: kink.tied_min(*xs), "minimum",
         "the smallest element"),
        ("median", _lower_median, _median_whole, lambda n: (n - 1) // 2, False,
         lambda xs: select.even_order_stat((len(xs) - 1) // 2, False, xs), None,
         "the lower median (the smaller of the two middle elements)")):
    register(Op(
        name=_name, inputs=("input",), params=ONE_DIM, kind="reduction",
        forward=_values(_picks, _whole, getattr(np, _alias) if _alias else None),
        vjp=_selection_vjp(_picks, _even_share_vjp),
        sympy=_sympy_selection(_rank, _descending, _sym_whole, _alias),
        torch=_torch_selection(_name),
        uses_out=True,
        extra={"return_type": (_name, ("values", "indices")), "others": _selector(_picks),
               "selects": _selected(_picks),
               **({"binary_alias": _alias} if _alias else {})},
        kinks=f"{_name}: without dim, tied elements share the gradient evenly; with dim, the "
              "selected index alone gets it (the first among ties)",
        doc=f"{_doc}: {_name}(x) of every element, or {_name}(x, dim, keepdim=false) = "
            "(values, indices); write [0] for the values",
    ))


# --- sort topk -----------------------------------------------------------------------
def _sort_indices(a, dim=-1, descending=False, stable=False):
    if np.ndim(a) == 0:
        _one(dim, 0)
        return np.zeros((), dtype=INDICES)
    return stable_argsort(a, _one(dim, np.ndim(a)), descending).astype(INDICES)


def _sort(a, dim=-1, descending=False, stable=False):
    if np.ndim(a) == 0:
        return np.array(a)
    return np.take_along_axis(a, _sort_indices(a, dim, descending), axis=_one(dim, np.ndim(a)))


def _sort_vjp(ns, g, out, x, dim=-1, descending=False, stable=False, selected=None):
    # Sorting permutes: each element gets the gradient of the place it was sorted to.
    if x.ndim == 0:
        return (g,)
    index = _sort_indices(plain(x), dim, descending) if selected is None else selected
    return (_scatter_back(ns, g, x, index, _one(dim, x.ndim)),)


def _sort_sympy(a, dim=-1, descending=False, stable=False):
    if np.ndim(a) == 0:
        return np.asarray(a, dtype=object), np.zeros((), dtype=object)
    d = _one(dim, np.ndim(a))
    values = map_slices(a, d, lambda xs: [select.order_stat(k, descending, xs) for k in range(len(xs))])
    index = map_slices(a, d, lambda xs: [select.order_index(k, descending, xs) for k in range(len(xs))])
    return values, index


register(Op(
    name="sort", inputs=("input",),
    params=(Param("dim", -1, "int"), Param("descending", False, "bool"), Param("stable", False, "bool")),
    kind="reduction",
    forward=_sort, vjp=_sort_vjp, sympy=_sort_sympy,
    torch=lambda torch, x, dim=-1, descending=False, stable=False: torch.sort(
        x, dim=dim, descending=descending, stable=stable),
    extra={"return_type": ("sort", ("values", "indices")), "node_name": "SortBackward1",
           "others": lambda a, **p: (_sort_indices(a, **p),),
           "selects": lambda a, **p: _sort_indices(a, **p) if np.ndim(a) else None},
    kinks="ties keep their index order (a stable sort), as torch on CPU",
    doc="sort(x, dim=-1, descending=false) = (values, indices); write [0] for the values",
))


def _topk_indices(a, k, dim=-1, largest=True, sorted=True):  # noqa: A002  torch's name
    d = _one(dim, np.ndim(a))
    if not 0 <= k <= (a.shape[d] if np.ndim(a) else 1):
        raise RuntimeError(f"selected index k out of range: topk asked for k={k} of a dim of "
                           f"size {a.shape[d] if np.ndim(a) else 1}")
    if np.ndim(a) == 0:
        return np.zeros((), dtype=INDICES)
    order = stable_argsort(a, d, descending=largest).astype(INDICES)
    return np.take(order, range(k), axis=d)


def _topk(a, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    if np.ndim(a) == 0:
        _topk_indices(a, k, dim)
        return np.array(a)
    return np.take_along_axis(a, _topk_indices(a, k, dim, largest), axis=_one(dim, np.ndim(a)))


def _topk_vjp(ns, g, out, x, k, dim=-1, largest=True, sorted=True, selected=None):  # noqa: A002
    if x.ndim == 0:
        return (g,)
    index = _topk_indices(plain(x), k, dim, largest) if selected is None else selected
    return (_scatter_back(ns, g, x, index, _one(dim, x.ndim)),)


def _topk_sympy(a, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    if np.ndim(a) == 0:
        return np.asarray(a, dtype=object), np.zeros((), dtype=object)
    d = _one(dim, np.ndim(a))
    ties = select.tie_mode(open_order=True)  # torch does not say which tied element topk takes
    values = map_slices(a, d, lambda xs: [select.order_stat(j, largest, xs, ties) for j in range(k)])
    index = map_slices(a, d, lambda xs: [select.order_index(j, largest, xs, ties) for j in range(k)])
    return values, index


register(Op(
    name="topk", inputs=("input",),
    params=(Param("k", kind="int"), Param("dim", -1, "int"), Param("largest", True, "bool"),
            Param("sorted", True, "bool")),
    kind="reduction",
    forward=_topk, vjp=_topk_vjp, sympy=_topk_sympy,
    torch=lambda torch, x, k, dim=-1, largest=True, sorted=True: torch.topk(  # noqa: A006
        x, k, dim=dim, largest=largest, sorted=sorted),
    extra={"return_type": ("topk", ("values", "indices")), "open_ties": True,
           "others": lambda a, k, **p: (_topk_indices(a, k, **p),),
           "selects": lambda a, k, **p: _topk_indices(a, k, **p) if np.ndim(a) else None},
    kinks="the k largest (or smallest) in order; torch leaves the order of ties unspecified, "
          "so where ties decide which element gets the gradient there is no derivative and "
          "either choice is accepted",
    doc="topk(x, k, dim=-1, largest=true) = (values, indices); write [0] for the values",
))


# --- cummax cummin -------------------------------------------------------------------
def _running_index(a, d, better):
    """The index of the running extreme along d, the last one among ties (torch)."""
    moved = np.moveaxis(a, d, 0)
    index = np.zeros(moved.shape, dtype=INDICES)
    best = moved[0].copy()
    for j in range(1, moved.shape[0]):
        take = better(moved[j], best) | (moved[j] == best)
        index[j] = np.where(take, j, index[j - 1])
        best = np.where(take, moved[j], best)
    return np.moveaxis(index, 0, d)


def _cumulative(better):
    def indices(a, dim):
        if np.ndim(a) == 0:
            _one(dim, 0)
            return np.zeros((), dtype=INDICES)
        return _running_index(a, _one(dim, np.ndim(a)), better)

    def forward(a, dim):
        if np.ndim(a) == 0:
            return np.array(a)
        return np.take_along_axis(a, indices(a, dim), axis=_one(dim, np.ndim(a)))

    def vjp(ns, g, out, x, dim, selected=None):
        # Each output j passes its gradient to the element it selected (summed).
        if x.ndim == 0:
            return (g,)
        index = indices(plain(x), dim) if selected is None else selected
        return (_scatter_back(ns, g, x, index, _one(dim, x.ndim)),)
    return indices, forward, vjp


def _cumulative_sympy(descending):
    # The running max with the last index among ties is the last element of the stable
    # ascending sort of the prefix (the running min: of the stable descending sort).
    def form(a, dim):
        if np.ndim(a) == 0:
            return np.asarray(a, dtype=object), np.zeros((), dtype=object)
        d = _one(dim, np.ndim(a))
        values = map_slices(a, d, lambda xs: [select.order_stat(j, descending, xs[:j + 1])
                                              for j in range(len(xs))])
        index = map_slices(a, d, lambda xs: [select.order_index(j, descending, xs[:j + 1])
                                             for j in range(len(xs))])
        return values, index
    return form


for _name, _better, _descending in (("cummax", np.greater, False), ("cummin", np.less, True)):
    _indices, _forward, _vjp = _cumulative(_better)
    register(Op(
        name=_name, inputs=("input",), params=(Param("dim", kind="int"),), kind="reduction",
        forward=_forward, vjp=_vjp, sympy=_cumulative_sympy(_descending),
        extra={"return_type": (_name, ("values", "indices")),
               "others": lambda a, dim, _i=_indices: (_i(a, dim),),
               "selects": lambda a, dim, _i=_indices: _i(a, dim) if np.ndim(a) else None,
               "saves": (0,)},  # torch keeps x too (for its shape)
        kinks=f"{_name}: each running extreme's gradient goes to the element it selected, the "
              "last index among ties (torch)",
        doc=f"{_name}(x, dim) = (values, indices): the running {_name[3:]} along dim; "
            "write [0] for the values",
    ))
