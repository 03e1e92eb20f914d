"""The layers keep to themselves: services know no request (they take the acting user,
address and user agent as arguments), and no service reaches into the web layer."""

import ast
from pathlib import Path

SERVICES = Path(__file__).parent.parent / "portal" / "services"
# What belongs to a request, and the web layer that reads it.
FORBIDDEN_FLASK_NAMES = {"request", "session", "g", "abort", "redirect", "url_for"}
FORBIDDEN_MODULES = ("flask_login", "portal.web", "portal.auth_session")


def package_of(path):
    """The dotted package a file is in, from its place under portal/ (a file elsewhere, as in
    the test below, counts as one of portal/services)."""
    parts = path.parent.parts
    if "portal" not in parts:
        return ["portal", "services"]
    return list(parts[len(parts) - 1 - parts[::-1].index("portal"):])


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
                package = package_of(path)
                package = package[:max(0, len(package) - (node.level - 1))]
                module = ".".join([*package, module] if module else package)
            found += [(module, alias.name) for alias in node.names]
    return found


def test_services_import_nothing_of_the_request():
    offences = []
    for path in sorted(SERVICES.rglob("*.py")):
        where = path.relative_to(SERVICES)
        for module, name in imports_of(path):
            if module == "flask" and name in FORBIDDEN_FLASK_NAMES:
                offences.append(f"{where}: from flask import {name}")
            if module.startswith(FORBIDDEN_MODULES) or (module == "portal" and name == "web"):
                offences.append(f"{where}: {module} {name or ''}".rstrip())
            if name == "login_manager":
                offences.append(f"{where}: login_manager")
    assert offences == []


def test_the_check_sees_an_offence(tmp_path):
    """The scan itself works: a module importing request is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from flask import request, current_app\nfrom ..web import login\n"
                   "from ..extensions import login_manager\n")
    found = imports_of(bad)
    assert ("flask", "request") in found and ("portal.web", "login") in found
    assert ("portal.extensions", "login_manager") in found
    # ...and one a level down, in a service package (the scans are recursive).
    nested = tmp_path / "portal" / "services" / "consents" / "bad.py"
    nested.parent.mkdir(parents=True)
    nested.write_text("from ...web import login\nfrom . import signing\n")
    assert imports_of(nested) == [("portal.web", "login"), ("portal.services.consents", "signing")]


def test_every_public_service_function_says_what_it_does():
    missing = []
    for path in sorted(SERVICES.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_") \
                    and not ast.get_docstring(node):
                missing.append(f"{path.relative_to(SERVICES)}: {node.name}")
    assert missing == []
