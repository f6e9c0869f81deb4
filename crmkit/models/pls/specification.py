"""PLS path model specifications: constructs, items, paths and measurement modes, checked.

A model is plain data (see :mod:`crmkit.models.pls`); :func:`check_specification` validates
it and returns a :class:`PLSSpecification` with the constructs in a topological order of the
inner model (Kahn's algorithm). The estimator never sees an unchecked specification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crmkit.errors import ConfigError

__all__ = ["MODES", "PLSSpecification", "check_specification"]

MODES = ("A", "B")


@dataclass(frozen=True)
class PLSSpecification:
    """A validated PLS path model specification.

    Attributes
    ----------
    constructs : dict of str to tuple of str
        Construct -> item column names, in the order given.
    paths : tuple of (str, str)
        Inner-model arrows ``(from, to)``, in the order given.
    modes : dict of str to str
        Construct -> ``"A"`` (reflective, correlation weights) or ``"B"`` (formative,
        regression weights), for every construct.
    order : tuple of str
        The constructs in a topological order of the inner model (causes before effects).
    """

    constructs: dict
    paths: tuple
    modes: dict
    order: tuple

    @property
    def items(self) -> list[str]:
        """All item columns, construct by construct."""
        return [item for items in self.constructs.values() for item in items]

    @property
    def endogenous(self) -> list[str]:
        """Constructs with at least one incoming path, in construct order."""
        targets = {to for _, to in self.paths}
        return [name for name in self.constructs if name in targets]

    def predecessors(self, construct: str) -> list[str]:
        """Constructs with a path into ``construct``, in construct order."""
        sources = {frm for frm, to in self.paths if to == construct}
        return [name for name in self.constructs if name in sources]


def check_specification(constructs, paths, modes=None) -> PLSSpecification:
    """Validate a PLS path model given as plain data.

    Parameters
    ----------
    constructs : mapping of str to list of str
        Construct -> item column names. A single string is taken as a one-item list.
    paths : iterable of (str, str)
        Inner-model arrows ``(from, to)``.
    modes : mapping of str to {"A", "B"}, optional
        Measurement mode per construct; constructs not named use ``"A"`` (reflective).

    Returns
    -------
    PLSSpecification

    Raises
    ------
    ConfigError
        A construct with no items, an item in two constructs (or twice in one), a path
        naming an unknown construct, a self-loop, a repeated path, a cycle (PLS path
        models must be recursive), a construct in no path, or an unknown mode.

    Examples
    --------
    >>> spec = check_specification({"Quality": ["q1", "q2"], "Loyalty": ["l1"]},
    ...                            [("Quality", "Loyalty")])
    >>> spec.order
    ('Quality', 'Loyalty')
    """
    if not isinstance(constructs, Mapping) or not constructs:
        raise ConfigError("the model has no constructs: give at least two, each with its item columns")
    blocks: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name, items in constructs.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"construct names must be non-empty text, got {name!r}")
        if isinstance(items, str):
            items = [items]
        items = list(items) if items is not None else []
        if not items:
            raise ConfigError(f"construct '{name}' has no items", hint="list at least one item column")
        for item in items:
            if not isinstance(item, str) or not item:
                raise ConfigError(f"construct '{name}': item names must be non-empty text, got {item!r}")
            if item in owner:
                where = "twice in construct" if owner[item] == name else f"in both constructs '{owner[item]}' and"
                raise ConfigError(
                    f"item '{item}' is listed {where} '{name}'", hint="each item measures exactly one construct"
                )
            owner[item] = name
        blocks[name] = tuple(items)

    arrows: list[tuple[str, str]] = []
    for path in paths if paths is not None else ():
        if isinstance(path, str) or len(path) != 2:
            raise ConfigError(f"a path must be a (from, to) pair, got {path!r}")
        frm, to = path
        for end in (frm, to):
            if end not in blocks:
                raise ConfigError(
                    f"path '{frm}' -> '{to}' names an unknown construct '{end}'",
                    hint="known constructs: " + ", ".join(blocks),
                )
        if frm == to:
            raise ConfigError(f"path '{frm}' -> '{to}' is a self-loop", hint="PLS path models must be recursive")
        if (frm, to) in arrows:
            raise ConfigError(f"path '{frm}' -> '{to}' is listed twice")
        arrows.append((frm, to))
    if not arrows:
        raise ConfigError("the inner model has no paths: give at least one (from, to) pair")
    connected = {end for arrow in arrows for end in arrow}
    for name in blocks:
        if name not in connected:
            raise ConfigError(
                f"construct '{name}' is in no path",
                hint="every construct needs at least one path to take part in the estimation",
            )
    order = _topological_order(list(blocks), arrows)

    mode_of = dict.fromkeys(blocks, "A")
    for name, mode in (modes or {}).items():
        if name not in blocks:
            raise ConfigError(
                f"modes names an unknown construct '{name}'", hint="known constructs: " + ", ".join(blocks)
            )
        text = str(mode).strip().upper()
        if text not in MODES:
            raise ConfigError(f"construct '{name}': mode must be 'A' (reflective) or 'B' (formative), got {mode!r}")
        mode_of[name] = text
    return PLSSpecification(constructs=blocks, paths=tuple(arrows), modes=mode_of, order=order)


def _topological_order(names: list[str], arrows: list[tuple[str, str]]) -> tuple[str, ...]:
    """Causes before effects (Kahn's algorithm); a cycle raises ConfigError naming it."""
    successors = {name: [to for frm, to in arrows if frm == name] for name in names}
    indegree = dict.fromkeys(names, 0)
    for _, to in arrows:
        indegree[to] += 1
    ready = [name for name in names if indegree[name] == 0]
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for nxt in successors[name]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    if len(order) == len(names):
        return tuple(order)
    # Walk backwards along unresolved arrows until a construct repeats: that loop is a cycle.
    left = {name for name in names if indegree[name] > 0}
    start = next(name for name in names if name in left)
    walk = [start]
    while True:
        prev = next(frm for frm, to in arrows if to == walk[-1] and frm in left)
        if prev in walk:
            loop = walk[walk.index(prev) :] + [prev]
            break
        walk.append(prev)
    cycle = " -> ".join(reversed(loop))
    raise ConfigError(
        f"the inner model has a cycle: {cycle}", hint="PLS path models must be recursive; remove one of these paths"
    )
