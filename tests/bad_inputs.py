"""The catalog of bad inputs: every one is a command line a user could type, and each must end
with one ``error:`` line naming the file, key or option and what is expected, exit code 2.

tests/test_bad_inputs.py runs every case; ``python -m tests.bad_inputs`` runs them too and
writes the table in docs/errors.md from what the commands really printed (the test checks
that the table is up to date).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

TABLE = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


@dataclass(frozen=True)
class Place:
    """Where a case runs: an empty folder of its own, and a finished run to read (never written)."""

    tmp: Path
    run: Path  # a finished image run (tests/conftest.py's ``finished_run``)
    config: Path  # the config that made it

    def write(self, name: str, text: str) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def run_copy(self) -> Path:
        """A copy of the finished run, for cases that damage one."""
        copy = self.tmp / "run-copy"
        if not copy.exists():
            shutil.copytree(self.run, copy)
        return copy


@dataclass(frozen=True)
class Case:
    group: str
    what: str  # the bad input, in words (the table's first column)
    argv: Callable[[Place], list]  # the command line, after ``genautoml``
    expect: str  # part of the one line printed
    exit_code: int = 2


GOOD = "name: t\ndata: {modality: image, source: builtin:digits}\nmodels: [{family: vae}]\n"


def config_case(what: str, text: str, expect: str, command: str = "validate") -> Case:
    """A config file holding ``text`` (the good config is ``GOOD``), given to ``command``."""
    return Case("config", what, lambda p: [command, p.write("config.yaml", text)], expect)


def with_data(modality: str, source: str, extra: str = "") -> str:
    family = {"image": "vae", "text": "ngram", "audio": "vae", "tabular": "copula"}[modality]
    return f"name: t\ndata: {{modality: {modality}, source: {source}{extra}}}\nmodels: [{{family: {family}}}]\n"


def data_case(what: str, modality: str, make: Callable[[Place], str], expect: str, extra: str = "") -> Case:
    """A data source made by ``make`` (it returns the source's path), loaded by ``genautoml data``."""

    def argv(p: Place) -> list:
        source = make(p)
        return ["data", p.write("config.yaml", with_data(modality, json.dumps(str(source)), extra)),
                "--run-dir", p.tmp / "out"]

    return Case("data", what, argv, expect)


# ---- data sources ----------------------------------------------------------------------

def _npy(array: np.ndarray, **save) -> Callable[[Place], Path]:
    def make(p: Place) -> Path:
        np.save(p.tmp / "x.npy", array, **save)
        return p.tmp / "x.npy"

    return make


def _folder(files: dict[str, bytes]) -> Callable[[Place], Path]:
    def make(p: Place) -> Path:
        folder = p.tmp / "files"
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_bytes(content)
        return folder

    return make


def _file(name: str, content: bytes) -> Callable[[Place], Path]:
    def make(p: Place) -> Path:
        (p.tmp / name).write_bytes(content)
        return p.tmp / name

    return make


def _endless(p: Place) -> Path:
    os.symlink("/dev/zero", p.tmp / "endless.txt")
    return p.tmp / "endless.txt"


def _png(p: Place) -> bytes:
    from PIL import Image

    Image.new("L", (8, 8)).save(p.tmp / "one.png")
    return (p.tmp / "one.png").read_bytes()


# ---- run directories and checkpoints ----------------------------------------------------

def _damaged(name: str, content: bytes) -> Callable[[Place], Path]:
    def make(p: Place) -> Path:
        run = p.run_copy()
        (run / name).write_bytes(content)
        return run

    return make


def _weights(p: Place) -> Path:
    run = p.run_copy()
    return run / "model" / json.loads((run / "model" / "model.json").read_text())["weights"]


def _pickled_weights(p: Place) -> Path:
    path = _weights(p)
    path.write_bytes(pickle.dumps({"model": {"not": "tensors"}}))
    return path.parents[1]


def _truncated_weights(p: Place) -> Path:
    path = _weights(p)
    path.write_bytes(path.read_bytes()[:200])
    return path.parents[1]


def _missing_weights(p: Place) -> Path:
    path = _weights(p)
    path.unlink()
    return path.parents[1]


def _locked(p: Place) -> Path:
    run = p.run_copy()
    (run / ".lock").write_text("1")  # process 1 is alive for as long as the machine is
    return run


def _samples(array: np.ndarray) -> Callable[[Place], Path]:
    def make(p: Place) -> Path:
        np.save(p.tmp / "samples.npy", array)
        return p.tmp / "samples.npy"

    return make


def _not_ours(p: Place) -> Path:
    folder = p.tmp / "mine"
    folder.mkdir()
    (folder / "grid.png").write_bytes(b"the user's own picture")
    return folder


RNG = np.random.default_rng(0)

CASES: list[Case] = [
    # ---- the config file -------------------------------------------------------------
    Case("config", "config file that does not exist", lambda p: ["validate", p.tmp / "nope.yaml"], "config file not found"),
    Case("config", "config path that is a folder", lambda p: ["validate", p.tmp], "expected a YAML file"),
    config_case("not YAML", "name: [unclosed", "not valid YAML"),
    config_case("empty file", "", "the file is empty"),
    config_case("a list at the top level", "- a\n- b\n", "expected a mapping at the top level"),
    config_case("a Python object tag", GOOD + "seed: !!python/object/apply:os.system [echo hi]\n",
                "only plain YAML is allowed"),
    config_case("an alias bomb (9 to the 9th elements)", GOOD + "bomb:\n  - &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  - &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")), "bomb: unknown key"),
    config_case("misspelt top-level key", GOOD + "serch: {}\n", "serch: unknown key (did you mean 'search'?)"),
    config_case("misspelt nested key", GOOD + "search: {max_trails: 3}\n", "did you mean 'max_trials'?"),
    config_case("unknown modality", GOOD.replace("modality: image", "modality: video"), "data.modality: expected one of"),
    config_case("missing modality", GOOD.replace("modality: image, ", ""), "data: missing 'modality'"),
    config_case("data source that does not exist", GOOD.replace("builtin:digits", "my_images"), "does not exist"),
    config_case("unknown builtin data set", GOOD.replace("builtin:digits", "builtin:cifar"), "builtin"),
    config_case("test_fraction above 1", GOOD.replace("builtin:digits", "builtin:digits, test_fraction: 1.5"),
                "data.test_fraction: Input should be less than 1"),
    config_case("image_size too large", GOOD.replace("builtin:digits", "builtin:digits, image_size: [100000, 8]"),
                "data.image_size"),
    config_case("name that escapes the runs folder", GOOD.replace("name: t", "name: ../../etc"), "name: expected letters"),
    config_case("unknown device", GOOD + "device: tpu\n", "device"),
    config_case("seed that is not a number", GOOD + "seed: lucky\n", "seed"),
    config_case("no model families", GOOD.replace("models: [{family: vae}]", "models: []"), "models"),
    config_case("unknown family", GOOD.replace("family: vae", "family: vea"), "did you mean 'vae'?"),
    config_case("family listed twice", GOOD.replace("{family: vae}", "{family: vae}, {family: vae}"), "listed twice"),
    config_case("family for another modality", GOOD.replace("family: vae", "family: ngram"), "ngram"),
    Case("config", "family that models none of the candidate representations",
         lambda p: ["cv", p.write("config.yaml", "name: t\ndata: {modality: audio, clip_seconds: 0.1, max_examples: 40}\n"
                                  "features: [{representation: mel}]\nmodels: [{family: ddsp}]\n"),
                    "--run-dir", p.tmp / "out", "-q"],
         "models.0.family: 'ddsp' can model none of the candidate representations"),
    config_case("negative learning rate", GOOD.replace("{family: vae}", "{family: vae, params: {lr: -1}}"),
                "models.0.params.lr: expected a value in (0, 10], got -1.0"),
    config_case("negative epochs", GOOD.replace("{family: vae}", "{family: vae, params: {epochs: -3}}"),
                "models.0.params.epochs: expected a value in [1, 1e+06]"),
    config_case("a billion hidden units", GOOD.replace("{family: vae}", "{family: vae, params: {hidden: 1000000000}}"),
                "models.0.params.hidden: expected a value in [1, 16384]"),
    config_case("unknown hyperparameter", GOOD.replace("{family: vae}", "{family: vae, params: {hiden: 32}}"),
                "did you mean 'hidden'?"),
    config_case("hyperparameter of the wrong type", GOOD.replace("{family: vae}", "{family: vae, params: {epochs: many}}"),
                "models.0.params.epochs: Input should be a valid integer"),
    config_case("search range with low above high",
                GOOD.replace("{family: vae}", "{family: vae, space: {lr: {uniform: [0.1, 0.01]}}}"),
                "expected low < high"),
    config_case("log range from zero", GOOD.replace("{family: vae}", "{family: vae, space: {lr: {loguniform: [0, 0.01]}}}"),
                "loguniform: bounds must be positive"),
    config_case("search range outside the parameter's bounds",
                GOOD.replace("{family: vae}", "{family: vae, space: {lr: {loguniform: [1.0e-4, 20]}}}"),
                "models.0.space.lr: expected a value in (0, 10]"),
    config_case("real-valued range for an integer parameter",
                GOOD.replace("{family: vae}", "{family: vae, space: {epochs: {uniform: [1, 5]}}}"), "is an integer parameter"),
    config_case("quantized range holding no multiple of its step",
                GOOD.replace("{family: vae}", "{family: vae, space: {hidden: {quniform: [33, 40, 64]}}}"), "quniform"),
    config_case("empty choice", GOOD.replace("{family: vae}", "{family: vae, space: {depth: {choice: []}}}"), "choice"),
    config_case("zero trials", GOOD + "search: {max_trials: 0}\n",
                "search.max_trials: Input should be greater than or equal to 1"),
    config_case("one cv fold", GOOD + "search: {cv_folds: 1}\n", "search.cv_folds: Input should be greater than or equal to 2"),
    config_case("more tune folds than cv folds", GOOD + "search: {tune_folds: 5}\n", "tune_folds (5) cannot exceed cv_folds"),
    config_case("time budget that is not a duration", GOOD + "search: {time_budget: soon}\n", "expected a duration"),
    config_case("negative time budget", GOOD + "search: {time_budget: -5}\n",
                "search.time_budget: Input should be greater than 0"),
    config_case("unknown metric", GOOD + "search: {metric: accuracy}\n", "search.metric"),
    config_case("unknown search algorithm", GOOD + "search: {algo: grid}\n", "search.algo"),
    config_case("unknown early-stopping rule", GOOD + "search: {early_stopping: sometimes}\n", "search.early_stopping"),
    config_case("zero parallel trials", GOOD + "search: {parallel: 0}\n", "search.parallel"),
    config_case("two-sample limit above 1", GOOD + "search: {c2st_max: 2}\n", "search.c2st_max"),
    config_case("unknown representation", GOOD + "features: [{pixels: some}]\n", "features.0.pixels"),
    config_case("negative final samples", GOOD + "train: {samples: -1}\n", "train.samples"),
    Case("config", "--set without '='", lambda p: ["validate", p.write("c.yaml", GOOD), "--set", "search.max_trials"], "--set"),
    Case("config", "--set of an unknown key", lambda p: ["validate", p.write("c.yaml", GOOD), "--set", "search.trials=3"],
         "search.trials: unknown key"),
    Case("config", "--set of a value of the wrong type",
         lambda p: ["validate", p.write("c.yaml", GOOD), "--set", "search.max_trials=many"], "search.max_trials"),
    # ---- data --------------------------------------------------------------------------
    data_case("empty image folder", "image", _folder({}), "no .png/.jpg/.jpeg images found"),
    data_case("corrupt PNG in an image folder", "image", _folder({"broken.png": b"\x89PNG not really"}), "broken.png"),
    data_case("empty .npy file", "image", lambda p: p.write("zero.npy", ""), "zero.npy: empty file"),
    data_case("pickled objects in a .npy", "image", _npy(np.array([{"a": 1}], dtype=object), allow_pickle=True),
              "without pickle"),
    data_case("image array of the wrong shape", "image", _npy(np.ones((10, 4), dtype=np.float32)), "expected shape"),
    data_case("NaN in an image array", "image", _npy(np.full((10, 4, 4), np.nan, dtype=np.float32)), "NaN or infinite"),
    data_case("float images outside [0, 1]", "image", _npy(np.full((10, 4, 4), 3.0, dtype=np.float32)), "must lie in [0, 1]"),
    data_case("too few examples", "image", _npy(RNG.random((3, 4, 4), dtype=np.float32)), "example"),
    data_case("text that is not UTF-8", "text", _folder({"a.txt": "café".encode("latin-1")}), "not UTF-8 text"),
    data_case("empty text file", "text", lambda p: p.write("empty.txt", "   \n"), "no text"),
    data_case("text source that never ends (/dev/zero)", "text", _endless, "not a regular file"),
    data_case("text source of an unknown kind", "text", lambda p: p.write("data.csv", "a,b"), "expected builtin:pydoc"),
    data_case("folder without .txt files", "text", _folder({}), "no .txt files"),
    data_case("JSON Lines without the text field", "text", lambda p: p.write("c.jsonl", '{"body": "x"}\n'),
              "no field 'text'"),
    data_case("JSON Lines with a broken line", "text", lambda p: p.write("c.jsonl", '{"text": "ok"}\n{oops\n'),
              "c.jsonl:2: not valid JSON"),
    data_case("corrupt WAV in an audio folder", "audio", _folder({"a.wav": b"RIFF junk"}), "a.wav"),
    data_case("audio folder without WAV files", "audio", _folder({"notes.txt": b"hi"}), ".wav"),
    data_case("empty CSV file", "tabular", _file("t.csv", b""), "t.csv"),
    data_case("CSV with a header only", "tabular", _file("t.csv", b"age,city\n"), "t.csv"),
    data_case("CSV with one row", "tabular", _file("t.csv", b"age,city\n31,Oslo\n"), "at least 2 rows"),
    data_case("CSV column with every value missing", "tabular", _file("t.csv", b"age,city\n31,\n42,\n53,\n"), "'city'"),
    data_case("CSV column mixing numbers and text", "tabular",
              _file("t.csv", b"age\n" + b"".join(b"%d\n" % (20 + i) for i in range(30)) + b"old\n"), "'age'"),
    data_case("CSV that is not UTF-8", "tabular", _file("t.csv", "city\ncaf\u00e9\nbar\n".encode("latin-1")), "UTF-8"),
    data_case("table of an unknown kind", "tabular", _file("t.xlsx", b"PK"), "t.xlsx"),
    data_case("type stated for a column the table lacks", "tabular", _file("t.csv", b"a,b\n1,2\n3,4\n5,6\n"), "'nope'",
              extra=", columns: {nope: {type: integer}}"),
    data_case("target that is not a column", "tabular", _file("t.csv", b"a,b\n1,2\n3,4\n5,6\n"), "'nope'",
              extra=", target: nope"),
    # ---- run directories ---------------------------------------------------------------
    Case("run directory", "--run-dir that is a file", lambda p: ["cv", p.config, "--run-dir", p.write("notes.txt", "mine")],
         "is a file; expected a folder"),
    Case("run directory", "run directory made by another config",
         lambda p: ["cv", p.config, "--run-dir", p.run, "--set", "search.cv_folds=3"], "made with a different config"),
    Case("run directory", "fewer trials than the run already holds",
         lambda p: ["tune", p.config, "--run-dir", p.run, "--set", "search.max_trials=1"], "is below the"),
    Case("run directory", "damaged config.yaml in the run directory",
         lambda p: ["cv", p.config, "--run-dir", _damaged("config.yaml", b"[unclosed")(p)], "config.yaml: damaged"),
    Case("run directory", "damaged artifact (cv.json)",
         lambda p: ["cv", p.config, "--run-dir", _damaged("cv.json", b"{not json")(p)], "cv.json: not valid JSON"),
    Case("run directory", "run directory in use by a live process",
         lambda p: ["cv", p.config, "--run-dir", _locked(p)], "in use by process 1"),
    # ---- checkpoints, sample, evaluate ------------------------------------------------
    Case("checkpoint", "sample from a folder with no trained model", lambda p: ["sample", p.tmp], "no trained model"),
    Case("checkpoint", "weights file replaced by a pickle", lambda p: ["sample", _pickled_weights(p)],
         "not a genautoml checkpoint"),
    Case("checkpoint", "truncated weights file", lambda p: ["sample", _truncated_weights(p)], "weights-"),
    Case("checkpoint", "weights file missing", lambda p: ["sample", _missing_weights(p)], "weights-"),
    Case("checkpoint", "damaged model.json", lambda p: ["sample", _damaged("model/model.json", b"{")(p)], "model.json"),
    Case("sample", "-n 0", lambda p: ["sample", p.run, "-n", 0], "'-n'"),
    Case("sample", "-n above the ceiling", lambda p: ["sample", p.run, "-n", 10_001], "'-n'"),
    Case("sample", "--temperature nan", lambda p: ["sample", p.run, "--temperature", "nan"],
         "--temperature: expected a positive finite number, got nan"),
    Case("sample", "--temperature that is not a number", lambda p: ["sample", p.run, "--temperature", "warm"],
         "'--temperature'"),
    Case("sample", "--length on an image run", lambda p: ["sample", p.run, "--length", 10], "apply to text runs"),
    Case("sample", "--out that is a file", lambda p: ["sample", p.run, "--out", p.write("f.txt", "mine")], "is a file"),
    Case("sample", "--out folder holding the user's files", lambda p: ["sample", p.run, "--out", _not_ours(p)],
         "--overwrite"),
    Case("evaluate", "evaluate a folder with no run", lambda p: ["evaluate", p.tmp], "not a genautoml run directory"),
    Case("evaluate", "--samples that do not exist", lambda p: ["evaluate", p.run, "--samples", p.tmp / "none"],
         "does not exist"),
    Case("evaluate", "--samples holding one sample",
         lambda p: ["evaluate", p.run, "--samples", _samples(RNG.random((1, 8, 8, 1), dtype=np.float32))(p)],
         "at least 2"),
    Case("evaluate", "--samples of another image size",
         lambda p: ["evaluate", p.run, "--samples", _samples(RNG.random((9, 16, 16, 1), dtype=np.float32))(p)],
         "16x16 pixels, the data's 8x8"),
    Case("evaluate", "--samples folder of corrupt images",
         lambda p: ["evaluate", p.run, "--samples", _folder({"x.png": b"no"})(p)], "x.png"),
    Case("runs", "runs on a folder that does not exist", lambda p: ["runs", p.tmp / "nowhere"], "not a folder"),
    Case("runs", "show on a folder that is not a run", lambda p: ["show", p.tmp], "not a genautoml run directory"),
    Case("report", "report on a folder that is not a run", lambda p: ["report", p.tmp], "not a genautoml run directory"),
    Case("report", "report --out onto the user's file", lambda p: ["report", p.run, "--out", p.write("mine.html", "mine")],
         "exists; pass --overwrite"),
    Case("report", "report --out that is a folder", lambda p: ["report", p.run, "--out", p.tmp], "is a folder"),
    Case("config", "tracking.mlflow without a uri",
         lambda p: ["validate", p.write("c.yaml", GOOD), "--set", "tracking.mlflow.experiment=x"], "tracking.mlflow.uri"),
    # ---- the command line ------------------------------------------------------------
    Case("command line", "unknown command", lambda p: ["serch", p.config], "No such command"),
    Case("command line", "unknown option", lambda p: ["search", p.config, "--budget", "5m"], "No such option: --budget"),
    Case("command line", "missing config argument", lambda p: ["cv"], "Missing argument"),
    Case("command line", "--seed that is not a number", lambda p: ["sample", p.run, "--seed", "x"], "'--seed'"),
    Case("command line", "models --modality of an unknown kind", lambda p: ["models", "--modality", "video"],
         "--modality: expected one of"),
]


