"""The shell's views: what people see of a run (rich on a terminal, plain lines in CI logs)."""
