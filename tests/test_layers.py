"""Layers only point down: events/ (the vocabulary) <- libraries <- services <- tools.

Every module under events/ and services/ is parsed (nothing is imported), and each import of an sdg package is
checked against the layer of the importing package. A failure lists each offending import as file:line.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = frozenset({"common", "projections", "registries", "schema_rules", "access"})
SERVICES = frozenset({"api", "worker", "projector", "coordinator", "replay", "cli"})
TOOLS = frozenset({"contracts"})  # builds what spans every service (the AsyncAPI document): may import them all


def package_of(module: str) -> str | None:
    """`events`, or the package under services/ that a dotted module name belongs to; None for anything else."""
    parts = module.split(".")
    if parts[0] == "events":
        return "events"
    if parts[0] == "services" and len(parts) > 1:
        return parts[1]
    return None


def imported_modules(tree: ast.AST, own_module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, function-level ones included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the importing module's package
                base = own_module.split(".")[:-node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from services import api` imports services.api: name each imported name under its module
            found += [(node.lineno, f"{module}.{alias.name}" if alias.name != "*" else module) for alias in node.names]
    return found


def imports_by_package() -> list[tuple[str, str, str, str]]:
    """(importer's package, imported package, module imported, file:line) for every sdg import in the tree."""
    edges = []
    for path in sorted([*ROOT.glob("events/**/*.py"), *ROOT.glob("services/**/*.py")]):
        relative = path.relative_to(ROOT)
        module = ".".join(relative.with_suffix("").parts)
        own = package_of(module)
        for line, imported in imported_modules(ast.parse(path.read_text(), str(relative)), module):
            target = package_of(imported)
            if target is not None and target != own:
                edges.append((own, target, imported, f"{relative}:{line}"))
    return edges


def offending(allowed) -> list[str]:
    return [f"{where}: {own} imports {module}" for own, target, module, where in imports_by_package()
            if not allowed(own, target)]


def test_every_package_under_services_is_a_library_a_service_or_a_tool():
    packages = {p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists()}
    assert packages == LIBRARIES | SERVICES | TOOLS, "name each new package's layer in tests/test_layers.py"


def test_events_import_nothing_from_services():
    problems = offending(lambda own, target: own != "events" or target == "events")
    assert not problems, "events/ is the vocabulary below everything:\n" + "\n".join(problems)


def test_no_library_imports_a_service_or_a_tool():
    problems = offending(lambda own, target: own not in LIBRARIES or target in LIBRARIES | {"events"})
    assert not problems, "a library serves services; move the code down a layer:\n" + "\n".join(problems)


def test_no_service_imports_another_service_or_a_tool():
    problems = offending(lambda own, target: own not in SERVICES or target in LIBRARIES | {"events"})
    assert not problems, "when two services need the same code, it moves down to a library:\n" + "\n".join(problems)
