"""Random numbers: torch.Generator, manual_seed, and the random creation functions.

A Generator wraps a numpy PCG64 generator.  The numbers differ from torch's (no
attempt is made to reproduce torch's Mersenne Twister streams); what torch
guarantees holds: the same seed gives the same numbers, a generator passed as
`generator=` draws from its own stream, shapes, dtypes and ranges are torch's.
"""

from __future__ import annotations

import contextlib
import copy
import types

import numpy as np

from verifier.engine import dtypes
from verifier.engine.tensor import Tensor, _detached


class Generator:
    """torch.Generator: its own stream of random numbers, reseeded with manual_seed."""

    def __init__(self, device="cpu") -> None:
        self.device = device
        self._seed = 67280421310721  # torch's default seed of a new Generator
        self.numpy = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self.numpy = np.random.default_rng(self._seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF)
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> "RngState":
        return RngState(copy.deepcopy(self.numpy.bit_generator.state), self._seed)

    def set_state(self, state: "RngState") -> "Generator":
        if not isinstance(state, RngState):
            raise TypeError(f"expected a state from get_state()/get_rng_state(), got "
                            f"{type(state).__name__}")
        self.numpy.bit_generator.state = copy.deepcopy(state.numpy_state)
        self._seed = state.seed
        return self


class RngState:
    """An opaque saved state of a Generator (torch returns a byte tensor; only round trips matter)."""

    __slots__ = ("numpy_state", "seed")

    def __init__(self, numpy_state, seed: int) -> None:
        self.numpy_state = numpy_state
        self.seed = seed


_DEFAULT = Generator()
_DEFAULT.manual_seed(0)  # the engine's streams start reproducible


def default_generator() -> Generator:
    return _DEFAULT


def manual_seed(seed: int) -> Generator:
    return _DEFAULT.manual_seed(seed)


def seed() -> int:
    return _DEFAULT.seed()


def initial_seed() -> int:
    return _DEFAULT.initial_seed()


def get_rng_state() -> RngState:
    return _DEFAULT.get_state()


def set_rng_state(new_state: RngState) -> None:
    _DEFAULT.set_state(new_state)


def _numpy(generator) -> np.random.Generator:
    return (generator or _DEFAULT).numpy


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(int(n) for n in size[0])
    return tuple(int(n) for n in size)


def _finish(array: np.ndarray, dtype, requires_grad: bool, device=None) -> Tensor:
    from verifier.engine.creation import _device_check
    _device_check(device)
    t = _detached(np.ascontiguousarray(array).astype(dtypes.to_numpy(dtype)))
    if requires_grad:
        t.requires_grad_(True)
    return t


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """Uniform on [0, 1)."""
    return _out(out, _finish(_numpy(generator).random(_shape(size)), dtype, requires_grad, device))


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False) -> Tensor:
    """Standard normal."""
    return _out(out, _finish(_numpy(generator).standard_normal(_shape(size)), dtype, requires_grad,
                             device))


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, low=None, high=None) -> Tensor:
    """randint(high, size) or randint(low, high, size): integers in [low, high), int64 by default."""
    positional = list(args)
    if size is None and positional and isinstance(positional[-1], (tuple, list)):
        size = positional.pop()
    if len(positional) == 2:
        low, high = positional
    elif len(positional) == 1:
        if high is None:
            high = positional[0]
        else:
            low = positional[0]
    if low is None:
        low = 0
    if high is None or size is None:
        raise TypeError("randint() expects randint(high, size) or randint(low, high, size)")
    values = _numpy(generator).integers(int(low), int(high), size=tuple(size))
    return _out(out, _finish(values, dtypes.int64 if dtype is None else dtype, requires_grad, device))


def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    values = _numpy(generator).permutation(int(n))
    return _out(out, _finish(values, dtypes.int64 if dtype is None else dtype, requires_grad, device))


