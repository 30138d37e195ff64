"""Our search-space syntax (``genautoml.schema.space``) translated to hyperopt, in one place.

In YAML a parameter's space is one of::

    lr: {loguniform: [1.0e-4, 1.0e-2]}   # bounds in real units (not log)
    batch_size: {choice: [32, 64, 128]}
    dropout: {uniform: [0.0, 0.5]}
    hidden: {int: [32, 256]}             # inclusive; comes back as an int
    width: {quniform: [32, 256, 32]}     # multiples of q; ints when low, high, q are ints
    epochs: 20                           # a bare value is {const: 20}

Everything hyperopt-specific (log bounds, index-valued choices, unique labels) lives here.
"""

from __future__ import annotations

import math
from typing import Any

from genautoml.schema.space import ParamSpace


def to_hyperopt(label: str, space: ParamSpace):
    """One parameter as a hyperopt expression; ``label`` must be unique in the whole space."""
    from hyperopt import hp
    from hyperopt.pyll import scope

    kind, value = space.kind, space.value
    if kind == "const":
        return value
    if kind == "choice":
        return hp.choice(label, list(value))
    if kind == "uniform":
        return hp.uniform(label, value[0], value[1])
    if kind == "loguniform":
        return hp.loguniform(label, math.log(value[0]), math.log(value[1]))
    if kind == "int":
        # Widen by just under a half on each side so the end points are as likely as the rest.
        return scope.int(hp.quniform(label, value[0] - 0.499, value[1] + 0.499, 1))
    low, high, q = value
    # hyperopt's own quniform rounds a uniform draw on [low, high] to a multiple of q, which
    # can fall outside the bounds ([10, 100, 32] draws 0); draw the multiple's index instead.
    index = scope.int(hp.quniform(label, math.ceil(low / q) - 0.499, math.floor(high / q) + 0.499, 1))
    return scope.int(index * int(q)) if all(float(v).is_integer() for v in value) else index * q


def family_space(families: dict[str, dict[str, ParamSpace]]):
    """The conditional (CASH) space: a top-level choice over families, parameters namespaced."""
    from hyperopt import hp

    options = []
    for family, params in families.items():
        options.append(
            {
                "family": family,
                "params": {name: to_hyperopt(f"{family}.{name}", spec) for name, spec in params.items()},
            }
        )
    return hp.choice("family", options)


def plain(value: Any) -> Any:
    """numpy scalars from hyperopt into plain Python values (JSON and pickling friendly)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value
