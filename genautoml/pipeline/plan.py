"""One wall-clock budget for the whole search, and the plan that spends it.

``search.time_budget`` is the budget of ``genautoml search`` as a whole. Each stage gets a
share of what is left when it starts: its own share of the shares still to come, so time
a stage does not use (a cv that stopped raising fidelity early, a tune whose trials all
finished) goes to the stages after it. What a stage spent is the ``seconds`` its artifact
records, so a resumed search divides the same budget the same way.

Loading the data, writing samples and the test-split scoring of the final model are not
in the plan (they are short and cannot be cut).

Shares, and why: cv decides the family at growing fidelities (most of what makes the
winner win); tune refines the chosen families; features compares a few representations;
the winner's final training gets the rest, and extends past its tuned epochs with it.
Tune and features get a fifth each (they had 30% and 10%): in the three main jobs on two
cores no tuned trial beat cv's winner at its defaults, while a second representation did
(audio: 64-band log-mel 1666 against 32-band 2854 on the cv folds), and with a tenth the
features stage could not pay for one more representation (docs/benchmarks.md, 2026-12-02).
cv has 30% and features a quarter (they had 35% and 20%) since cv's later rungs continue
the trainings of the rung below (genautoml/pipeline/continued.py): a rung costs what its
new epochs cost, so a smaller share reaches the rungs the larger one reached (x4 costs 4
units where it cost 7), and with 35% the digits main job spent the difference on a rung
that changed nothing and left features no time for the representation that wins there
(docs/benchmarks.md, 2026-12-07).
"""

from __future__ import annotations

from typing import Any, Optional

SHARES: dict[str, float] = {"cv": 0.3, "tune": 0.2, "features": 0.25, "train": 0.25}


def planned(total: Optional[float]) -> Optional[dict[str, float]]:
    """Each stage's seconds if every stage used exactly its share (what a user reads)."""
    if total is None:
        return None
    return {stage: round(total * share, 1) for stage, share in SHARES.items()}


def stage_budget(total: Optional[float], stage: str, spent: dict[str, float]) -> Optional[float]:
    """Seconds for ``stage``: its share of what the stages before it left of ``total``.

    ``spent``: seconds used by earlier stages, by name (a missing stage spent nothing).
    """
    if total is None:
        return None
    names = list(SHARES)
    earlier, later = names[: names.index(stage)], names[names.index(stage):]
    left = total - sum(spent.get(name, 0.0) for name in earlier)
    return max(0.0, left * SHARES[stage] / sum(SHARES[name] for name in later))


def describe(total: Optional[float]) -> dict[str, Any]:
    """The plan as manifest.json and ``validate --show`` give it."""
    return {
        "time_budget": total,
        "shares": dict(SHARES),
        "seconds_if_each_uses_its_share": planned(total),
        "rule": "each stage gets its share of the budget its predecessors left; data loading, "
                "sample writing and the final test scoring are outside the plan",
    }


def as_comment(total: Optional[float]) -> str:
    """The plan as YAML comments, for ``validate --show`` (the output stays a valid config)."""
    if total is None:
        return "# search.time_budget: null: no plan; each stage runs to its own limits\n"
    lines = [f"# How search.time_budget ({total:.0f} s) is spent (genautoml/pipeline/plan.py):"]
    lines += [f"#   {stage:<9} {total * share:6.0f} s  ({share:.0%})" for stage, share in SHARES.items()]
    lines += ["# Each stage gets its share of what the stages before it left; data loading,",
              "# sample writing and the final test scoring are outside the plan."]
    return "\n".join(lines) + "\n"