def _like(input, dtype):  # noqa: A002  torch's argument name
    return input._array.shape, input._array.dtype if dtype is None else dtypes.to_numpy(dtype)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,  # noqa: A002
              requires_grad=False, memory_format=None) -> Tensor:
    shape, dtype = _like(input, dtype)
    return _finish(_numpy(generator).random(shape), dtype, requires_grad, device)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,  # noqa: A002
               requires_grad=False, memory_format=None) -> Tensor:
    shape, dtype = _like(input, dtype)
    return _finish(_numpy(generator).standard_normal(shape), dtype, requires_grad, device)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,  # noqa: A002
                 device=None, requires_grad=False, memory_format=None) -> Tensor:
    """randint_like(input, high) or randint_like(input, low, high); the dtype follows input."""
    if high is None:
        low, high = 0, low
    shape, dtype = _like(input, dtype)
    return _finish(_numpy(generator).integers(int(low), int(high), size=shape), dtype,
                   requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False) -> Tensor:
    """Samples of N(mean, std²): tensors broadcast together, or numbers with `size`."""
    mean_array = mean._array if isinstance(mean, Tensor) else mean
    std_array = std._array if isinstance(std, Tensor) else std
    if size is None:
        shape = np.broadcast_shapes(np.shape(mean_array), np.shape(std_array))
    else:
        shape = tuple(size)
    if dtype is None:
        tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
        dtype = tensors[0].dtype if tensors else None
    values = mean_array + std_array * _numpy(generator).standard_normal(shape)
    return _out(out, _finish(values, dtype, requires_grad, device))


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:  # noqa: A002
    """1 with probability input (or p), else 0, in input's dtype."""
    probability = input._array if p is None else p
    draws = _numpy(generator).random(input._array.shape) < probability
    return _out(out, _detached(draws.astype(input._array.dtype)))


def multinomial(input, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator=None, out=None) -> Tensor:
    """Indices drawn with probabilities proportional to each row of `input`.

    Without replacement, as torch: weighted draws first (an exponential race: the
    smallest -log(u)/w wins), then zero-weight categories once the others are used up.
    """
    weights = np.atleast_2d(input._array.astype(np.float64))
    rng = _numpy(generator)
    if not replacement and num_samples > weights.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows = []
    for row in weights:
        if replacement:
            rows.append(rng.choice(row.size, size=num_samples, replace=True, p=row / row.sum()))
        else:
            with np.errstate(divide="ignore"):
                keys = -np.log(rng.random(row.size)) / row
            rows.append(np.argsort(keys, kind="stable")[:num_samples])
    result = np.asarray(rows, dtype=np.int64)
    return _out(out, _detached(result if input._array.ndim == 2 else result[0]))


def _out(out, result: Tensor) -> Tensor:
    """torch's `out=`: the values are written into `out` (its dtype kept), which is returned."""
    if out is None:
        return result
    out._array = result._array.astype(out._array.dtype)
    out._version[0] += 1
    return out


# --- in-place fillers (x.uniform_(), x.normal_(), ...): outside the graph, as torch's ---------
def _fill(self: Tensor, values) -> Tensor:
    from verifier.engine.grad_mode import GRAD_ENABLED
    if GRAD_ENABLED[0] and self.requires_grad and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation. Fill it under `with torch.no_grad():`.")
    self._array[...] = values
    self._version[0] += 1
    return self


def uniform_(self, from_=0.0, to=1.0, *, generator=None) -> Tensor:
    return _fill(self, _numpy(generator).uniform(from_, to, self._array.shape))


def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
    return _fill(self, mean + std * _numpy(generator).standard_normal(self._array.shape))


def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    probability = p._array if isinstance(p, Tensor) else p
    return _fill(self, _numpy(generator).random(self._array.shape) < probability)


def exponential_(self, lambd=1.0, *, generator=None) -> Tensor:
    return _fill(self, _numpy(generator).exponential(1.0 / lambd, self._array.shape))


def random_(self, from_=0, to=None, *, generator=None) -> Tensor:
    """Integers in [from, to); random_(to) draws in [0, to)."""
    if to is None:
        from_, to = 0, (from_ if from_ else 2 ** 24)
    return _fill(self, _numpy(generator).integers(from_, to, self._array.shape))


def attach(tensor_class) -> None:
    for fill in (uniform_, normal_, bernoulli_, exponential_, random_):
        setattr(tensor_class, fill.__name__, fill)
    tensor_class.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p,
                                                                              generator=generator)
    tensor_class.multinomial = multinomial


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Run a block with the default generator's state restored afterwards."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# torch.random: the same functions under the submodule's names.
random = types.SimpleNamespace(manual_seed=manual_seed, seed=seed, initial_seed=initial_seed,
                               get_rng_state=get_rng_state, set_rng_state=set_rng_state,
                               fork_rng=fork_rng, default_generator=_DEFAULT)

FUNCTIONS = {f.__name__: f for f in (
    manual_seed, seed, initial_seed, get_rng_state, set_rng_state, rand, randn, randint, randperm,
    rand_like, randn_like, randint_like, normal, bernoulli, multinomial)}
FUNCTIONS["Generator"] = Generator
FUNCTIONS["default_generator"] = _DEFAULT
FUNCTIONS["random"] = random
