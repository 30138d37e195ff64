"""What the character tokenizer's byte fallback costs: the n-gram's next-token probability
on the 256 byte tokens (kept for characters unseen in training) at every held-out position
of the text main job's test split, and what that mass costs in bits per character at most.

    python -m bench.byte_mass

Samples never draw a lone byte (genautoml/data/text/utf8.py guards them); this measures
the mass the smoothing keeps there, which the held-out likelihood pays for.
"""

from __future__ import annotations

import math

import numpy as np

from bench import common


def main(windows: int = 40) -> None:
    from genautoml.models.registry import get_family
    from genautoml.pipeline.context import open_context

    ctx = open_context(common.ROOT / "configs" / "text.yaml", [], None)
    dataset, modality = ctx.dataset, ctx.modality
    train, test = dataset.train_raw(), dataset.test_raw()
    feature = modality.feature_model.model_validate({"tokenizer": "char", "context": 256})
    representation = modality.representation(feature).fit(train)
    model = get_family("ngram")(representation.spec).fit(representation.encode(train), seed=0)
    tables, keep, seen = model._tables(), model.order - 1, len(representation.tokenizer_.codes_)
    masses = [tables.next_distribution(window[None, max(0, t - keep):t])[0, seen:].sum()
              for window in representation.encode(test).numpy()[:windows] for t in range(len(window))]
    mass = float(np.mean(masses))
    unseen = sum(ord(c) not in set(representation.tokenizer_.codes_.tolist()) for d in test for c in d)
    print(f"ngram (order {model.order}) on configs/text.yaml, char tokens: {seen} characters seen, 256 byte tokens; "
          f"{len(masses)} held-out positions")
    print(f"mean probability on byte tokens: {mass:.5f}; at most {-math.log2(1 - mass):.5f} bits per character; "
          f"characters of the test split unseen in training: {unseen}")


if __name__ == "__main__":
    main()
