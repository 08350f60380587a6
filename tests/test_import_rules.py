"""DESIGN.md's layering, enforced: a test fails when a module imports across a rule.

- Nothing outside ui/ imports Qt (PySide6, pyqtgraph, qasync).
- protocol/ and annotate/ are pure: no aiortc, av, Qt, websockets, no I/O (annotate may
  use numpy/OpenCV for its burn-in renderer; protocol uses nothing but the stdlib).
- signaling_server/ needs neither Qt nor media: it deploys on a bare host.
- Lower layers never import higher ones:
  benchmark -> ui -> session -> record -> media/annotate -> protocol.
- benchmark/ is the top: only cli.py imports it, and of its modules only the role window
  and the plot import Qt.
- No import cycles among the modules of ultrasound_consult and signaling_server, counting
  imports inside functions and under ``if TYPE_CHECKING:``.
- Test modules take shared helpers from tests/support/, never from another test module.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "ultrasound_consult"

QT = {"PySide6", "pyqtgraph", "qasync", "shiboken6"}
MEDIA = {"aiortc", "av", "cv2", "aioice", "pydicom"}
# Modules that do I/O (urllib.parse does not: it only handles strings).
IO = {
    "websockets",
    "aiohttp",
    "socket",
    "asyncio",
    "subprocess",
    "sqlite3",
    "urllib.request",
    "http",
}

LAYER = {
    "protocol": 0,
    "annotate": 1,
    "media": 2,
    "record": 2,
    "session": 3,
    "ui": 4,
    "benchmark": 5,
}
#: The benchmark modules that drive Qt: one side of a measured call with its real window,
#: and the per-second PNG drawn with pyqtgraph.
BENCHMARK_QT = {APP / "benchmark" / "role_window.py", APP / "benchmark" / "plot.py"}

#: Import cycles tolerated, as the import that closes each (importer, imported). The
#: engine split (issue 14) removed the last ones: keep it empty.
KNOWN_CYCLES: set[tuple[str, str]] = set()


#: Same-level imports that would still point upwards: record/ builds on media/.
SIDEWAYS = {("annotate", "media"), ("media", "record")}


def imports_of(path: Path) -> list[tuple[str, int]]:
    """Top-level names imported by a module (including inside functions), with line numbers."""
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def modules(root: Path):
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def violations(files, forbidden: set[str]) -> list[str]:
    """Imports of a forbidden module or package (matched by dotted prefix)."""
    bad = []
    for path in files:
        for name, line in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(REPO)}:{line} imports {name}")
    return bad


def test_no_qt_outside_ui():
    files = [
        p for p in modules(APP) if "ui" not in p.relative_to(APP).parts and p not in BENCHMARK_QT
    ]
    assert violations(files, QT) == []


def test_only_the_command_line_imports_the_benchmarks():
    """The benchmarks sit on top: no part of the app, nor the server, needs them."""
    files = [
        p
        for p in modules(APP) + modules(REPO / "signaling_server")
        if p != APP / "cli.py" and "benchmark" not in p.relative_to(REPO).parts
    ]
    assert violations(files, {"ultrasound_consult.benchmark"}) == []


def test_protocol_is_pure():
    assert violations(modules(APP / "protocol"), QT | MEDIA | IO | {"numpy"}) == []


def test_annotate_is_pure_but_may_rasterise_with_numpy_and_opencv():
    assert violations(modules(APP / "annotate"), QT | (MEDIA - {"cv2"}) | IO) == []


def test_signaling_server_has_no_media_or_qt():
    assert violations(modules(REPO / "signaling_server"), QT | MEDIA | {"numpy"}) == []


@pytest.mark.parametrize("layer", sorted(LAYER))
def test_lower_layers_never_import_higher_ones(layer):
    bad = []
    for path in modules(APP / layer):
        for name, line in imports_of(path):
            parts = name.split(".")
            if parts[0] != "ultrasound_consult" or len(parts) < 2 or parts[1] not in LAYER:
                continue
            if LAYER[parts[1]] > LAYER[layer] or (layer, parts[1]) in SIDEWAYS:
                bad.append(f"{path.relative_to(REPO)}:{line} ({layer}) imports {name}")
    assert bad == []


def module_graph(
    roots: tuple[Path, ...] = (APP, REPO / "signaling_server"), base: Path = REPO
) -> dict[str, set[str]]:
    """Every import between the modules of the two packages: module -> modules it imports.

    Counts imports inside functions and under ``if TYPE_CHECKING:`` (a cycle hidden there
    still ties the two modules together), and ``from package import module``.
    """
    files: dict[str, Path] = {}
    for root in roots:
        for path in modules(root):
            parts = list(path.relative_to(base).with_suffix("").parts)
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = name.split(".")[: None if path.name == "__init__.py" else -1]
                if node.level:
                    base = [*base[: len(base) - node.level + 1], node.module or ""]
                    module = ".".join(p for p in base if p)
                else:
                    module = node.module or ""
                targets = [
                    f"{module}.{alias.name}" if f"{module}.{alias.name}" in files else module
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                while target and target not in files:  # a name inside a module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    graph = module_graph()
    for importer, imported in KNOWN_CYCLES:
        graph[importer].discard(imported)
    assert cycles(graph) == []


def test_known_cycles_are_still_there():
    """A known cycle that is gone must leave KNOWN_CYCLES, so it cannot come back unseen."""
    graph = module_graph()
    gone = {(a, b) for a, b in KNOWN_CYCLES if b not in graph[a]}
    assert gone == set()


def test_the_cycle_check_sees_imports_in_functions_and_under_type_checking(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from pkg.b import thing\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import c\nthing = 1\n"
    )
    (pkg / "c.py").write_text("import pkg.a\n")
    (pkg / "d.py").write_text("from pkg import a\n")
    graph = module_graph((pkg,), tmp_path)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg.a"} and graph["pkg.d"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_test_modules_import_helpers_from_support_not_from_each_other():
    """A helper living in a test module breaks when that module is renamed or run alone."""
    tests = REPO / "tests"
    files = [p for p in modules(tests) if p.name.startswith("test_") or "support" in p.parts]
    bad = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for path in files
        for name, line in imports_of(path)
        if name.split(".")[:2] != ["tests", "support"] and name.split(".")[0] == "tests"
    ]
    assert bad == []
    assert len(files) > 40, "the tests were found"


def test_the_raw_protocol_client_uses_none_of_the_app():
    """It stands for an outsider's client written from docs/protocol.md alone."""
    raw = REPO / "tests" / "support" / "raw_peer.py"
    assert violations([raw], {"ultrasound_consult", "signaling_server", "tests"}) == []


