"""The house's layers (DESIGN.md, "Layers"): imports point downward only, no circles, small modules.

Every import statement counts, including those inside functions: a function-level import is still
a dependency, and one that closes a circle only hides it until the function runs.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "explorer")
UI = ("streamlit", "plotly")
# The command line's --report reaches the report builder (plotly) only when asked, at function
# level (tests/explorer/test_report.py checks that importing core.train loads no UI module).
CORE_MAY_IMPORT = {("core.train", "explorer.report.build"), ("core.train", "explorer.report.record")}
MAX_LINES = 400  # any module of the project's own code (locale files are TOML, not modules)
MAX_PAGE_LINES = 200  # pages are layout only


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """(imported dotted name, at top level?) for every import in the module, names included
    (``from a import b`` gives "a" and "a.b": b may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = _resolve(name, path, node)
            out.append((mod, id(node) in top))
            out += [(f"{mod}.{a.name}", id(node) in top) for a in node.names]
    return out


def _graph() -> dict[str, set[str]]:
    """Module -> project modules it imports. ``from pkg import sub`` of a submodule depends on the
    submodule, not on the package's __init__ (which Python runs first, but which only re-exports)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                mod = _resolve(name, path, node)
                subs = {f"{mod}.{a.name}" for a in node.names} & set(mods)
                deps |= subs if len(subs) == len(node.names) else subs | {mod}
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def _resolve(name: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module name of a (possibly relative) ``from ... import``."""
    if not node.level:
        return node.module or ""
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _bad_imports(prefix: str, forbidden: tuple[str, ...], allowed=frozenset()) -> list[str]:
    bad = []
    for name, path in _modules().items():
        if not (name == prefix or name.startswith(prefix + ".")):
            continue
        for target, top in _imports(name, path):
            hit = next((f for f in forbidden if target == f or target.startswith(f + ".")), None)
            ok = any(name == m and (target == a or target.startswith(a + ".")) for m, a in allowed)
            if hit and not (ok and not top):
                bad.append(f"{path.relative_to(ROOT)} imports {target}")
    return sorted(set(bad))


def test_core_imports_no_ui_no_explorer_no_pages():
    assert _bad_imports("core", UI + ("explorer", "pages"), CORE_MAY_IMPORT) == []


def test_the_allowed_exception_is_still_function_level():
    # if core.train ever imports the report at the top, the rule above reports it
    tops = [t for t, top in _imports("core.train", ROOT / "core" / "train.py") if top and t.startswith("explorer")]
    assert tops == []


def test_explorer_never_imports_pages():
    assert _bad_imports("explorer", ("pages", "app")) == []


def test_figure_builders_import_neither_streamlit_nor_torch():
    assert _bad_imports("explorer.figures", ("streamlit", "torch")) == []


def test_no_import_circles():
    assert _cycles(_graph()) == []


def test_the_circle_finder_finds_circles():
    # the check above is only as good as this finder
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_function_level_imports():
    g = _graph()
    # core.train reaches the report builder only inside main(); the graph must still see it
    assert "explorer.report.build" in g["core.train"]


# explorer/ has a folder per concern: its top level holds no module but the package's __init__.py
EXPLORER_PACKAGES = {"app", "jobs", "views", "figures", "report"}  # Python packages
EXPLORER_DATA = {"locales", "static"}  # folders of data files, not code


def test_explorer_top_level_holds_only_packages():
    top = ROOT / "explorer"
    modules = sorted(p.name for p in top.glob("*.py") if p.name != "__init__.py")
    assert modules == [], f"flat modules in explorer/: {modules}; put each in app/, jobs/, views/, report/"
    dirs = {p.name for p in top.iterdir() if p.is_dir() and p.name != "__pycache__"}
    extra = dirs - EXPLORER_PACKAGES - EXPLORER_DATA
    assert extra == set(), f"unexpected folders in explorer/: {sorted(extra)}"
    missing = sorted(d for d in EXPLORER_PACKAGES if not (top / d / "__init__.py").is_file())
    assert missing == [], f"explorer packages without __init__.py: {missing}"


def test_view_modules_are_named_after_pages():
    # explorer/views/ holds page logic: <stem>.py or <stem>_<part>.py of a page pages/<stem>.py
    stems = {p.stem for p in (ROOT / "pages").glob("*.py")}
    views = [p.stem for p in (ROOT / "explorer" / "views").glob("*.py") if p.name != "__init__.py"]
    strays = sorted(v for v in views if not any(v == s or v.startswith(s + "_") for s in stems))
    assert strays == [], f"explorer/views/ modules not named after a page (pages/<stem>.py): {strays}"


def _project_files():
    files = [ROOT / "app.py"]
    for d in ("core", "explorer", "pages", "bench"):
        files += sorted((ROOT / d).rglob("*.py"))
    return files


@pytest.mark.parametrize("path", _project_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_size(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    limit = MAX_PAGE_LINES if path.parent.name == "pages" else MAX_LINES
    assert n <= limit, f"{path.relative_to(ROOT)} has {n} lines (at most {limit}): split it by concept"
