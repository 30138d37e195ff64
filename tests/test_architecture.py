"""The shape of the house (docs/architecture.md), checked rather than agreed:

- a module imports only from the parts its own part may import from;
- no module over 400 lines, no function over 50 lines unless a comment says why.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "genautoml"

# The parts, by module path prefix (the longest prefix wins).
PARTS = {
    "genautoml.cli": "shell", "genautoml.__main__": "shell", "genautoml.views": "shell", "genautoml.api": "shell",
    "genautoml.tracking": "shell",
    "genautoml.pipeline": "pipeline",
    "genautoml.search": "search",
    "genautoml.data": "data",
    "genautoml.models": "models",
    "genautoml.metrics": "metrics",
    "genautoml": "core",  # config, errors, atomic, rundir, records, device, spec, seeds, modalities, schema/
}
ALLOWED = {
    "shell": {"shell", "pipeline", "core"},
    "pipeline": {"pipeline", "search", "data", "models", "metrics", "core"},
    "search": {"search", "core"},
    "data": {"data", "metrics", "core"},
    "models": {"models", "core"},
    "metrics": {"metrics", "core"},
    "core": {"core"},
}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
# A function may run longer when a comment inside its first lines says why.
LONG_MARKER = "# long:"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    for prefix in sorted(PARTS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return PARTS[prefix]
    raise AssertionError(f"{module} belongs to no part")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every genautoml module ``path`` imports, at any depth (lazy imports in functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # ``from genautoml import atomic`` imports the module genautoml.atomic
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/")).with_suffix(".py").exists()]
    return [(line, name) for line, name in found if name == "genautoml" or name.startswith("genautoml.")]


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_part():
    for path in sources():
        part_of(module_name(path))


def test_no_import_crosses_a_forbidden_line():
    crossings = []
    for path in sources():
        here = part_of(module_name(path))
        for line, name in imported_modules(path):
            there = part_of(name)
            if there not in ALLOWED[here]:
                crossings.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {here} imports {name} ({there})")
    assert not crossings, "\n".join(crossings)


def test_the_checker_sees_a_crossing(tmp_path):
    # The rule above must be able to fail: a search module importing a model is caught.
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from genautoml.models.registry import get_family\n")
    names = [name for _, name in imported_modules(bad)]
    assert names == ["genautoml.models.registry"] and part_of(names[0]) not in ALLOWED["search"]


def test_modules_are_small():
    large = [f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in sources()
             if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not large, "\n".join(large)


def long_functions(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            head = "\n".join(lines[node.lineno - 1: node.lineno + 5])
            if length > MAX_FUNCTION_LINES and LONG_MARKER not in head:
                out.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.name} is {length} lines")
    return out


def test_functions_are_short():
    found = [line for path in sources() for line in long_functions(path)]
    assert not found, "\n".join(found)
