"""``ngram``: an interpolated Kneser-Ney n-gram model over token ids: the fast baseline.

Modified Kneser-Ney (Chen & Goodman 1998): three discounts per order (for counts 1, 2 and
3+) estimated from the counts of counts; the highest order uses raw counts, the lower
orders continuation counts (how many distinct tokens precede an n-gram); every order is
interpolated with the one below, and the unigram with the uniform distribution over the
vocabulary. With every discount below the count it is subtracted from, the probabilities
of all tokens after any history sum to exactly one, and every token has a probability
above zero: the log-likelihood is exact.

Windows are counted, scored and sampled alike: each window starts after ``order - 1``
start-of-window tokens (id ``vocab``), the same convention the neural families use.

No dense V^n table: every history is a dense integer id, built order by order with
``np.unique`` (the id of a history of length k is the id of its last k-1 tokens combined
with the token before them), and n-grams are sorted int64 keys ``history * V + token``
looked up with ``np.searchsorted``. Fitting is a few sorts; nothing is trained. The counts
live in genautoml/models/_kneser_ney.py (numpy only), shared with ``hybrid``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from genautoml.models._kneser_ney import KneserNey
from genautoml.models.base import Family, Report
from genautoml.models.registry import register
from genautoml.spec import EncodedSpec

if TYPE_CHECKING:
    import torch


@register
class NGram(Family):
    name = "ngram"
    modalities = ("text",)
    has_likelihood = True
    summary = "interpolated modified Kneser-Ney n-gram over tokens; exact likelihood, fits in seconds"
    # Long orders cost little (a few sorts more) and pay off on text that repeats itself.
    default_space = {"order": {"int": [3, 64]}}

    def __init__(self, spec: EncodedSpec, *, order: int = 10):
        super().__init__(spec)
        if order < 1:
            raise ValueError(f"order: expected at least 1, got {order}")
        self.order = order
        self.tables_: Optional[KneserNey] = None

    @classmethod
    def supports(cls, spec: EncodedSpec) -> bool:
        return spec.kind == "vector" and spec.discrete

    def _fit(self, train: torch.Tensor, report: Report) -> None:
        from genautoml.models._torch_utils import check_vectors

        check_vectors(train, self.spec, "train")
        self.tables_ = KneserNey.fit_windows(train.cpu().numpy(), self.spec.levels, self.order)
        self.check_finite(float(self.tables_.discounts.sum()), "discounts")
        report(1)  # counting is the whole fit: one "epoch"

    def _tables(self) -> KneserNey:
        if self.tables_ is None:
            raise RuntimeError(f"family {self.name!r} is not fitted: call fit() or load_state() first")
        return self.tables_

    # No torch.no_grad() below: the counts are numpy arrays, so no tensor here needs a gradient.
    def log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log P(window) in nats, (N,), each window scored from its start."""
        import torch

        from genautoml.models._torch_utils import check_vectors

        tables = self._tables()
        check_vectors(x, self.spec, "x")
        return torch.from_numpy(np.log(tables.window_probs(x.cpu().numpy())).sum(axis=1))

    def distribution(self, before: torch.Tensor) -> torch.Tensor:
        """P(next | the tokens since the window start) (M, P) -> (M, V) float64; rows sum to 1."""
        import torch

        return torch.from_numpy(self._tables().next_distribution(before.cpu().numpy()))

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        import torch

        return self.generate(torch.zeros((n, 0), dtype=torch.long), self.spec.dim, generator)

    def generate(self, prompt: torch.Tensor, length: int, generator: torch.Generator, *,
                 temperature: float = 1.0, top_k: Optional[int] = None, guard: Any = None) -> torch.Tensor:
        """(n, P) prompt tokens -> (n, length) tokens continuing them (on the CPU)."""
        import torch

        from genautoml.models._torch_utils import draw_next, start_state, uniform

        tables = self._tables()
        n = len(prompt)
        u = uniform((n, length), generator, torch.device("cpu")).double()
        # Only the last order-1 tokens matter; with fewer, the window start pads the history.
        keep = self.order - 1
        before = prompt.cpu().long().numpy()
        before = before[:, max(0, before.shape[1] - keep):]
        out = torch.zeros((n, length), dtype=torch.long)
        state = start_state(guard, prompt)
        for t in range(length):
            probs = torch.from_numpy(tables.next_distribution(before))
            out[:, t], state = draw_next(probs, u[:, t], temperature, top_k, guard, state)
            before = np.concatenate([before, out[:, t : t + 1].numpy()], axis=1)
            before = before[:, max(0, before.shape[1] - keep):]
        return out

    def state(self) -> dict[str, torch.Tensor]:
        return self._tables().state()

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        import torch

        self.tables_ = KneserNey.from_state(state, self.spec.levels, self.order)
        self.device_ = torch.device("cpu")
