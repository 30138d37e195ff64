"""Overhead: one genautoml trial against a minimal hand-written PyTorch loop.

Same model (the vae family's torch module at default size), same data (digits, one cv
training fold, the default representation), same epochs and batch size, one thread.
Three timings, interleaved and repeated: the bare loop; the family's ``fit`` (our
training loop with its checks and report callback); and the whole trial (representation
fit/encode, training, sampling and scoring the held-out fold).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from bench.common import median_range, table


def _bare_loop(train: torch.Tensor, spec, params: dict[str, Any], seed: int) -> float:
    from genautoml.models._vae_net import VAENet, kl_to_prior

    torch.manual_seed(seed)
    model = VAENet(spec, params["latent_dim"], params["hidden"], params["depth"])
    optimizer = torch.optim.Adam(model.parameters(), lr=params["lr"])
    started = time.perf_counter()
    for _ in range(params["epochs"]):
        for index in torch.randperm(len(train)).split(params["batch_size"]):
            x = train[index]
            mean, log_var = model.encode(x)
            z = mean + (0.5 * log_var).exp() * torch.randn_like(mean)
            loss = (kl_to_prior(mean, log_var) - model.log_px_z(x, z)).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.perf_counter() - started


def run(repeats: int, epochs: int) -> dict[str, Any]:
    from genautoml.config import validate
    from genautoml.models.registry import get_family
    from genautoml.pipeline.dataset import load_dataset
    from genautoml.pipeline.trial import run_trial
    from genautoml.records import TrialRequest

    torch.set_num_threads(1)
    config = validate({"name": "overhead", "device": "cpu", "data": {"modality": "image"},
                       "models": [{"family": "vae"}]})
    dataset = load_dataset(config, None)
    modality = dataset.modality
    feature_json = modality.default_features(config.data)[0].model_dump(mode="json")
    train_raw, _ = dataset.fold_raw(0)
    representation = modality.representation(modality.feature_model.model_validate(feature_json)).fit(train_raw)
    train = representation.encode(train_raw)
    params = {**get_family("vae").param_defaults(), "epochs": epochs}
    timings: dict[str, list[float]] = {"bare loop": [], "family fit": [], "whole trial": []}
    for repeat in range(repeats):
        timings["bare loop"].append(_bare_loop(train, representation.spec, params, repeat))
        model = get_family("vae")(representation.spec, **params)
        started = time.perf_counter()
        model.fit(train, lambda epoch: None, seed=repeat)
        timings["family fit"].append(time.perf_counter() - started)
        request = TrialRequest(repeat, "bench", "vae", params, feature_json, (0,))
        started = time.perf_counter()
        record = run_trial(config, dataset, request)
        timings["whole trial"].append(time.perf_counter() - started)
        assert record.status == "ok", record
    examples = len(train) * epochs
    return {"examples_per_epoch": len(train), "epochs": epochs, "params": params, "timings": timings,
            "throughput": {k: [examples / s for s in v] for k, v in timings.items()}}


def markdown(result: dict[str, Any]) -> str:
    bare = result["timings"]["bare loop"]
    rows = []
    for name, seconds in result["timings"].items():
        ratios = [s / b for s, b in zip(seconds, bare)]
        rows.append([name, median_range(result["throughput"][name]), median_range(seconds), median_range(ratios)])
    fit_ratio = statistics.median(s / b for s, b in zip(result["timings"]["family fit"], bare))
    trial_ratio = statistics.median(s / b for s, b in zip(result["timings"]["whole trial"], bare))
    return (
        f"vae at default size, {result['epochs']} epochs over {result['examples_per_epoch']} digits (one cv fold), "
        "1 thread; repeats interleaved.\n\n"
        + table(["what", "examples / s", "seconds", "time / bare loop"], rows)
        + f"\n\nGoal: the training loop costs at most 10% more than the bare loop: family fit "
        f"{(fit_ratio - 1) * 100:+.0f}% ({'met' if fit_ratio <= 1.10 else 'NOT met'}). The whole trial "
        f"({(trial_ratio - 1) * 100:+.0f}%) also fits the representation, samples and scores the held-out fold.\n"
    )
