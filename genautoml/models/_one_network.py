"""Checkpoint state for the families whose whole trained state is one network.

Private to genautoml.models; no torch at import (the family modules must import without it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    import torch


class OneNetworkState:
    """``state()`` and ``load_state()`` of a family whose trained state is ``self.model_``,
    a module that ``build(family)`` in the private module ``network_module`` makes untrained.

    List it before ``Family`` in the bases, so that these methods are the ones found.
    """

    #: the private module holding ``build(family) -> nn.Module``, e.g. "genautoml.models._vae_net"
    network_module: ClassVar[str]

    def state(self) -> dict[str, torch.Tensor]:
        from genautoml.models._torch_utils import module_state, require_fitted

        return module_state(model=require_fitted(self.model_, self.name))

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        import torch

        from genautoml.models._torch_utils import load_module_state

        model = importlib.import_module(self.network_module).build(self)
        load_module_state(state, model=model)
        self.model_, self.device_ = model.eval(), torch.device("cpu")
