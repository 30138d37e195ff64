"""The images section of the quality benchmark at other config seeds (issue 15 asks for
the median of 3 seeds; `make bench` runs seed 0 only, to stay within its time).

    python -m bench.quality_seeds 0 1 2
"""

from __future__ import annotations

import sys

from bench import common, quality


def main(seeds: list[int]) -> None:
    configs = [(f"images-seed{s}", common.ROOT / "configs" / "digits.yaml",
                ["search.time_budget=2m", "search.cv_folds=2", "data.max_examples=900", f"seed={s}"]) for s in seeds]
    result = quality.run(configs, budget_cap=None)
    common.save(f"quality-images-seeds-{'-'.join(map(str, seeds))}",
                {"machine": common.machine(), "command": "python -m bench.quality_seeds " + " ".join(map(str, seeds)),
                 "result": result})
    print(quality.markdown(result))


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]])