def run_case(case: Case, place: Place):
    """Run ``case`` in ``place`` through the CLI, in this process; the click result."""
    from tests.helpers import invoke

    return invoke(*case.argv(place))


def shown(text: str, place: Place) -> str:
    """What a command printed, with this machine's folders replaced by names a reader knows
    (and a weights file's name, unique to each training, by its pattern)."""
    import re

    text = text.strip().replace(str(place.run), "RUN").replace(str(place.config), "CONFIG").replace(str(place.tmp), "TMP")
    return re.sub(r"weights-[0-9a-f]+\.pt", "weights-<id>.pt", text)


def table(rows: list[tuple[Case, int, str]]) -> str:
    lines = [
        "# Bad input: what each gets",
        "",
        "Every bad input the tests cover (tests/bad_inputs.py), the command that met it, its exit",
        "code and what it printed: one line on stderr, no traceback, and nothing already written",
        "changed. Exit codes: 0 done, 1 internal error, 2 bad input, 130 interrupted (Ctrl-C),",
        "143 terminated (SIGTERM). `RUN` is a finished run directory, `CONFIG` its config, `TMP`",
        "a scratch folder. Regenerate with `.venv/bin/python -m tests.bad_inputs` (the test",
        "`tests/test_bad_inputs.py` fails when this table is out of date).",
        "",
        "| # | kind | bad input | exit | message |",
        "|---|---|---|---|---|",
    ]
    for number, (case, code, message) in enumerate(rows, 1):
        cell = message.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {number} | {case.group} | {case.what} | {code} | `` {cell} `` |")
    return "\n".join(lines) + "\n"


def row(case: Case, result, place: Place) -> tuple[Case, int, str]:
    return case, result.exit_code, shown(result.stderr, place)


def main() -> None:
    """Run every case against a fresh finished run and write docs/errors.md."""
    import tempfile

    from tests.conftest import TINY
    from tests.helpers import invoke

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        config = root / "tiny.yaml"
        config.write_text(textwrap.dedent(TINY))
        run = root / "run"
        finished = invoke("search", config, "--run-dir", run, "-q")
        assert finished.exit_code == 0, finished.output
        rows = []
        for number, case in enumerate(CASES):
            place = Place(root / f"case-{number}", run, config)
            place.tmp.mkdir()
            rows.append(row(case, run_case(case, place), place))
    TABLE.write_text(table(rows))
    print(f"{TABLE}: {len(rows)} rows")


if __name__ == "__main__":
    main()
