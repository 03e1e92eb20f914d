"""The layers keep to themselves: services know no request (they take the acting user,
address and user agent as arguments), and no service reaches into the web layer."""

import ast
from pathlib import Path

SERVICES = Path(__file__).parent.parent / "portal" / "services"
# What belongs to a request, and the web layer that reads it.
FORBIDDEN_FLASK_NAMES = {"request", "session", "g", "abort", "redirect", "url_for"}
FORBIDDEN_MODULES = ("flask_login", "portal.web", "portal.auth_session")


def imports_of(path):
    """(module, name) for every import in a file, relative ones resolved inside portal."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                package = ["portal", "services"][: max(0, 3 - node.level)]
                module = ".".join([*package, module] if module else package)
            found += [(module, alias.name) for alias in node.names]
    return found


def test_services_import_nothing_of_the_request():
    offences = []
    for path in sorted(SERVICES.glob("*.py")):
        for module, name in imports_of(path):
            if module == "flask" and name in FORBIDDEN_FLASK_NAMES:
                offences.append(f"{path.name}: from flask import {name}")
            if module.startswith(FORBIDDEN_MODULES) or (module == "portal" and name == "web"):
                offences.append(f"{path.name}: {module} {name or ''}".rstrip())
            if name == "login_manager":
                offences.append(f"{path.name}: login_manager")
    assert offences == []


def test_the_check_sees_an_offence(tmp_path):
    """The scan itself works: a module importing request is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from flask import request, current_app\nfrom ..web import login\n"
                   "from ..extensions import login_manager\n")
    found = imports_of(bad)
    assert ("flask", "request") in found and ("portal.web", "login") in found
    assert ("portal.extensions", "login_manager") in found


def test_every_public_service_function_says_what_it_does():
    missing = []
    for path in sorted(SERVICES.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_") \
                    and not ast.get_docstring(node):
                missing.append(f"{path.name}: {node.name}")
    assert missing == []
