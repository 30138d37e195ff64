"""``transformer``: a small causal pre-LayerNorm Transformer over a window of tokens.

A GPT-style decoder: token embedding plus a learned embedding of the position, a stack of
blocks (x + attention(norm(x)), then x + MLP(norm(x))), a final norm, and output logits
through the token embedding (tied weights: fewer parameters to learn from a small corpus).
Every window starts from a learned start vector, so its first token is predicted from
nothing, like the other families. Exact log-likelihood by teacher forcing; exact
ancestral sampling from uniforms drawn on the CPU (the same draw on every device).

``generate`` continues a prompt past the window with a key/value cache; when the window
is full the model restarts from its start vector on the last half window of tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from genautoml.models._one_network import OneNetworkState
from genautoml.models.base import Family
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch

    from genautoml.models._transformer_net import CausalTransformer


@register
class Transformer(OneNetworkState, Family):
    name = "transformer"
    network_module = "genautoml.models._transformer_net"
    modalities = ("text",)
    has_likelihood = True
    # Its learning rate follows the steps taken, not the epochs planned (_transformer_net's
    # _warmup_rsqrt): stopping at any epoch is sound.
    extends_epochs = True
    summary = "small causal pre-LN Transformer (GPT-style) over token windows; exact likelihood"
    # Sized for a CPU: one fit on ~300,000 characters stays within about a minute.
    default_space = {
        "lr": {"loguniform": [2e-3, 1e-2]},
        "batch_size": {"choice": [8, 16, 32]},
        "epochs": {"int": [4, 16]},
        "layers": {"int": [1, 2]},
        "heads": {"choice": [2, 4]},
        "width": {"choice": [32, 48, 64, 96]},
        "dropout": {"uniform": [0.0, 0.2]},
    }

    def __init__(
        self,
        spec: EncodedSpec,
        *,
        lr: float = 4e-3,
        batch_size: int = 16,
        epochs: int = 8,
        layers: int = 2,
        heads: int = 4,
        width: int = 64,
        dropout: float = 0.1,
        epoch_share: float = 0.25,
    ):
        super().__init__(spec)
        if width % heads:
            raise ValueError(f"width ({width}) must be a multiple of heads ({heads})")
        for name, value in (("batch_size", batch_size), ("epochs", epochs), ("layers", layers), ("heads", heads)):
            if value < 1:
                raise ValueError(f"{name}: expected at least 1, got {value}")
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.layers = layers
        self.heads = heads
        self.width = width
        self.dropout = dropout
        # An epoch is this share of a pass over the training windows (as the rnn's): a
        # quarter, so that cv can cut and scale a corpus of minutes per pass in small steps.
        self.epoch_share = epoch_share
        self.model_: Optional[CausalTransformer] = None

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        return spec.kind == "vector" and spec.discrete

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        import torch

        return self.generate(torch.zeros((n, 0), dtype=torch.long), self.spec.dim, generator)

    def generate(self, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
                 temperature: float = 1.0, top_k: Optional[int] = None, guard: Any = None) -> torch.Tensor:
        """(n, P) prompt tokens -> (n, length) tokens continuing them (on the CPU).

        Within one window this is exact ancestral sampling (``sample`` draws whole windows).
        Past the window, the model restarts from its start vector on the last half window
        of tokens, then goes on one token at a time (the cache makes each step cheap).
        """
        from genautoml.models import _transformer_net

        return _transformer_net.generate(self, prompt, length, generator, temperature=temperature, top_k=top_k,
                                         guard=guard)
