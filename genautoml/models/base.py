"""The family contract: what every generative model family provides.

A family is a thin adapter over a private torch module (synthcity's plugin shape): the
class in ``models/<family>.py`` holds the declaration (name, modalities, summary, default
space, keyword hyperparameters) and the public methods; its networks, training loop and
helpers live in a private module (``models/_<family>_net.py``) that those methods import
when called, so reading the declarations (``genautoml validate``) does not import torch.

- ``__init__(spec, *, <explicit keyword hyperparameters>)``: stores them as attributes of
  the same name (scikit-learn style); no ``**kwargs``, so a typo in a config is an error.
- ``fit(train, report, seed=, device=)``: the public method seeds, moves data, checks
  the spec, then calls the private ``_fit(train, report)``. ``report(epoch)`` is called
  after every epoch and may raise ``TrialPruned`` / ``TrialTimeout``; the caller scores the
  model there (on its own held-out data), so figures are comparable across families.
  Learned state lives in attributes ending in ``_``.
- ``sample(n, generator)``: ``n`` examples in the *encoded* space, on the CPU.
- ``log_likelihood(x)``: optional, nats per example of encoded ``x`` (``has_likelihood``).
- ``generate(prompt, length, generator, *, temperature, top_k)``: optional, for
  autoregressive families over discrete tokens (text prompts): (n, P) -> (n, length).
  A family that has it satisfies the ``Autoregressive`` protocol.
- ``extends_epochs``: whether final training may run past the tuned ``epochs`` (the class
  attribute says when that is sound).
- ``state()`` / ``load_state()``: plain tensors only, so checkpoints load with
  ``torch.load(weights_only=True)``; ``get_params()`` and the spec are the JSON half
  (genautoml/pipeline/checkpoint.py). ``load_state`` builds on the CPU; ``to(device)``
  moves a fitted or loaded model.
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Optional

from genautoml.errors import TrialDiverged
from genautoml.spec import Autoregressive, EncodedSpec  # noqa: F401 (Autoregressive: re-exported for families)

if TYPE_CHECKING:
    import torch

Report = Callable[[int], None]


@dataclass(frozen=True)
class Bound:
    """The valid range of a numeric hyperparameter; ``open_low``: ``low`` itself is not valid."""

    low: float
    high: float
    open_low: bool = False
    open_high: bool = False

    def problem(self, value: float) -> Optional[str]:
        """Why ``value`` is out of range, or None."""
        below = value <= self.low if self.open_low else value < self.low
        above = value >= self.high if self.open_high else value > self.high
        if not (below or above) and math.isfinite(value):
            return None
        left, right = "(" if self.open_low else "[", ")" if self.open_high else "]"
        return f"expected a value in {left}{self.low:g}, {self.high:g}{right}, got {value!r}"


#: the ranges of hyperparameters families share by name; a family adds or narrows its own
#: with ``bounds``. Sizes have ceilings so a typo (hidden: 1e9) is an error, not an attempt
#: at a terabyte allocation.
PARAM_BOUNDS: dict[str, Bound] = {
    "lr": Bound(0, 10, open_low=True),
    "d_lr_ratio": Bound(0, 1000, open_low=True),
    "batch_size": Bound(1, 65536),
    "epochs": Bound(1, 1_000_000),
    "epoch_share": Bound(0, 1, open_low=True),
    "latent_dim": Bound(1, 4096),
    "hidden": Bound(1, 16384),
    "width": Bound(1, 16384),
    "embed_dim": Bound(1, 16384),
    "depth": Bound(1, 64),
    "layers": Bound(1, 64),
    "heads": Bound(1, 64),
    "beta": Bound(0, 1000),
    "dropout": Bound(0, 1, open_high=True),
    "ema": Bound(0, 1, open_high=True),
    "mix_share": Bound(0, 1),
    "order": Bound(1, 256),
    "bins": Bound(2, 256),
    "bptt": Bound(0, 1_000_000),
    "kernel_size": Bound(1, 1024),
    "phase_shuffle": Bound(0, 64),
}


class Family(ABC):
    name: ClassVar[str]
    modalities: ClassVar[tuple[str, ...]]
    #: default search space in our YAML space syntax (see genautoml/search/space.py)
    default_space: ClassVar[dict[str, Any]]
    has_likelihood: ClassVar[bool] = False
    #: True when ``epochs`` is a plain count of alike epochs (no learning-rate schedule tied
    #: to it, nothing done after the last one), so final training may run past the tuned
    #: count and keep the state of any epoch (genautoml/pipeline/extend.py).
    extends_epochs: ClassVar[bool] = False
    #: a one-line description for `genautoml models`
    summary: ClassVar[str] = ""
    #: ranges of this family's own numeric hyperparameters, beside (or over) PARAM_BOUNDS
    bounds: ClassVar[dict[str, Bound]] = {}

    def __init__(self, spec: EncodedSpec):
        import torch

        self.spec = spec
        # Built on the CPU; fit() and to() move the model.
        self.device_ = torch.device("cpu")

    # ---- hyperparameters ------------------------------------------------------------
    @classmethod
    def param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        signature = inspect.signature(cls.__init__)
        return {name: signature.parameters[name].default for name in cls.param_names()}

    @classmethod
    def param_bounds(cls) -> dict[str, Bound]:
        """The range of each numeric hyperparameter that has one."""
        names = set(cls.param_names())
        return {name: bound for name, bound in {**PARAM_BOUNDS, **cls.bounds}.items() if name in names}

    @classmethod
    def param_annotations(cls) -> dict[str, Any]:
        hints = inspect.get_annotations(cls.__init__, eval_str=True)
        return {name: hints.get(name, Any) for name in cls.param_names()}

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.param_names()}

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        """Whether this family can model data encoded as ``spec``; override to narrow."""
        return spec.kind == "vector"

    # ---- training -------------------------------------------------------------------
    def fit(self, train: torch.Tensor, report: Optional[Report] = None, *, seed: int = 0, device: str = "cpu") -> Family:
        import torch

        if not self.supports(self.spec):
            raise ValueError(f"family {self.name!r} cannot model {self.spec}")
        torch.manual_seed(seed)
        self.device_ = torch.device(device)
        self._fit(train.to(self.device_), report or _no_report)
        return self

    @abstractmethod
    def _fit(self, train: torch.Tensor, report: Report) -> None: ...

    @staticmethod
    def check_finite(loss: torch.Tensor | float, what: str = "loss") -> None:
        value = float(loss)
        if not math.isfinite(value):
            raise TrialDiverged(f"{what} became {value}")

    @abstractmethod
    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor: ...

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"family {self.name!r} has no likelihood")

    # ---- persistence ----------------------------------------------------------------
    @abstractmethod
    def state(self) -> dict[str, torch.Tensor]: ...

    @abstractmethod
    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        """Rebuild the learned modules from ``state``, on the CPU (see ``to``)."""

    def to(self, device: str | torch.device) -> Family:
        """Move the learned modules (attributes ending in ``_``, nested families too) to ``device``."""
        import torch

        self.device_ = torch.device(device)
        for name, value in vars(self).items():
            if name.endswith("_") and isinstance(value, (torch.nn.Module, Family)):
                value.to(self.device_)
        return self


def _no_report(epoch: int) -> None:
    return None
