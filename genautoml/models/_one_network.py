"""Checkpoint state and method hand-off for the families whose whole trained state is one network.

Private to genautoml.models; no torch at import (the family modules must import without it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import torch


class OneNetworkState:
    """The methods of a family whose trained state is ``self.model_``, a module that
    ``build(family)`` in the private module ``network_module`` makes untrained: ``state()``
    and ``load_state()``, and ``_fit``, ``sample`` and ``log_likelihood`` handed to that
    module's ``fit(family, train, report)``, ``sample(family, n, generator)`` and
    ``log_likelihood(family, x)`` (imported when called, so declarations stay torch-free).
    A family that does one of these its own way defines it; ``log_likelihood`` is handed on
    only when the family declares ``has_likelihood``.

    List it before ``Family`` in the bases, so that these methods are the ones found.
    """

    #: the private module holding ``build(family) -> nn.Module``, e.g. "genautoml.models._vae_net"
    network_module: ClassVar[str]

    def _network(self):
        return importlib.import_module(self.network_module)

    def _fit(self, train: torch.Tensor, report) -> None:
        self._network().fit(self, train, report)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self._network().sample(self, n, generator)

    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        if not self.has_likelihood:
            raise NotImplementedError(f"family {self.name!r} has no likelihood")
        return self._network().log_likelihood(self, x)

    def state(self) -> dict[str, torch.Tensor]:
        from genautoml.models._torch_utils import module_state, require_fitted

        return module_state(model=require_fitted(self.model_, self.name))

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        import torch

        from genautoml.models._torch_utils import load_module_state

        model = self._network().build(self)
        load_module_state(state, model=model)
        self.model_, self.device_ = model.eval(), torch.device("cpu")
