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


# -- The web side (issue 20): blueprints keep to themselves, views call services, forms
# parse what they are given. --

PORTAL = SERVICES.parent
BLUEPRINTS = PORTAL / "blueprints"
MODELS = PORTAL / "models"


def module_imports(path, root=PORTAL):
    """(module, name) for every import in `path`, relative ones resolved from where the file
    really is (portal/blueprints/staff/views.py: `..auth` is portal.blueprints.auth)."""
    package = ["portal", *path.relative_to(root).parent.parts]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            found += [(module, alias.name) for alias in node.names]
    return found


def other_blueprints_imported(path, root=PORTAL):
    """The blueprints other than its own that a module under portal/blueprints/X/ imports."""
    own = path.relative_to(root).parts[1]
    found = set()
    for module, name in module_imports(path, root):
        parts = module.split(".")
        if parts[:2] != ["portal", "blueprints"]:
            continue
        other = parts[2] if len(parts) > 2 else name
        if other and other != own:
            found.add(other)
    return found


def test_no_blueprint_imports_another():
    offences = [f"{path.relative_to(PORTAL)}: {', '.join(sorted(others))}"
                for path in sorted(BLUEPRINTS.glob("*/**/*.py"))
                if (others := other_blueprints_imported(path))]
    assert offences == []


def test_the_blueprint_check_sees_an_offence(tmp_path):
    staff = tmp_path / "blueprints" / "staff"
    staff.mkdir(parents=True)
    bad = staff / "views.py"
    bad.write_text("from ..auth import staff_bp\nfrom ...blueprints.records.views import x\n"
                   "from .. import twostep\nfrom . import bp\nfrom ...forms import ButtonForm\n")
    assert other_blueprints_imported(bad, tmp_path) == {"auth", "records", "twostep"}


def model_classes():
    """The names of the model classes (every class defined in portal/models)."""
    return {node.name for path in MODELS.glob("*.py")
            for node in ast.parse(path.read_text()).body if isinstance(node, ast.ClassDef)}


def model_queries(path, models):
    """Where a module queries a model class itself: select(Model...), session.get(Model, ...),
    session.query(Model), Model.query."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name) \
                and node.args[0].id in models:
            called = node.func.attr if isinstance(node.func, ast.Attribute) else \
                getattr(node.func, "id", "")
            if called in ("select", "get", "query"):
                found.append(f"{called}({node.args[0].id}) line {node.lineno}")
        elif isinstance(node, ast.Attribute) and node.attr == "query" \
                and isinstance(node.value, ast.Name) and node.value.id in models:
            found.append(f"{node.value.id}.query line {node.lineno}")
    return found


def is_forms_module(path):
    return path.name == "forms.py" or path.name.endswith("_forms.py")


def test_views_query_no_model_class():
    models = model_classes()
    offences = [f"{path.relative_to(PORTAL)}: {found}"
                for path in sorted(BLUEPRINTS.glob("**/*.py")) if not is_forms_module(path)
                for found in model_queries(path, models)]
    assert offences == []


def test_the_model_query_check_sees_an_offence(tmp_path):
    bad = tmp_path / "views.py"
    bad.write_text("def view(entry_id):\n    a = db.session.get(RecordEntry, entry_id)\n"
                   "    b = db.session.scalars(select(Patient).where(Patient.id == 1))\n"
                   "    c = StaffUser.query.all()\n    d = select(func.count())\n"
                   "    return records.get(entry_id)\n")
    found = model_queries(bad, {"RecordEntry", "Patient", "StaffUser"})
    assert sorted(item.split(" line")[0] for item in found) == \
        ["StaffUser.query", "get(RecordEntry)", "select(Patient)"]


def request_in_forms(path, root=PORTAL):
    """Where a forms module imports or uses flask's request."""
    found = [f"imports {name or module}" for module, name in module_imports(path, root)
             if (module == "flask" and name == "request") or module == "flask.request"]
    found += [f"flask.request line {node.lineno}" for node in ast.walk(ast.parse(path.read_text()))
              if isinstance(node, ast.Attribute) and node.attr == "request"
              and isinstance(node.value, ast.Name) and node.value.id == "flask"]
    return found


def test_forms_read_no_request():
    forms = [PORTAL / "forms.py", *(path for path in sorted(BLUEPRINTS.glob("**/*.py"))
                                    if is_forms_module(path))]
    offences = [f"{path.relative_to(PORTAL)}: {found}"
                for path in forms for found in request_in_forms(path)]
    assert offences == []


def test_the_forms_check_sees_an_offence(tmp_path):
    (tmp_path / "blueprints").mkdir()
    bad = tmp_path / "blueprints" / "forms.py"
    bad.write_text("import flask\n\nclass F:\n    def ticked(self):\n"
                   "        from flask import request\n"
                   "        return request.form, flask.request.args\n")
    assert is_forms_module(bad) and is_forms_module(tmp_path / "consent_forms.py")
    assert request_in_forms(bad, tmp_path) == ["imports request", "flask.request line 6"]
