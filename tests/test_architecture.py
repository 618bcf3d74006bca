"""Every domain app has the shape docs/architecture.md describes ("The files of a domain app").

Each rule is a function from an app to the problems found (an empty list: the app complies).
What does not comply yet is listed in KNOWN_GAPS, with the reason: such a case is reported as
an expected failure, and fails for real once it complies, so the entry is removed then and the
list only shrinks. A new app goes into APPS (and the layer table of docs/architecture.md).

Whether access is decided only in access.py cannot be tested directly; the tests check the two
places it used to leak: a view comparing `user.role` and a template testing a role by its name.
"""

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "guanjia"
SHARED_TEMPLATES = PACKAGE / "templates"

# The apps of the domain layer (see docs/architecture.md, "Layers").
DOMAIN_APPS = (
    "enterprises",
    "projects",
    "events",
    "requests",
    "servicerecords",
    "guarantees",
    "approvals",
    "leads",
    "parks",
    "taskforces",
    "policies",
    "targets",
)
# Apps of other layers that own records users reach through pages: the same slice applies.
OTHER_APPS = ("ingest", "notifications", "cockpit", "reports", "portal")
APPS = DOMAIN_APPS + OTHER_APPS

# The files every app of the slice has (docs/architecture.md marks them "required").
REQUIRED = ("apps.py", "models.py", "migrations/__init__.py", "access.py", "services.py")

# rule -> {app: why it does not comply yet}. Remove an entry as soon as the app complies (the
# test then fails until you do); never add one to make a new app pass.
KNOWN_GAPS: dict[str, dict[str, str]] = {}

# The same rule over the templates outside the slice apps (the navigation in base.html comes
# from guanjia.core.nav, built from the apps' access rules; the account page asks
# guanjia.accounts.access). Path -> why it does not comply yet; the same shrinking list.
SHARED_TEMPLATE_GAPS: dict[str, str] = {}


def _app_dir(app: str) -> Path:
    return PACKAGE / app


def _rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE)) if path.is_relative_to(PACKAGE) else str(path)


# ------------------------------------------------------------------------------- the rules


def required_files(app: str) -> list[str]:
    return [f"missing {name}" for name in REQUIRED if not (_app_dir(app) / name).exists()]


def urls_with_views(app: str) -> list[str]:
    """An app with pages has both views.py and urls.py (with app_name set)."""
    views, urls = _app_dir(app) / "views.py", _app_dir(app) / "urls.py"
    if views.exists() != urls.exists():
        return ["views.py without urls.py" if views.exists() else "urls.py without views.py"]
    if urls.exists() and "app_name" not in urls.read_text(encoding="utf-8"):
        return ["urls.py sets no app_name"]
    return []


def templates_in_app(app: str) -> list[str]:
    """An app whose views draw pages from templates keeps them in <app>/templates/<app>/
    (an app whose views only act and redirect, its HTML drawn in Python, needs none)."""
    views = _app_dir(app) / "views.py"
    if not views.exists():
        return []
    if not re.search(r"\brender\(|template_name|TemplateResponse", views.read_text()):
        return []
    if not (_app_dir(app) / "templates" / app).is_dir():
        return [f"no {app}/templates/{app}/"]
    return []


def templates_namespaced(app: str) -> list[str]:
    """<app>/templates/ holds one directory, named after the app: no clash between apps."""
    folder = _app_dir(app) / "templates"
    if not folder.is_dir():
        return []
    return [f"{_rel(p)} is outside templates/{app}/" for p in folder.iterdir() if p.name != app]


def api_outside_app(app: str) -> list[str]:
    """The API lives in guanjia/api/<app>.py, not in the app."""
    return [f"{app}/{name}" for name in ("api.py", "api") if (_app_dir(app) / name).exists()]


def sheet_module_names(app: str) -> list[str]:
    """Excel modules are importers.py and exporters.py (on the sheet kit)."""
    wrong = ("importing.py", "exporting.py", "importer.py", "exporter.py")
    return [f"{app}/{name}" for name in wrong if (_app_dir(app) / name).exists()]


def _admin_classes(tree: ast.Module) -> tuple[dict[str, list[str]], set[str]]:
    """The classes of a module with their bases' names, and those registered with the admin."""
    classes: dict[str, list[str]] = {}
    registered: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = [ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases]
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and ast.unparse(deco.func).endswith("register"):
                    registered.add(node.name)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            if ast.unparse(call.func).endswith("site.register") and len(call.args) > 1:
                registered.add(ast.unparse(call.args[1]).rsplit(".", 1)[-1])
    return classes, registered


def admin_audited(app: str) -> list[str]:
    """Every ModelAdmin registered by the app derives from core.admin.AuditedAdmin."""
    path = _app_dir(app) / "admin.py"
    if not path.exists():
        return []
    classes, registered = _admin_classes(ast.parse(path.read_text(encoding="utf-8")))

    def audited(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name == "AuditedAdmin":
            return True
        if name in seen or name not in classes:
            return False
        return any(audited(base, seen | {name}) for base in classes[name])

    return [
        f"{app}/admin.py: {name} is not an AuditedAdmin"
        for name in sorted(registered)
        if not audited(name)
    ]


def _is_role(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "role":
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) > 1
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == "role"
    )