def test_the_server_runs_where_qt_and_media_libraries_are_missing(tmp_path):
    """Start the server with PySide6, aiortc, av, cv2 and numpy made unimportable."""
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        textwrap.dedent(
            """
            import sys
            BLOCKED = {"PySide6", "pyqtgraph", "aiortc", "av", "cv2", "numpy", "pydicom", "aioice"}
            class Block:
                def find_spec(self, name, path=None, target=None):
                    if name.split(".")[0] in BLOCKED:
                        raise ImportError(f"{name} is not installed on this host")
            sys.meta_path.insert(0, Block())
            """
        )
    )
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}")
    code = textwrap.dedent(
        """
        import asyncio, json, time
        from ultrasound_consult.protocol.signaling import Role
        from websockets.asyncio.client import connect
        from signaling_server.config import ServerSettings
        from signaling_server.server import SignalingServer

        async def main():
            server = SignalingServer(ServerSettings(port=0), b"s" * 32)
            await server.start()
            async with connect(server.url) as ws:
                token = server.signer.mint("r", Role.EXPERT, ttl_s=60, now=time.time()).code()
                join = {"type": "join", "v": 1, "room": "r", "role": "expert", "name": "", "token": token}
                await ws.send(json.dumps(join))
                print(json.loads(await ws.recv())["type"])
            await server.close()

        asyncio.run(main())
        import sys
        print(sorted(m for m in ("PySide6", "aiortc", "av", "cv2", "numpy") if m in sys.modules))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["welcome", "[]"]
