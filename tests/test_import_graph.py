"""engql's modules import one another without a cycle, counting the imports inside
functions too: each stage depends only on the ones before it, and the shell, ``engql
run`` and the CLI share code through modules of their own (exits, running), not
through each other."""

from __future__ import annotations

import ast
from pathlib import Path

ENGQL = Path(__file__).resolve().parent.parent / "engql"


def module_name(path: Path) -> str:
    parts = path.relative_to(ENGQL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in ENGQL.rglob("*.py")}


def imported(path: Path) -> set[str]:
    """The engql modules a file imports, anywhere in it. ``from engql import facts``
    imports engql.facts (not the package's __init__, which Python loads first anyway)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules
            if node.module in MODULES and len(submodules) < len(node.names):
                found.add(node.module)
    return found - {module_name(path)}


GRAPH = {name: imported(path) for name, path in MODULES.items()}


def cycle_from(start: str) -> list[str] | None:
    """A path of imports from ``start`` back to it, if there is one."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        for dependency in sorted(GRAPH[name]):
            if dependency == start:
                return [*path, start]
            if dependency not in seen:
                seen.add(dependency)
                stack.append((dependency, [*path, dependency]))
    return None


def test_the_graph_is_read() -> None:
    assert "engql.running" in GRAPH["engql.run_command"]
    assert "engql.facts" in GRAPH["engql.plan.planner"]


def test_no_module_imports_itself_through_others() -> None:
    cycles = [cycle for name in sorted(GRAPH) if (cycle := cycle_from(name))]
    assert cycles == []


def test_the_shell_and_the_commands_do_not_import_each_other() -> None:
    for name, imports in GRAPH.items():
        if name.startswith("engql.repl."):
            assert not imports & {"engql.cli", "engql.run_command"}, name
    assert not any(name.startswith("engql.repl") for name in GRAPH["engql.run_command"])
