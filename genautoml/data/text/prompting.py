"""Text generation with the ``sample`` command's options: a prompt, a length in
characters, a temperature and top-k; prompt encoding and decoding on this side, the
tokens from the family's ``generate``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional

from genautoml.errors import ConfigError
from genautoml.spec import Autoregressive

if TYPE_CHECKING:
    import torch

    from genautoml.data.text.representations import TextRepresentation


def check_sampling_options(temperature: float, top_k: Optional[int]) -> None:
    """Refuse (ConfigError) a temperature or top-k no sampling can use."""
    if not (math.isfinite(temperature) and temperature > 0):  # nan and inf compare as no number should
        raise ConfigError(f"--temperature: expected a positive finite number, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ConfigError(f"--top-k: expected at least 1, got {top_k}")


def generate_text(model, representation: TextRepresentation, n: int, generator: torch.Generator, *,
                  length: Optional[int] = None, prompt: str = "", temperature: float = 1.0,
                  top_k: Optional[int] = None) -> list[str]:
    """``n`` texts of ``length`` characters (prompt included) continuing ``prompt``.

    Without any option this is the family's own ``sample`` (one window each). With
    options the family must have ``generate(prompt, length, generator, *, temperature,
    top_k)``, prompt an int64 (n, P) tensor (P may be 0), returning (n, length) new
    tokens: the autoregressive families do.
    """
    import torch

    check_sampling_options(temperature, top_k)
    if length is None and not prompt and temperature == 1.0 and top_k is None:
        return representation.draw(model, n, generator)
    if not isinstance(model, Autoregressive):
        raise ConfigError(
            f"--length/--prompt/--temperature/--top-k: family {model.name!r} cannot continue a prompt; "
            "sample without them"
        )
    prompt_tokens = representation.encode_text(prompt).expand(n, -1)  # (n, P)
    length = length if length is not None else len(prompt) + representation.context
    tokens = prompt_tokens
    texts = [prompt] * n
    # Characters per token vary (BPE merges, byte tokens), so generate in rounds until
    # every text is long enough; a token holds at least one byte, so rounds are few.
    for _ in range(8):
        missing = length - min(len(t) for t in texts)
        if missing <= 0:
            break
        more = model.generate(tokens, missing, generator, temperature=temperature, top_k=top_k,
                              guard=representation.guard())
        tokens = torch.cat([tokens, more.cpu().long()], dim=1)
        texts = representation.decode_whole(tokens)
    return [t[:length] for t in texts]