def role_comparisons(path: Path) -> list[str]:
    """Every comparison with an object's `.role` in a Python file (==, !=, in, not in…)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare) and any(
            _is_role(part) for part in (node.left, *node.comparators)
        ):
            found.append((node.lineno, f"{_rel(path)}:{node.lineno}: {ast.unparse(node)}"))
    return [problem for _line, problem in sorted(found)]


def no_role_test_in_views(app: str) -> list[str]:
    """Views ask access.py; they do not compare user.role themselves."""
    views = sorted(_app_dir(app).glob("views*.py"))
    return [problem for path in views for problem in role_comparisons(path)]


TEMPLATE_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)
ROLE_BY_NAME = re.compile(
    r"\brole\s*(?:==|!=|\bnot\s+in\b|\bin\b)\s*[\"']"  # user.role == "enterprise"
    r"|[\"']\s*(?:==|!=|\bin\b)\s*[\w.]*\brole\b"  # "enterprise" == user.role
)


def roles_by_name(path: Path) -> list[str]:
    """Template tags in the file that test a role by its name."""
    text = path.read_text(encoding="utf-8")
    found = []
    for tag in TEMPLATE_TAG.finditer(text):
        if ROLE_BY_NAME.search(tag.group()):
            line = text.count("\n", 0, tag.start()) + 1
            found.append(f"{_rel(path)}:{line}: {tag.group()[:100]}")
    return found


def _templates_of(app: str) -> list[Path]:
    folders = [_app_dir(app) / "templates", SHARED_TEMPLATES / app]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.html"))


def no_role_test_in_templates(app: str) -> list[str]:
    """Templates show what the view hands them (can_edit…), not `user.role == "…"`."""
    return [problem for path in _templates_of(app) for problem in roles_by_name(path)]


RULES: dict[str, Callable[[str], list[str]]] = {
    rule.__name__: rule
    for rule in (
        required_files,
        urls_with_views,
        templates_in_app,
        templates_namespaced,
        api_outside_app,
        sheet_module_names,
        admin_audited,
        no_role_test_in_views,
        no_role_test_in_templates,
    )
}


# ------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("rule", RULES)
def test_app_follows_the_slice(rule: str, app: str) -> None:
    problems = RULES[rule](app)
    gap = KNOWN_GAPS.get(rule, {}).get(app)
    if gap is None:
        assert not problems, f"{app} breaks {rule}: " + "; ".join(problems)
    elif not problems:
        pytest.fail(f"{app} now follows {rule}: remove it from KNOWN_GAPS[{rule!r}]")
    else:
        pytest.xfail(f"known gap ({gap}): " + "; ".join(problems))


def test_known_gaps_name_real_rules_and_apps() -> None:
    for rule, apps in KNOWN_GAPS.items():
        assert rule in RULES, f"KNOWN_GAPS names no rule {rule!r}"
        for app in apps:
            assert app in APPS, f"KNOWN_GAPS[{rule!r}] names {app!r}, which is not in APPS"
    for name in SHARED_TEMPLATE_GAPS:
        assert (PACKAGE / name).exists(), f"SHARED_TEMPLATE_GAPS names a missing file {name}"


def test_rules_catch_what_they_should(tmp_path: Path) -> None:
    """The checks themselves: a role comparison and a template role test are found."""
    view = tmp_path / "views.py"
    view.write_text(
        "def v(request):\n"
        "    if request.user.role == Role.STEWARD: pass\n"
        "    ok = 'enterprise' != user.role\n"
        "    both = getattr(user, 'role') in (1, 2)\n"
        "    fine = access.can_edit(user, obj) and user.region == r\n"
    )
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in role_comparisons(view)] == [
        "2",
        "3",
        "4",
    ]
    page = tmp_path / "page.html"
    page.write_text(
        '{% if user.role == "leader" %}\n{% elif "handler" != user.role %}\n'
        '{% if can_edit %}<div role="alert"></div>{% endif %}\n'
        '{% if request.user.role in "enterprise handler" %}\n'
    )
    assert len(roles_by_name(page)) == 3


def _shared_templates() -> list[Path]:
    """Templates owned by no app of the slice: guanjia/templates/ and the other apps'."""
    owned = {p for app in APPS for p in _templates_of(app)}
    everything = sorted(PACKAGE.glob("**/templates/**/*.html"))
    return [p for p in everything if p not in owned]


@pytest.mark.parametrize("path", _shared_templates(), ids=_rel)
def test_shared_templates_test_no_role_by_name(path: Path) -> None:
    problems = roles_by_name(path)
    gap = SHARED_TEMPLATE_GAPS.get(_rel(path))
    if gap is None:
        assert not problems, "; ".join(problems)
    elif not problems:
        pytest.fail(f"{_rel(path)} now tests no role by name: remove it from SHARED_TEMPLATE_GAPS")
    else:
        pytest.xfail(f"known gap ({gap})")


def _shared_views() -> list[Path]:
    """View modules of the apps outside the slice (accounts, core…): the same rule holds."""
    owned = {p for app in APPS for p in _app_dir(app).glob("views*.py")}
    return [p for p in sorted(PACKAGE.glob("*/views*.py")) if p not in owned]


@pytest.mark.parametrize("path", _shared_views(), ids=_rel)
def test_shared_views_compare_no_role(path: Path) -> None:
    problems = role_comparisons(path)
    assert not problems, "; ".join(problems)


def test_layers_in_the_docs_match_the_contract() -> None:
    """docs/architecture.md shows the import-linter contract of pyproject.toml line by line, and
    the contract places every app of guanjia/ once."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    layers = [[app.strip() for app in line.split("|")] for line in contract["layers"]]
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## Layers", 1)[1].split("```", 2)[1]
    documented = [
        [app.strip() for app in line.split("  ")[0].split("|")]
        for line in block.strip().splitlines()
    ]
    assert documented == layers
    listed = sorted(app for line in layers for app in line)
    installed = sorted(p.parent.name for p in PACKAGE.glob("*/apps.py"))
    assert sorted(set(installed) - set(listed)) == []
    assert len(listed) == len(set(listed)), "an app in two layers"
