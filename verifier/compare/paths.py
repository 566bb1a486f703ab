"""Which differentiation path each backend takes, to say which of torch's paths agree.

A row's backend name is all the judge knows of how it computed (it never sees
how); this table names the path behind each name, for first and second
order, so that blame can say "reverse mode and torch.func.vjp agree with the
oracle, forward-mode JVPs do not".  CUDA twins take their CPU twin's path.
"""

from __future__ import annotations

# backend -> (the path of the gradients, the path of the order-2 products)
PATHS = {
    "engine": ("the engine's reverse mode", "the engine's double backward"),
    "engine-fwd": ("the engine's forward-mode JVPs", "the engine's forward-over-reverse"),
    "torch": ("torch's reverse mode (.backward())", "torch's double backward (create_graph)"),
    "torch-fwd": ("torch's forward-mode JVPs (forward_ad)",
                  "torch's forward-over-reverse (forward_ad)"),
    "torch-func": ("torch.func.vjp", "torch.func.hessian"),
    "torch-vmap": ("vmap(torch.func.vjp)", "vmap(torch.func.jvp(grad))"),
    "torch-compile": ("torch.compile backward", "torch.compile backward"),
    "fd": ("finite differences", "finite differences"),
}


def path_of(backend: str, quantity: str) -> str:
    """The path `backend` computed `quantity` (value, grad.x, hvp.x) by."""
    base = backend[:-len("-cuda")] if backend.endswith("-cuda") else backend
    first, second = PATHS.get(base, (backend, backend))
    if quantity == "value":
        return "the forward computation"
    where = " on CUDA" if base != backend else ""
    return (second if quantity.startswith("hvp.") else first) + where


def by_path(results: list[tuple[str, bool]], quantity: str) -> str:
    """'reverse mode (.backward()) and torch.func.vjp agree with exact, forward-mode JVPs
    (forward_ad) do not' from (backend, agrees) pairs; '' when one path is involved."""
    verdicts: dict[str, bool] = {}
    for backend, ok in results:
        path = path_of(backend, quantity)
        verdicts[path] = verdicts.get(path, True) and ok
    if len(verdicts) < 2 or quantity == "value":
        return ""
    good = [p for p, ok in verdicts.items() if ok]
    bad = [p for p, ok in verdicts.items() if not ok]
    parts = []
    if good:
        parts.append(f"{_join(good)} agree{'s' * (len(good) == 1)} with exact")
    if bad:
        parts.append(f"{_join(bad)} do{'es' * (len(bad) == 1)} not")
    return f"by path, {quantity}: " + ", ".join(parts)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
