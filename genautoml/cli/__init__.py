"""The genautoml command line: thin Typer commands over the pipeline's plain functions.

Errors are printed, and exit codes picked, in one place: genautoml/cli/errors.py.
Heavy modules (torch, the pipeline) are imported inside commands so `--help` is instant.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Optional

import typer

from genautoml.cli.errors import OneLineUsageErrors, errors, state
from genautoml.pipeline.stages import STAGES

# OpenMP threads that find no free core spin-wait and slow torch badly on a busy machine
# (measured: a transformer step 2.0 s instead of 0.3 s); passive waiting costs nothing.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

app = typer.Typer(
    cls=OneLineUsageErrors,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    help="AutoML for generative models: cross-validate, tune and train the best generator for your data.",
    pretty_exceptions_enable=False,
)


ConfigArg = typer.Argument(..., help="Experiment config (YAML).", show_default=False)
RunDirOpt = typer.Option(None, "--run-dir", help="Run directory (default: runs/<name>).")
SetOpt = typer.Option(None, "--set", help="Override a config key: --set search.max_trials=10 (repeatable).")
ForceOpt = typer.Option(False, "--force", help="When the run directory holds a different config, rerun the "
                        "stages that read what changed (their old results go to superseded/).")
QuietOpt = typer.Option(False, "--quiet", "-q", help="Print only results and errors.")
JsonOpt = typer.Option(False, "--json", help="Print the result as JSON on stdout (progress goes to stderr).")
# Accepted before the command (``genautoml --debug search ...``) and after it alike.
DebugOpt = typer.Option(False, "--debug", help="Show the traceback of an error.")


#: paths ``sample`` prints one per line; past it, a count (10 000 audio clips are 10 000 files)
PRINTED_PATHS = 20


def _version(value: bool) -> None:
    if value:
        from genautoml import __version__

        typer.echo(f"genautoml {__version__}")
        raise typer.Exit()


@app.callback()
def main(debug: bool = DebugOpt,
         version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit.")) -> None:
    # Set on every invocation: commands run in one process (tests, notebooks) do not inherit it.
    state["debug"] = debug or bool(os.environ.get("GENAUTOML_DEBUG"))


def resume_command(command: str, config: Path, run_dir: Optional[Path], overrides: Optional[List[str]],
                   quiet: bool) -> str:
    """The command line that resumes an interrupted run: the same config, run directory and
    overrides (never --force, which would start over), quoted for a POSIX shell."""
    import shlex

    words = ["genautoml", command, str(config)]
    if run_dir is not None:
        words += ["--run-dir", str(run_dir)]
    for override in overrides or []:
        words += ["--set", override]
    if quiet:
        words.append("-q")
    return shlex.join(words)


def _view(quiet: bool, as_json: bool = False):
    """The console view; with ``--json`` it is quiet and writes to stderr, so that stdout
    holds the JSON alone."""
    from genautoml.views.console import ConsoleView

    if as_json:
        return _stderr_view(quiet=True)
    return ConsoleView(quiet=quiet)


def _stderr_view(quiet: bool):
    """A console view writing to stderr (stdout is kept for a command's output)."""
    from rich.console import Console

    from genautoml.views.console import ConsoleView

    return ConsoleView(Console(highlight=False, soft_wrap=True, stderr=True), quiet=quiet)


def _print_json(value: Any) -> None:
    import json

    typer.echo(json.dumps(value, indent=2, default=str))


def _run_stage(stage: str, config: Path, run_dir: Optional[Path], overrides: Optional[List[str]], force: bool,
               quiet: bool, as_json: bool = False, debug: bool = False) -> None:
    from genautoml.pipeline.context import claim_run_dir, open_context
    from genautoml.pipeline.runner import ensure

    with errors(resume_hint=resume_command(stage, config, run_dir, overrides, quiet), debug=debug):
        view = _view(quiet, as_json)
        ctx = open_context(config, overrides or [], str(run_dir) if run_dir else None, view)
        with ctx.run.locked():
            claim_run_dir(ctx, force)
            saved = ctx.fresh(stage)
            if saved:
                result = ctx.artifact(stage)
                view.note(f"{stage}: up to date in {ctx.run} (same config and data); showing the saved result")
            else:
                result = ensure(ctx, stage)
                view.note(f"{stage}: done; results in {ctx.run}")
        if as_json:
            _print_json({"stage": stage, "run_dir": str(ctx.run), "result": result})
        elif quiet or saved:  # the result asked for (a stage that ran showed it as it finished, unless -q)
            view.show(stage, result)


def _stage_command(name: str):
    """A Typer command running one stage (and the stages before it, when not up to date)."""

    def command(config: Path = ConfigArg, run_dir: Optional[Path] = RunDirOpt, overrides: Optional[List[str]] = SetOpt,
                force: bool = ForceOpt, quiet: bool = QuietOpt, as_json: bool = JsonOpt, debug: bool = DebugOpt) -> None:
        _run_stage(name, config, run_dir, overrides, force, quiet, as_json, debug)

    command.__name__ = name
    return command


@app.command()
def validate(
    config: Path = ConfigArg,
    overrides: Optional[List[str]] = SetOpt,
    show: bool = typer.Option(False, "--show", help="Print the resolved config with every default filled in."),
    as_json: bool = typer.Option(False, "--json", help="Print the resolved config and the budget's plan as JSON."),
    debug: bool = DebugOpt,
) -> None:
    """Check a config and print it resolved (--show)."""
    with errors(debug=debug):
        from genautoml.config import to_yaml
        from genautoml.pipeline.plan import as_comment, describe
        from genautoml.pipeline.resolve import check_source, load_resolved, resolved_dict
        from genautoml.words import count

        loaded = load_resolved(config, overrides or [])
        check_source(loaded, Path(config).resolve().parent)
        if as_json:
            _print_json({"config": str(config), "valid": True, "resolved": resolved_dict(loaded),
                         "plan": describe(loaded.search.time_budget)})
        elif show:
            typer.echo(to_yaml(resolved_dict(loaded)) + as_comment(loaded.search.time_budget), nl=False)
        else:
            typer.echo(f"{config}: valid ({loaded.data.modality}, {count(len(loaded.models), 'family', 'families')})")


for _stage in STAGES:
    app.command(name=_stage.name, help=_stage.help)(_stage_command(_stage.name))


@app.command()
def search(config: Path = ConfigArg, run_dir: Optional[Path] = RunDirOpt, overrides: Optional[List[str]] = SetOpt,
           force: bool = ForceOpt, quiet: bool = QuietOpt, as_json: bool = JsonOpt, debug: bool = DebugOpt) -> None:
    """Run every stage in order (data, cv, tune, features, train): the main job."""
    with errors(resume_hint=resume_command("search", config, run_dir, overrides, quiet), debug=debug):
        from genautoml.pipeline.context import claim_run_dir, open_context
        from genautoml.pipeline.runner import all_fresh, ensure
        from genautoml.tracking import track_run
        from genautoml.views.report import write_report

        view = _view(quiet, as_json)
        ctx = open_context(config, overrides or [], str(run_dir) if run_dir else None, view)
        with ctx.run.locked():
            claim_run_dir(ctx, force)
            done_before = all_fresh(ctx)
            if done_before:
                view.note(f"{ctx.run} is complete for this config and data: nothing to do (use --force to redo)")
                result = ctx.artifact("train")
            else:
                result = ensure(ctx, "train")
            report = write_report(ctx.run.path)  # inside the lock: the search's own writer writes it
            tracked = track_run(ctx.run.path)
        if as_json:
            _print_json({"stage": "train", "run_dir": str(ctx.run), "result": result, "report": str(report),
                         "tracking": tracked})
            return
        if tracked is not None:
            logged = tracked["mlflow"]
            view.note(f"logged to MLflow at {logged['uri']}: experiment {logged['experiment']}, run {logged['run_id']}")
        if done_before:
            view.show("train", result)
            return
        typer.echo(
            f"done: {result['family']} on {ctx.artifact('features')['chosen_label']}, "
            f"test {result['metric']} {result['figure']:.4g}; run directory {ctx.run}; report {report}"
        )


@app.command()
def sample(
    run_dir: Path = typer.Argument(..., help="A trained run directory.", show_default=False),
    # the ceiling is pipeline/sample.py's MAX_SAMPLES (not imported here: --help stays instant)
    n: int = typer.Option(64, "-n", min=1, max=10_000, help="How many samples (at most 10 000)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: RUN_DIR/sampled; "
                                       "a folder holding other files is refused unless --overwrite)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Write into --out even if it holds other files."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    length: Optional[int] = typer.Option(None, "--length", min=1, help="Text: characters per sample, prompt included."),
    prompt: Optional[str] = typer.Option(None, "--prompt", help="Text: every sample continues this text."),
    temperature: float = typer.Option(1.0, "--temperature", help="Text: <1 sharper, >1 flatter next-token choices."),
    top_k: Optional[int] = typer.Option(None, "--top-k", min=1, help="Text: draw each token from the K most likely."),
    as_json: bool = JsonOpt,
    debug: bool = DebugOpt,
) -> None:
    """Generate N samples from a trained run (text runs print them too)."""
    with errors(debug=debug):
        from genautoml.pipeline.sample import sample as do_sample

        # Progress goes to stderr: stdout holds the samples' text, the files written, or the JSON.
        result = do_sample(run_dir, n, out, seed, length=length, prompt=prompt, temperature=temperature, top_k=top_k,
                           overwrite=overwrite, events=_stderr_view(quiet=False))
        if as_json:
            _print_json({key: value for key, value in result.items() if key != "printed"})
            return
        if "printed" in result:
            typer.echo(result["printed"], nl=False)
        files = result["files"]
        for path in files[:PRINTED_PATHS]:
            typer.echo(path)
        if len(files) > PRINTED_PATHS:
            from genautoml.words import count

            typer.echo(f"... and {count(len(files) - PRINTED_PATHS, 'more file')} in {Path(files[0]).parent} "
                       "(--json lists them all)")


@app.command()
def evaluate(
    run_dir: Path = typer.Argument(..., help="A run directory (its config and test split are used).", show_default=False),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Score these samples instead of the run's model."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Sampling seed when scoring the model "
                                       "(default: the train stage's, which reproduces metrics.json)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    debug: bool = DebugOpt,
) -> None:
    """Score the trained model, or a folder of samples, on the test split."""
    with errors(debug=debug):
        import json

        from genautoml.pipeline.evaluate import evaluate as do_evaluate

        result = do_evaluate(run_dir, samples, seed)
        if as_json:
            typer.echo(json.dumps(result, indent=2))
            return
        from genautoml.views.stages import show_metrics
        from genautoml.words import count

        show_metrics(_view(False), {**result, "title": f"{result['source']} vs {result['scored_examples']} of "
                                                     f"{count(result['test_examples'], 'test example')}"})


@app.command()
def models(
    modality: Optional[str] = typer.Option(None, "--modality", help="Only the families of this modality."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    debug: bool = DebugOpt,
) -> None:
    """List the registered families, their modalities and default search spaces."""
    with errors(debug=debug):
        from genautoml.errors import ConfigError
        from genautoml.modalities import MODALITIES
        from genautoml.pipeline.catalog import families

        if modality is not None and modality not in MODALITIES:
            raise ConfigError(f"--modality: expected one of {', '.join(MODALITIES)}, got {modality!r}")
        chosen = [f for f in families() if modality is None or modality in f["modalities"]]
        if as_json:
            _print_json(chosen)
            return
        rows = []
        for family in chosen:
            space = "\n".join(f"{k}: {v['space']} (default {v['default']!r})" for k, v in family["space"].items())
            rows.append((family["family"], ", ".join(family["modalities"]), family["summary"], space))
        _view(False).table("families", ["family", "modalities", "what", "default search space"], rows)


@app.command()
def runs(
    folder: Path = typer.Argument(Path("runs"), help="A folder of run directories (or one run directory)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    debug: bool = DebugOpt,
) -> None:
    """One line per run directory, newest first: status, stages, chosen model, figure beside its floor."""
    with errors(debug=debug):
        from genautoml.pipeline.runs import find_runs
        from genautoml.views.runs import show_runs

        found = find_runs(folder)
        if as_json:
            _print_json(found)
            return
        show_runs(_view(False), found, folder)


@app.command()
def show(
    run_dir: Path = typer.Argument(..., help="A run directory.", show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    debug: bool = DebugOpt,
) -> None:
    """One run in full: each stage's status, budget and seconds, the choice, the test figures."""
    with errors(debug=debug):
        from genautoml.pipeline.runs import one_run
        from genautoml.views.runs import show_run

        found = one_run(run_dir)
        if as_json:
            _print_json(found)
            return
        show_run(_view(False), found)


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A run directory (finished or not: the report shows what exists).",
                                   show_default=False),
    out: Optional[Path] = typer.Option(None, "--out", help="Write here instead of RUN_DIR/report.html."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out if it exists."),
    debug: bool = DebugOpt,
) -> None:
    """Write report.html: one self-contained page (plots, samples, sound) that opens offline."""
    with errors(debug=debug):
        from genautoml.views.report import write_report

        typer.echo(str(write_report(run_dir, out, overwrite=overwrite)))


def run() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    run()
