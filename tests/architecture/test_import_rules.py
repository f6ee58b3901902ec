"""The layering the package docstrings promise, checked over the real import graph (every import statement)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "admin", "intents", "knowledge")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path) -> set[str]:
    """Modules of the project this file imports, anywhere in it (lazy imports inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def graph() -> dict[str, set[str]]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        edges[name] = {target for target in project_imports(path) if target in modules and target != name}
    return edges


GRAPH = graph()


def imports_of(prefix: str) -> dict[str, set[str]]:
    return {m: t for m, t in GRAPH.items() if m == prefix or m.startswith(prefix + ".")}


def test_the_line_edge_never_imports_the_dialogue_or_the_domain_services():
    forbidden = ("bot.dialogue", "bot.booking", "bot.handoff", "bot.privacy")
    bad = {m: sorted(t for t in ts if t.startswith(forbidden)) for m, ts in imports_of("bot.line").items()}
    assert not {m: t for m, t in bad.items() if t}


def test_intents_never_import_bot_or_admin():
    bad = {m: sorted(t for t in ts if t.startswith(("bot", "admin"))) for m, ts in imports_of("intents").items()}
    assert not {m: t for m, t in bad.items() if t}


def test_knowledge_imports_nothing_of_bot_but_the_database_base():
    allowed = {"bot.platform.db", "bot.platform"}
    bad = {
        m: sorted(t for t in ts if t.startswith(("bot", "admin")) and t not in allowed)
        for m, ts in imports_of("knowledge").items()
    }
    assert not {m: t for m, t in bad.items() if t}


def test_the_running_bot_never_imports_the_admin_or_the_developer_tools():
    runtime = ("bot.line", "bot.dialogue", "bot.booking", "bot.handoff", "bot.privacy")  # their CLI commands aside
    bad = {
        m: sorted(t for t in ts if t.startswith(("bot.tools", "admin")))
        for m, ts in GRAPH.items()
        if m.startswith(runtime) and not m.endswith(".cli")
    }
    assert not {m: t for m, t in bad.items() if t}


def test_there_are_no_import_cycles_between_modules():
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in sorted(GRAPH.get(node, ())):
            if target.startswith(node + ".") or node.startswith(target + "."):
                continue  # a package and its own modules
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target] if target in stack else [node, target])
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles
