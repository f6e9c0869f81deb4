"""The house rules that keep the package layered: imports point one way, modules stay readable.

Layers, lowest first: errors <- io <- summary <- models <- analyses <- report <- monthly <- cli.
A module may import from its own layer and the layers below, never above, whether the import
sits at the top of the file or inside a function (the lazy imports that keep ``crmkit --help``
fast are still dependencies).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "crmkit"

LAYERS = ("base", "io", "summary", "models", "analyses", "report", "monthly", "cli")
ANALYSES = {
    "segment",
    "pareto",
    "clv",
    "retention",
    "satisfaction",
    "ladder",
    "synth",
    "synth_platforms",
    "synth_customers",
    "profile",
    "preferences",
    "recommend",
    "care",
    "synth_baskets",
    "affinity",
    "campaign",
    "feedback",
    "economics",
    "economics_rows",
    "synth_campaigns",
    "synth_feedback",
    "loyalty",
    "clv_holdout",
    "clv_forecast",
    "clv_covariates",
    "contract",
    "synth_contracts",
}
MAX_LINES = 700


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside crmkit."""
    parts = module.split(".")
    if parts == ["crmkit"]:
        return "facade"
    top = parts[1]
    if top in ("errors", "schemes"):  # schemes/ holds only TOML data
        return "base"
    if top == "survey_models":  # the satisfaction model presets and their loader
        return "analyses"
    if top in ("io", "data"):  # crmkit.data: the deprecated re-export of crmkit.io
        return "io"
    if top in ("summary", "models", "report", "monthly"):
        return top
    if top == "pushdown":  # the summary's first stage, run where the rows are
        return "summary"
    if top in ANALYSES:
        return "analyses"
    if top in ("cli", "cli_shared", "__main__"):
        return "cli"
    raise AssertionError(f"{module} belongs to no layer: add it to tests/test_layout.py")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every crmkit import in a file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "crmkit"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if base.split(".")[0] != "crmkit":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                # `from crmkit import models` imports a module; `from crmkit.io import x` a name
                is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    PACKAGE.parent / Path(*candidate.split(".")) / "__init__.py"
                ).exists()
                found.append((node.lineno, candidate if is_module else base))
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path):
    own = module_name(path)
    if own == "crmkit":
        return  # the public facade loads everything lazily by name
    mine = LAYERS.index(layer_of(own))
    upward = []
    for line, target in imported_modules(path):
        theirs = layer_of(target)
        if theirs == "facade":
            if target == "crmkit" and layer_of(own) != "cli":
                upward.append(f"line {line}: {target} (only the CLI may use the facade)")
            continue
        if LAYERS.index(theirs) > mine:
            upward.append(f"line {line}: {target} ({theirs})")
    assert not upward, f"{own} ({layer_of(own)}) imports upward: " + "; ".join(upward)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_readable(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines; split it by concept"


def test_the_checker_sees_a_violation(tmp_path):
    # the test above must be able to fail: an upward import is found, a downward one is not
    module = PACKAGE / "summary.py"
    assert any(layer_of(t) == "io" for _, t in imported_modules(module))
    assert layer_of("crmkit.cli") == "cli" and LAYERS.index("cli") > LAYERS.index("summary")


def test_only_the_cli_imports_typer():
    users = [
        str(p.relative_to(PACKAGE))
        for p in SOURCES
        if any(
            isinstance(n, (ast.Import, ast.ImportFrom))
            and "typer"
            in (
                [a.name.split(".")[0] for a in n.names]
                if isinstance(n, ast.Import)
                else [(n.module or "").split(".")[0]]
            )
            for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    ]
    assert users == ["cli.py", "cli_shared.py"]
