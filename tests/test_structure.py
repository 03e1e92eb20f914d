"""The shape of the code stays walkable: small modules, short functions, no import cycles
among the services, and base services that know nothing of the capabilities above them
(docs/architecture.md, "Base services and the import rule")."""

import ast
from pathlib import Path

PORTAL = Path(__file__).parent.parent / "portal"
SERVICES = PORTAL / "services"

MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 40
# The seal's one job (sealing, verifying and keeping the certificates) may stay near the
# limit; nothing else may pass it. Paths are relative to portal/.
LONGER_MODULES = {"services/seal.py": 330, "services/consents/seal.py": 330}

# Shared services every capability may use. They import each other (without cycles), the
# models, extensions and database, never a capability service.
BASE_SERVICES = {
    "audit", "clock", "codes", "errors", "mail", "paging", "passwords", "pdf", "practice",
    "ratelimit", "secretbox", "throttle", "tokens", "typed_input",
}


# -- what the checks read ---------------------------------------------------------------

def module_name(path, services):
    """The dotted name of a module under `services` ("portal.services.consents.signing"; a
    package is named by its folder)."""
    parts = list(path.relative_to(services.parent.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path, services):
    """The dotted package a module's relative imports start from."""
    return module_name(path.parent / "__init__.py", services).split(".")


def imported_modules(path, services, known):
    """The modules of `known` that the file at `path` imports, anywhere in it (inside
    functions too), with relative imports resolved: `from . import x`, `from .pkg import mod`,
    `from .mod import name`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package(path, services)
                package = package[:len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:  # a module: from .pkg import mod
                    found.add(f"{base}.{alias.name}")
                elif base in known:  # a name from a module (or a package's __init__)
                    found.add(base)
    return found


def import_graph(services):
    """Module name -> the service modules it imports, for every .py under `services`."""
    paths = {module_name(path, services): path for path in sorted(services.rglob("*.py"))}
    return {name: imported_modules(path, services, paths) - {name}
            for name, path in paths.items()}


def find_cycle(graph):
    """One import cycle as a list of names (first == last), or None."""
    state = {}  # name -> "open" while on the path, "done" once all it reaches is checked

    def visit(name, path):
        state[name] = "open"
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target, [*path, target])):
                return cycle
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state and (cycle := visit(name, [name])):
            return cycle
    return None


def base_offences(graph, prefix="portal.services."):
    """"base -> capability" for each import of a non-base service by a base service."""
    def short(name):
        return name.removeprefix(prefix)

    return sorted(f"{short(name)} -> {short(target)}"
                  for name, targets in graph.items() if short(name) in BASE_SERVICES
                  for target in targets if short(target).split(".")[0] not in BASE_SERVICES)


def long_modules(root):
    """Modules over their limit under `root`, as "path: lines"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > LONGER_MODULES.get(relative, MAX_MODULE_LINES):
            found.append(f"{relative}: {lines}")
    return found


def long_functions(root):
    """Functions and methods over the limit under `root` (the def line to the last line,
    decorators not counted), as "path:line name: lines"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}: {lines}")
    return found


# -- the rules --------------------------------------------------------------------------

def test_no_module_is_over_300_lines():
    offenders = long_modules(PORTAL)
    assert offenders == [], "over 300 lines:\n" + "\n".join(offenders)


def test_no_function_is_over_40_lines():
    offenders = long_functions(PORTAL)
    assert offenders == [], "over 40 lines:\n" + "\n".join(offenders)


def test_the_services_import_each_other_without_a_cycle():
    cycle = find_cycle(import_graph(SERVICES))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_base_services_import_no_capability_service():
    graph = import_graph(SERVICES)
    assert {f"portal.services.{name}" for name in BASE_SERVICES} <= set(graph)  # none moved away
    offenders = base_offences(graph)
    assert offenders == [], "base service -> capability:\n" + "\n".join(offenders)


# -- each check sees an offence ---------------------------------------------------------

def _write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_size_checks_see_an_offence(tmp_path):
    _write(tmp_path, "long.py", "x = 1\n" * 301)
    _write(tmp_path, "just_fits.py", "x = 1\n" * 300)
    _write(tmp_path, "services/seal.py", "x = 1\n" * 330)
    body = "".join(f"        x{n} = {n}\n" for n in range(39))
    _write(tmp_path, "functions.py", "class Box:\n    @staticmethod\n    @decorator\n"
           "    def fits():\n" + body + "\n    def too_long(self):\n" + body + "        pass\n")
    assert long_modules(tmp_path) == ["long.py: 301"]
    assert long_functions(tmp_path) == ["functions.py:45 too_long: 41"]


def test_the_cycle_check_sees_a_cycle_through_packages_and_functions(tmp_path):
    services = tmp_path / "portal" / "services"
    _write(services, "audit.py", "from .patients import parse_date\n")
    _write(services, "patients.py", "def edit():\n    from .consents import signing\n")
    _write(services, "consents/__init__.py", '"""Consents."""\n')
    _write(services, "consents/signing.py", "from . import documents\n")
    _write(services, "consents/documents.py", "from .. import audit\nfrom ...models import X\n")
    graph = import_graph(services)
    assert graph["portal.services.consents.documents"] == {"portal.services.audit"}
    assert find_cycle(graph) == [
        "portal.services.audit", "portal.services.patients", "portal.services.consents.signing",
        "portal.services.consents.documents", "portal.services.audit"]
    _write(services, "audit.py", "")
    assert find_cycle(import_graph(services)) is None


def test_the_base_check_sees_a_capability_import(tmp_path):
    services = tmp_path / "portal" / "services"
    _write(services, "mail.py", "from . import practice\nfrom .consents import signing\n")
    _write(services, "practice.py", "")
    _write(services, "consents/__init__.py", "")
    _write(services, "consents/signing.py", "from .. import mail\n")
    assert base_offences(import_graph(services)) == ["mail -> consents.signing"]
