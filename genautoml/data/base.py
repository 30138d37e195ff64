"""The modality and representation contracts.

A **modality** knows how to load raw examples, which representations are candidates,
which metrics judge generated data, and how to write samples in the native format.

A **representation** turns raw examples into what a family sees and back:
``fit(train_raw)`` (training folds only) -> ``encode(raw) -> tensor`` ->
``decode(tensor) -> raw``. Metrics only ever see decoded (raw) data.

No torch at import (torch appears here in annotations only): ``genautoml validate`` asks a
modality for its metrics and default features without it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Optional

import numpy as np

from genautoml.errors import ConfigError
from genautoml.metrics.base import Metric
from genautoml.spec import EncodedSpec
from genautoml.words import article

if TYPE_CHECKING:
    import torch


class Representation(ABC):
    #: False when a likelihood of the encoding says nothing about the raw data (log-mel
    #: frames are not sound): likelihood metrics are then not reported
    reports_likelihood: ClassVar[bool] = True

    #: the feature config (a pydantic model) this representation was built from
    def __init__(self, feature: Any):
        self.feature = feature

    @property
    def label(self) -> str:
        """A short readable name, e.g. ``drop_constant+levels16``."""
        return feature_label(self.feature)

    @abstractmethod
    def fit(self, train_raw: Any) -> "Representation": ...

    @property
    @abstractmethod
    def spec(self) -> EncodedSpec: ...

    @abstractmethod
    def encode(self, raw: Any) -> torch.Tensor: ...

    @abstractmethod
    def decode(self, encoded: torch.Tensor) -> Any: ...

    def draw(self, model: Any, n: int, generator: torch.Generator) -> Any:
        """``n`` raw samples from a fitted family: every sample a search scores or writes
        comes from here (text overrides it to sample only valid UTF-8)."""
        return self.decode(model.sample(n, generator))

    @abstractmethod
    def state(self) -> dict[str, torch.Tensor]: ...

    @abstractmethod
    def load_state(self, state: dict[str, torch.Tensor]) -> None: ...

    @abstractmethod
    def units(self, raw: Any) -> int:
        """How many raw units (pixels, characters, audio samples) ``raw`` holds in all:
        the denominator of per-unit likelihoods (bits per pixel / character / sample)."""


def feature_label(feature: Any) -> str:
    values = feature.model_dump(mode="json")
    return "+".join(f"{k}={v}" for k, v in values.items() if v is not None)


class Modality(ABC):
    name: ClassVar[str]
    #: name of the metric used for selection when ``search.metric: auto``
    default_metric: ClassVar[str]
    #: name of the per-unit likelihood figure, e.g. "bits_per_dim"
    likelihood_metric: ClassVar[str] = "bits_per_dim"
    #: the pydantic model of one entry of the config's ``features:`` list
    feature_model: ClassVar[type]

    @abstractmethod
    def load(self, data_cfg: Any, base_dir: Path) -> Any:
        """Raw examples for the whole dataset; raises DataError naming the file."""

    @abstractmethod
    def count(self, raw: Any) -> int: ...

    @abstractmethod
    def subset(self, raw: Any, index: np.ndarray) -> Any: ...

    def groups(self, raw: Any) -> Optional[np.ndarray]:
        """The group of each example, for data whose examples must not straddle the split
        (every group lies wholly in train or in test, and in one cv fold); None: none."""
        return None

    def strata(self, raw: Any) -> Optional[np.ndarray]:
        """What held-out subsets are stratified by (genautoml/pipeline/trial.py's ``capped``):
        each example's class or group, or None. By default the groups (text's documents)."""
        return self.groups(raw)

    def join(self, parts: list[Any]) -> Any:
        """Raw examples made in parts (``sample`` generates in chunks), as one batch."""
        return np.concatenate(parts)

    @abstractmethod
    def fingerprint(self, raw: Any) -> str: ...

    @abstractmethod
    def describe(self, raw: Any) -> dict[str, Any]:
        """Shapes, ranges, sizes: what ``genautoml data`` prints and data.json keeps."""

    @abstractmethod
    def default_features(self, data_cfg: Any) -> list[Any]: ...

    @abstractmethod
    def representation(self, feature: Any) -> Representation: ...

    @abstractmethod
    def metrics(self) -> dict[str, Metric]: ...

    @abstractmethod
    def write_samples(self, raw: Any, out_dir: Path) -> list[Path]: ...

    @abstractmethod
    def read_samples(self, folder: Path, like: Any) -> Any:
        """Samples written by anyone, as raw examples shaped like ``like`` (for ``evaluate``)."""

    def sample_features(self, raw: Any) -> Optional[np.ndarray]:
        """The fixed feature space the sample metrics compare examples in, (N, F); None when
        they read the raw examples (text)."""
        return None

    def score_samples(self, heldout: Any, generated: Any, train: Any, names: list[str]) -> dict[str, float]:
        """The named sample metrics; a modality may override this to share work between them."""
        metrics = self.metrics()
        return {name: float(metrics[name].compute(heldout, generated, train)) for name in names}

    def generate_count(self, heldout: Any) -> int:
        """How many examples to generate when scoring against ``heldout`` (all draws together)."""
        return self.count(heldout)

    def scoring_draws(self, heldout: Any) -> int:
        """Into how many equal draws the generated examples are cut, each scored against
        ``heldout`` and the figures averaged (``score_samples`` does the cutting); the
        real-data floor is drawn the same way. 1 here: one draw."""
        return 1

    def real_samples(self, train: Any, n: int, rng: np.random.Generator, representation: Representation) -> Any:
        """``n`` real training examples in the form generated samples take (here: ``n``
        examples drawn at random), for the real-data floor (genautoml/pipeline/floor.py)."""
        chosen = rng.choice(self.count(train), size=min(n, self.count(train)), replace=False)
        return self.subset(train, np.sort(chosen))

    # ---- the `sample` command ----------------------------------------------------------

    def generate(self, model: Any, representation: Representation, n: int, generator: torch.Generator, *,
                 length: Any = None, prompt: str = "", temperature: float = 1.0, top_k: Any = None) -> Any:
        """``n`` raw samples. ``length``, ``prompt``, ``temperature`` and ``top_k`` belong to
        modalities of sequences, which override this (text); the others refuse them."""
        import torch

        if length is not None or prompt or temperature != 1.0 or top_k is not None:
            raise ConfigError(f"--length/--prompt/--temperature/--top-k: apply to text runs; this run holds "
                              f"{article(self.name)} model")
        with torch.no_grad():
            return representation.draw(model, n, generator)

    def printed(self, raw: Any) -> str | None:
        """What a terminal shows of samples, for modalities whose samples are text; None otherwise."""
        return None
