"""Every bad input in tests/bad_inputs.py: exit 2, one ``error:`` line saying what is expected,
no traceback, and the finished run it may have read is unchanged, byte for byte."""

import hashlib

import pytest

from tests.bad_inputs import CASES, TABLE, Place, row, run_case, table


def snapshot(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def observed():
    """Each case's table row, as the cases run (the table test reads them)."""
    return {}


@pytest.mark.parametrize("number", range(len(CASES)), ids=[case.what for case in CASES])
def test_bad_input_gets_one_clear_line_and_exit_2(finished_run, tmp_path, number, observed):
    config, run_dir, _ = finished_run
    case, place = CASES[number], Place(tmp_path, run_dir, config)
    before = snapshot(run_dir)
    result = run_case(case, place)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == case.exit_code, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert case.expect in lines[0], lines[0]
    assert "Traceback" not in result.output and result.stdout == ""
    assert snapshot(run_dir) == before  # nothing already written was changed
    observed[number] = row(case, result, place)


def test_the_docs_table_is_what_the_commands_print(observed):
    """docs/errors.md lists every case with the exit code and line the commands printed just
    now (run after the cases; with some deselected, the rows of those that ran are checked)."""
    assert len(CASES) >= 60
    written = TABLE.read_text().splitlines()
    expected = table([observed.get(n, (case, 0, "")) for n, case in enumerate(CASES)]).splitlines()
    assert len(written) == len(expected), "docs/errors.md is out of date: run python -m tests.bad_inputs"
    for number in observed:
        line = next(i for i, text in enumerate(expected) if text.startswith(f"| {number + 1} |"))
        assert written[line] == expected[line], "docs/errors.md is out of date: run python -m tests.bad_inputs"
