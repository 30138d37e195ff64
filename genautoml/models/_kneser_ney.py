"""Interpolated modified Kneser-Ney counts over token windows (private to genautoml.models).

The counting, smoothing and lookup behind ``ngram`` (and the n-gram half of ``hybrid``);
see genautoml/models/ngram.py for the method. numpy only: torch is imported by the two
methods that turn the counts into checkpoint tensors and back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

if TYPE_CHECKING:
    import torch

#: discounts are kept inside [MIN_DISCOUNT, c - MIN_DISCOUNT] for the counts c they apply
#: to: above zero so unseen tokens keep some probability, below c so seen ones keep theirs
MIN_DISCOUNT = 0.05
#: used when a table is too small to estimate discounts from counts of counts
FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


def _discounts(counts: np.ndarray) -> np.ndarray:
    """[0, D1, D2, D3+] for one order (index = min(count, 3))."""
    n1, n2, n3, n4 = (int(np.sum(counts == i)) for i in (1, 2, 3, 4))
    if min(n1, n2, n3, n4) == 0:
        d = np.array(FALLBACK_DISCOUNTS, dtype=np.float64)
    else:
        y = n1 / (n1 + 2 * n2)
        d = np.array([1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3])
    d = np.clip(d, MIN_DISCOUNT, np.array([1.0, 2.0, 3.0]) - MIN_DISCOUNT)
    return np.concatenate([[0.0], d])


class KneserNey:
    """The counts of one fitted model and the per-history sums derived from them."""

    def __init__(self, vocab: int, order: int, hist: list[np.ndarray], keys: list[np.ndarray],
                 counts: list[np.ndarray], discounts: np.ndarray):
        self.vocab, self.order = vocab, order
        # hist[k] (k >= 1): sorted keys parent_id * (V + 1) + token of the length-k histories;
        # a history's id is its index there. hist[0] is unused: one empty history, id 0.
        self.hist, self.keys, self.counts, self.discounts = hist, keys, counts, discounts
        self.total, self.gamma = [], []
        for k in range(order):
            n_hist = 1 if k == 0 else len(hist[k])
            owner = keys[k] // vocab
            c = counts[k]
            total = np.bincount(owner, weights=c, minlength=n_hist)
            # probability mass taken from the seen tokens, given to the lower order
            taken = self.discounts[k][np.minimum(c, 3)]
            self.total.append(total)
            self.gamma.append(np.bincount(owner, weights=taken, minlength=n_hist) / np.maximum(total, 1))

    @classmethod
    def count(cls, windows: np.ndarray, vocab: int, order: int) -> "KneserNey":
        n, length = windows.shape
        histories = _history_ids_fit(windows, vocab, order)
        hist = [np.zeros(0, dtype=np.int64)] + [h for h, _ in histories[1:]]
        ids = [np.zeros(n * length, dtype=np.int64)] + [i for _, i in histories[1:]]
        target = windows.reshape(-1)
        keys: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * order
        counts: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * order
        keys[-1], counts[-1] = np.unique(ids[-1] * vocab + target, return_counts=True)
        for k in range(order - 2, -1, -1):
            # continuation count of (h, w): distinct one-longer histories seen before w
            upper = keys[k + 1]
            parent = hist[k + 1][upper // vocab] // (vocab + 1)
            keys[k], counts[k] = np.unique(parent * vocab + upper % vocab, return_counts=True)
        discounts = np.stack([_discounts(c) for c in counts])
        return cls(vocab, order, hist, keys, counts, discounts)

    def history_ids(self, left: np.ndarray) -> list[np.ndarray]:
        """``left`` (M, order-1): the tokens before each position, nearest last -> ids per order (-1: unseen)."""
        m = len(left)
        ids = [np.zeros(m, dtype=np.int64)]
        for k in range(1, self.order):
            prev = ids[-1]
            composite = prev * (self.vocab + 1) + left[:, self.order - 1 - k]
            table = self.hist[k]
            index = np.searchsorted(table, composite)
            found = (prev >= 0) & (index < len(table))
            found[found] = table[index[found]] == composite[found]
            ids.append(np.where(found, index, -1))
        return ids

    @staticmethod
    def matched(ids: list[np.ndarray]) -> np.ndarray:
        """How many tokens of each history were seen in training, from ``history_ids`` (M,)."""
        if len(ids) == 1:
            return np.zeros(len(ids[0]), dtype=np.int64)
        return np.sum([h >= 0 for h in ids[1:]], axis=0, dtype=np.int64)

    def prob(self, left: np.ndarray, target: np.ndarray, ids: Optional[list[np.ndarray]] = None) -> np.ndarray:
        """P(target | left) for M positions, float64 (M,); ``ids``: ``history_ids(left)`` if known."""
        p = np.full(len(target), 1.0 / self.vocab)
        for k, h in enumerate(self.history_ids(left) if ids is None else ids):
            rows = np.flatnonzero(h >= 0)
            hk = h[rows]
            key = hk * self.vocab + target[rows]
            table = self.keys[k]
            index = np.minimum(np.searchsorted(table, key), len(table) - 1)
            c = np.where(table[index] == key, self.counts[k][index], 0)
            kept = np.maximum(c - self.discounts[k][np.minimum(c, 3)], 0.0)
            p[rows] = kept / self.total[k][hk] + self.gamma[k][hk] * p[rows]
        return p

    def distribution(self, left: np.ndarray, ids: Optional[list[np.ndarray]] = None) -> np.ndarray:
        """P(. | left) for M histories, float64 (M, V); each row sums to one."""
        m = len(left)
        p = np.full((m, self.vocab), 1.0 / self.vocab)
        for k, h in enumerate(self.history_ids(left) if ids is None else ids):
            rows = np.flatnonzero(h >= 0)
            hk = h[rows]
            p[rows] *= self.gamma[k][hk, None]
            table = self.keys[k]
            start = np.searchsorted(table, hk * self.vocab)
            sizes = np.searchsorted(table, (hk + 1) * self.vocab) - start
            # every (row, token) with a count, flattened: positions into table
            flat = np.repeat(start - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
            c = self.counts[k][flat]
            kept = np.maximum(c - self.discounts[k][np.minimum(c, 3)], 0.0)
            owner_rows, owner_hist = np.repeat(rows, sizes), np.repeat(hk, sizes)
            p[owner_rows, table[flat] - owner_hist * self.vocab] += kept / self.total[k][owner_hist]
        return p

    # ---- windows and prompts (what the families call) --------------------------------
    @classmethod
    def fit_windows(cls, windows: np.ndarray, vocab: int, order: int) -> "KneserNey":
        return cls.count(np.asarray(windows, dtype=np.int64), vocab, order)

    def window_probs(self, windows: np.ndarray) -> np.ndarray:
        """P(each token | its window so far), (N, L) float64, every window scored from its start."""
        return self.window_probs_matched(windows)[0]

    def window_probs_matched(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``window_probs`` and, per token, how long a history the counts matched (N, L) int64."""
        windows = np.asarray(windows, dtype=np.int64)
        left = _left_context(windows, self.vocab, self.order)
        ids = self.history_ids(left)
        probs = self.prob(left, windows.reshape(-1), ids)
        return probs.reshape(windows.shape), self.matched(ids).reshape(windows.shape)

    def next_distribution(self, before: np.ndarray) -> np.ndarray:
        """(M, P) tokens since the window start (P may be 0) -> P(next) (M, V)."""
        return self.next_distribution_matched(before)[0]

    def next_distribution_matched(self, before: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``next_distribution`` and how long a history the counts matched (M,)."""
        before = np.asarray(before, dtype=np.int64)
        start = np.full((len(before), self.order - 1), self.vocab, dtype=np.int64)
        left = np.concatenate([start, before], axis=1)[:, before.shape[1]:]
        ids = self.history_ids(left)
        return self.distribution(left, ids), self.matched(ids)

    def state(self) -> dict[str, torch.Tensor]:
        import torch

        state = {"discounts": torch.from_numpy(self.discounts.copy())}
        for k in range(self.order):
            if k:
                state[f"hist.{k}"] = _compact(self.hist[k])
            state[f"keys.{k}"] = _compact(self.keys[k])
            state[f"counts.{k}"] = _compact(self.counts[k])
        return state

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor], vocab: int, order: int) -> "KneserNey":
        def array(key: str) -> np.ndarray:
            return state[key].numpy().astype(np.int64)

        hist = [np.zeros(0, dtype=np.int64)] + [array(f"hist.{k}") for k in range(1, order)]
        keys = [array(f"keys.{k}") for k in range(order)]
        counts = [array(f"counts.{k}") for k in range(order)]
        return cls(vocab, order, hist, keys, counts, state["discounts"].numpy().astype(np.float64))


def _compact(values: np.ndarray) -> torch.Tensor:
    """int32 when the values fit (half the checkpoint of a long-order model), else int64."""
    import torch

    small = values.size == 0 or int(values.max()) < 2**31
    return torch.from_numpy(values.astype(np.int32 if small else np.int64))


def _left_context(windows: np.ndarray, vocab: int, order: int) -> np.ndarray:
    """(N, L) windows -> (N*L, order-1): the tokens before each position, start tokens first."""
    n, length = windows.shape
    padded = np.concatenate([np.full((n, order - 1), vocab, dtype=np.int64), windows], axis=1)
    columns = [padded[:, j : j + length].reshape(-1) for j in range(order - 1)]
    return np.stack(columns, axis=1) if columns else np.zeros((n * length, 0), dtype=np.int64)


def _history_ids_fit(windows: np.ndarray, vocab: int, order: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(sorted history keys, id per position)] for history lengths 0..order-1."""
    left = _left_context(windows, vocab, order)
    ids = np.zeros(len(left), dtype=np.int64)
    out = [(np.zeros(0, dtype=np.int64), ids)]
    for k in range(1, order):
        table, ids = np.unique(ids * (vocab + 1) + left[:, order - 1 - k], return_inverse=True)
        out.append((table, ids.reshape(-1)))
    return out
