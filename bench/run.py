"""Run the benchmarks: `python -m bench.run [--quick] [--only quality,efficiency,overhead,scale,executors,budget]`.

Each benchmark writes bench/results/<name>.json and rewrites its own section of
docs/benchmarks.md. `--quick` shrinks every budget (under 5 minutes in all on 2 cores).
"""

from __future__ import annotations

import argparse
import time

from bench import common

CONFIGS = common.ROOT / "configs"


def quality(quick: bool) -> dict:
    from bench import quality

    if quick:
        configs = [("images (smoke)", CONFIGS / "smoke-image.yaml", [])]
        return quality.run(configs, budget_cap=30)
    return quality.run([(label, config, overrides) for label, (config, overrides) in quality.SIZES.items()],
                       budget_cap=None)


def efficiency(quick: bool) -> dict:
    from bench import efficiency

    if quick:
        return efficiency.run(CONFIGS / "smoke-image.yaml", seeds=2, trials=4, extra=["data.max_examples=200"])
    # 20 trials: what `make run`'s 4-minute tune stage gets through on the full digits (with
    # 8, three of them the same random start-up trials in every arm, TPE has too little to
    # learn from). 300 of the 1797 digits keep five seeds x two arms within about 8 minutes.
    return efficiency.run(CONFIGS / "digits.yaml", seeds=5, trials=20, extra=["data.max_examples=300"])


def overhead(quick: bool) -> dict:
    from bench import overhead

    return overhead.run(repeats=2 if quick else 5, epochs=2 if quick else 10)


def scale(quick: bool) -> dict:
    from bench import scale

    factors = [1, 4] if quick else [1, 4, 16]
    params = {"epochs": 1} if quick else {"epochs": 3}
    return {
        "image": scale.image_scaling(factors, "vae", params),
        "text": scale.text_scaling([0.5, 2] if quick else [0.5, 2, 8]),
        "hyperopt": scale.suggestion_time([10, 100] if quick else [10, 100, 500]),
    }


def executors(quick: bool) -> dict:
    from bench import executors

    return executors.run(trials=4 if quick else 8, extra=["data.max_examples=400"])


def budget(quick: bool) -> dict:
    from bench import budget

    if quick:
        return budget.run([CONFIGS / "smoke-tabular.yaml"], [20])
    configs = [CONFIGS / name for name in ("digits.yaml", "text.yaml", "audio.yaml", "tabular.yaml")]
    return budget.run(configs, [60, 120])


BENCHMARKS = {
    "quality": ("Quality against hand-picked models", quality),
    "efficiency": ("Search efficiency: TPE + ASHA (BOHB model) and TPE + median stopping vs random search", efficiency),
    "overhead": ("Overhead against a hand-written training loop", overhead),
    "scale": ("Scale", scale),
    "executors": ("Local and Ray executors", executors),
    "budget": ("One budget kept: the whole search against search.time_budget", budget),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny budgets (under 5 minutes in all)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks to run")
    parser.add_argument("--device", default="auto", help="device: of every config (auto: CUDA where present)")
    args = parser.parse_args()
    common.DEVICE = args.device
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    for name in names:
        title, function = BENCHMARKS[name]
        print(f"== {name} {'(quick)' if args.quick else ''}", flush=True)
        started = time.perf_counter()
        result = function(args.quick)
        info = {"command": common.command_line(), "machine": common.machine(), "quick": args.quick,
                "seconds": time.perf_counter() - started}
        # Accelerator results get sections of their own beside the CPU ones.
        key = name + ("-quick" if args.quick else "") + ("-cuda" if common.on_accelerator() else "")
        common.save(key, {**info, "result": result})
        module = __import__(f"bench.{name}", fromlist=["markdown"])
        heading = title + (" (quick)" if args.quick else "") + (" on CUDA" if common.on_accelerator() else "")
        common.write_section(key, heading, module.markdown(result), info)
        print(f"   {info['seconds']:.0f} s -> bench/results/{key}.json, docs/benchmarks.md", flush=True)


if __name__ == "__main__":
    main()
