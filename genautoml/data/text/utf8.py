"""Sampling that can only write valid UTF-8: the tokens allowed next, given the bytes so far.

Why: both tokenizers have byte tokens (the character tokenizer's fallback for characters
unseen in training, byte-level BPE's alphabet), and a model keeps some probability on every
token. A byte drawn alone, or a lead byte not followed by its continuation bytes, decodes to
U+FFFD: samples that are not text. The guard follows the bytes of the tokens drawn through
the UTF-8 automaton (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF) and
masks every token that would break it; the model's probabilities among the tokens left are
kept in proportion. Likelihoods (bits per character) are not guarded: they score real text,
which is valid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import torch

#: automaton states: a character boundary, then what the bytes still to come must be
ACCEPT, NEED1, NEED2, NEED3, AFTER_E0, AFTER_ED, AFTER_F0, AFTER_F4, REJECT = range(9)
CONTINUATION = range(0x80, 0xC0)


#: a character's first byte, and the state after it (checked in order: E0, ED, F0 and F4
#: restrict the byte after them, so they come before the ranges that hold them)
LEAD = ((range(0x00, 0x80), ACCEPT), (range(0xC2, 0xE0), NEED1), ((0xE0,), AFTER_E0), ((0xED,), AFTER_ED),
        (range(0xE1, 0xF0), NEED2), ((0xF0,), AFTER_F0), ((0xF4,), AFTER_F4), (range(0xF1, 0xF4), NEED3))
#: inside a character: the bytes allowed next, and the state after one of them
FOLLOW = {NEED1: (CONTINUATION, ACCEPT), NEED2: (CONTINUATION, NEED1), NEED3: (CONTINUATION, NEED2),
          AFTER_E0: (range(0xA0, 0xC0), NEED1), AFTER_ED: (range(0x80, 0xA0), NEED1),
          AFTER_F0: (range(0x90, 0xC0), NEED2), AFTER_F4: (range(0x80, 0x90), NEED2)}


def _step(state: int, byte: int) -> int:
    """The automaton's state after ``byte``."""
    if state == ACCEPT:
        return next((after for bytes_, after in LEAD if byte in bytes_), REJECT)
    allowed = FOLLOW.get(state)
    return allowed[1] if allowed is not None and byte in allowed[0] else REJECT


def transition_table(token_bytes: Sequence[bytes]) -> np.ndarray:
    """(states, tokens) -> the state after the token's bytes (REJECT where they break UTF-8)."""
    table = np.full((REJECT, len(token_bytes)), REJECT, dtype=np.int64)
    for token, data in enumerate(token_bytes):
        for start in range(REJECT):
            state = start
            for byte in data:
                state = _step(state, byte)
                if state == REJECT:
                    break
            table[start, token] = state
    return table


class Utf8Guard:
    """What an autoregressive family's ``generate(..., guard=)`` asks: the tokens allowed
    next for each row (``allowed``), and the state after a draw (``advance``)."""

    def __init__(self, token_bytes: Sequence[bytes]):
        import torch

        self.table = torch.from_numpy(transition_table(token_bytes))

    def start(self, n: int) -> torch.Tensor:
        """The state of ``n`` rows at a character boundary (a prompt of whole characters)."""
        import torch

        return torch.full((n,), ACCEPT, dtype=torch.long)

    def after(self, tokens: torch.Tensor) -> torch.Tensor:
        """The state after each row of ``tokens`` (n, L), from a character boundary."""
        state = self.start(len(tokens))
        for t in range(tokens.shape[1]):
            state = self.advance(state, tokens[:, t])
        return state

    def allowed(self, state: torch.Tensor) -> torch.Tensor:
        """(n, V) bool: the tokens that keep each row valid UTF-8."""
        return self.table.to(state.device)[state.clamp(max=REJECT - 1)] != REJECT

    def advance(self, state: torch.Tensor, token: torch.Tensor) -> torch.Tensor:
        table = self.table.to(state.device)
        return table[state.clamp(max=REJECT - 1), token.to(state.device)]

    def whole_characters(self, tokens: torch.Tensor) -> list[int]:
        """For each row of ``tokens`` (n, L), how many of its tokens end on a character
        boundary last: a sample cut at the window's end may stop inside a character."""
        state, ends = self.start(len(tokens)), [0] * len(tokens)
        for t in range(tokens.shape[1]):
            state = self.advance(state, tokens[:, t])
            for row in (state == ACCEPT).nonzero().flatten().tolist():
                ends[row] = t + 1
        return ends
