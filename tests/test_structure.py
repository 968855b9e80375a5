"""The package's shape: no import cycle inside ``leia/``, no private name used outside its module, no name
read from a module that only imports it, layers, no folder over 20 modules, every module's job in its
opening docstring and named in its package's docstring, and every package in docs/ARCHITECTURE.md.

The rules on imports are read from the source (the AST of every module), not from importing it, so an import
written inside a function counts as much as one at the top of a module.  Imports under
``if TYPE_CHECKING:`` are left out: they never run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "leia"

# Import cycles known and not yet broken, each written as its modules in sorted order.  The list is
# exact: a cycle that is gone must be removed from it, so that it cannot come back unnoticed.
ALLOWED_CYCLES: set[tuple[str, ...]] = set()

# Private names read from another module, not yet made public; exact as ALLOWED_CYCLES is.
ALLOWED_PRIVATE: set[str] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = package_modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def resolve_from(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module name that ``from X import ...`` reads in ``module``."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(module: str, path: Path, tree: ast.AST) -> set[str]:
    """The ``leia`` modules that ``module`` imports, anywhere in its body."""
    found: set[str] = set()
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            source = resolve_from(module, path, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:
                    found.add(submodule)
                elif source in MODULES:
                    found.add(source)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    return {
        module: imported_modules(module, path, ast.parse(path.read_text(encoding="utf-8")))
        for module, path in MODULES.items()
    }


def cycles(graph: dict[str, set[str]]) -> set[tuple[str, ...]]:
    """Every strongly connected group of two or more modules (Tarjan), as sorted tuples."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: set[tuple[str, ...]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.add(tuple(sorted(group)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def describe(graph: dict[str, set[str]], group: tuple[str, ...]) -> str:
    """The imports that tie ``group`` together, e.g. ``a -> b; b -> a``."""
    members = set(group)
    return "; ".join(f"{module} -> {', '.join(sorted(graph[module] & members))}" for module in group)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(path: Path, owner: str | None, tree: ast.AST | None = None) -> list[tuple[str, int]]:
    """``("file: module._name", line)`` for each private name of another ``leia`` module that ``path`` reads."""
    tree = tree or ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(ROOT)
    found: list[tuple[str, int]] = []
    aliases: dict[str, str] = {}  # local name -> leia module it is bound to
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0]
                    )
        elif isinstance(node, ast.ImportFrom):
            source = resolve_from(owner or "tests.x", path, node) if node.level else node.module or ""
            if source not in MODULES:
                continue
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
                elif _private(alias.name) and source != owner:
                    found.append((f"{where}: {source}.{alias.name}", node.lineno))
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            dotted = _dotted(node.value, aliases)
            if dotted in MODULES and dotted != owner:
                found.append((f"{where}: {dotted}.{node.attr}", node.lineno))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):  # monkeypatch.setattr("leia.x._y")
            named = _NAMED.match(node.value)
            if named and named[1] in MODULES and named[1] != owner and _private(named[2]):
                found.append((f"{where}: {node.value}", node.lineno))
    return found


_NAMED = re.compile(r"(leia(?:\.\w+)*)\.(\w+)\Z")


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The ``leia`` module an expression such as ``leia.wiki.dumps.xmldump`` or a bound alias names, if any."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def test_no_import_cycle_inside_the_package():
    graph = import_graph()
    found = cycles(graph)
    unexpected = sorted(describe(graph, group) for group in found - ALLOWED_CYCLES)
    assert not unexpected, "import cycles:\n" + "\n".join(unexpected)
    assert not ALLOWED_CYCLES - found, f"cycles now broken, remove them from ALLOWED_CYCLES: {ALLOWED_CYCLES - found}"


def test_no_private_name_used_outside_its_module():
    uses = [use for module, path in MODULES.items() for use in private_uses(path, module)]
    uses += [use for path in sorted((ROOT / "tests").rglob("*.py")) for use in private_uses(path, None)]
    unexpected = [f"{use} (line {line})" for use, line in uses if use not in ALLOWED_PRIVATE]
    assert not unexpected, "private names used outside their module:\n" + "\n".join(unexpected)
    gone = ALLOWED_PRIVATE - {use for use, _ in uses}
    assert not gone, f"no longer used, remove them from ALLOWED_PRIVATE: {sorted(gone)}"


# Names of the package that a module binds by importing them and others then read from it: a reader should
# name the module that defines the name.  Package ``__init__`` files are left out (they gather their
# package's names).  Exact as ALLOWED_PRIVATE is, and at most three, each with its reason.
ALLOWED_REEXPORTS: set[str] = set()


def module_bindings(module: str, path: Path, tree: ast.Module) -> tuple[set[str], set[str], list[str]]:
    """(names bound by importing them from ``leia``, names defined, ``__all__``) at the top level of the
    body of ``module``."""
    imported: set[str] = set()
    defined: set[str] = set()
    exported: list[str] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            stack.extend(child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt))
            for handler in getattr(node, "handlers", ()):
                stack.extend(handler.body)
            defined.update(_stored_names(node, shallow=True))
        elif isinstance(node, ast.Import):
            imported.update(alias.asname or alias.name.split(".")[0] for alias in node.names
                            if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            if resolve_from(module, path, node) in MODULES:
                imported.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        else:
            defined.update(_stored_names(node))
            if (isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple))
                    and any(isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets)):
                exported = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
    return imported, defined, exported


def _stored_names(node: ast.AST, shallow: bool = False) -> set[str]:
    targets = []
    if shallow:
        targets = [getattr(node, "target", None)] + [item.optional_vars for item in getattr(node, "items", ())]
        return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def reexported(module: str, tree: ast.Module) -> set[str]:
    """The names ``module`` binds only by importing them (none for a package ``__init__``)."""
    if MODULES[module].name == "__init__.py":
        return set()
    imported, defined, _ = module_bindings(module, MODULES[module], tree)
    return imported - defined


def reexport_uses(path: Path, owner: str | None, tree: ast.Module, reexports: dict[str, set[str]]) -> set[str]:
    """``module.name`` for each name that ``path`` reads from a module that does not define it (its own
    ``__all__`` included)."""
    found: set[str] = set()
    if owner is not None:
        _, _, exported = module_bindings(owner, path, tree)
        found.update(f"{owner}.{name}" for name in exported if name in reexports.get(owner, ()))
    aliases: dict[str, str] = {}
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            source = resolve_from(owner or "tests.x", path, node) if node.level else node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
                elif alias.name in reexports.get(source, ()):
                    found.add(f"{source}.{alias.name}")
    for node in runtime_nodes(tree):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node.value, aliases)
            if dotted is not None and node.attr in reexports.get(dotted, ()):
                found.add(f"{dotted}.{node.attr}")
    return found


def all_reexport_uses() -> set[str]:
    trees = {module: ast.parse(path.read_text(encoding="utf-8")) for module, path in MODULES.items()}
    reexports = {module: reexported(module, tree) for module, tree in trees.items()}
    found = set()
    for module, tree in trees.items():
        found |= reexport_uses(MODULES[module], module, tree, reexports)
    for folder in ("tests", "pipelines"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found |= reexport_uses(path, None, ast.parse(path.read_text(encoding="utf-8")), reexports)
    return found


def test_names_are_read_from_the_module_that_defines_them():
    found = all_reexport_uses()
    unexpected = sorted(found - ALLOWED_REEXPORTS)
    assert not unexpected, ("names read from a module that only imports them (import them from the module that "
                            "defines them):\n" + "\n".join(unexpected))
    gone = sorted(ALLOWED_REEXPORTS - found)
    assert not gone, f"no longer read so, remove them from ALLOWED_REEXPORTS: {gone}"
    assert len(ALLOWED_REEXPORTS) <= 3


def test_the_reexport_check_sees_a_name_read_through_a_module_that_imports_it():
    """The rule itself: names bound by importing them from ``leia`` (not those rebound, nor imports inside a
    function), read by ``from`` imports, by attributes of the module, and through the module's own
    ``__all__``."""
    owner = "leia.wiki.dumps.xmldump"
    module = ast.parse("import os\nfrom leia.wiki.dumps.compression import FastBz2, open_binary\n"
                       "import leia.wiki.siteinfo\nFastBz2 = FastBz2\n"
                       "def f():\n    from leia.wiki.titles import upper_first\n__all__ = ['open_binary', 'f']\n")
    imported, defined, exported = module_bindings(owner, MODULES[owner], module)
    assert imported == {"FastBz2", "open_binary", "leia"} and defined == {"FastBz2", "f", "__all__"}
    assert exported == ["open_binary", "f"]
    reexports = {owner: {"open_binary"}}
    reader = ast.parse("from leia.wiki.dumps.xmldump import DumpReader, open_binary\n"
                       "import leia.wiki.dumps.xmldump as d\nd.open_binary, d.DumpReader\n"
                       "import leia.wiki.dumps.xmldump\nleia.wiki.dumps.xmldump.open_binary\n")
    assert reexport_uses(ROOT / "tests" / "probe.py", None, reader, reexports) == {f"{owner}.open_binary"}
    assert reexport_uses(MODULES[owner], owner, module, reexports) == {f"{owner}.open_binary"}
    assert reexport_uses(ROOT / "tests" / "probe.py", None, reader, {owner: set()}) == set()


def test_no_folder_holds_more_than_20_modules():
    per_folder: dict[str, int] = {}
    for path in MODULES.values():
        folder = str(path.parent.relative_to(ROOT))
        per_folder[folder] = per_folder.get(folder, 0) + 1
    assert {folder: count for folder, count in per_folder.items() if count > 20} == {}


def test_the_checks_see_a_cycle_and_a_private_import():
    """The rules themselves: a two-module cycle through a function-level import, and a private import."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {("a", "b", "c")}
    assert describe({"a": {"b", "x"}, "b": {"a"}}, ("a", "b")) == "a -> b; b -> a"
    source = ("def f():\n    from leia.wiki.dumps.xmldump import _hidden\n    import leia.wiki.dumps.xmldump as d\n"
              "    return d._other\npatch('leia.wiki.dumps.xmldump._third')\n")
    tree = ast.parse(source)
    assert imported_modules("leia.x", PACKAGE / "x.py", tree) == {"leia.wiki.dumps.xmldump"}
    assert sorted(private_uses(ROOT / "tests" / "probe.py", None, tree)) == [
        ("tests/probe.py: leia.wiki.dumps.xmldump._hidden", 2),
        ("tests/probe.py: leia.wiki.dumps.xmldump._other", 4),
        ("tests/probe.py: leia.wiki.dumps.xmldump._third", 5),
    ]
    assert private_uses(PACKAGE / "wiki" / "dumps" / "xmldump.py", "leia.wiki.dumps.xmldump", tree) == []


# The layers, in the order data flows: formats and files know nothing of steps; steps know nothing of where
# they run; executors know steps only through their protocol; only the API and the CLI pick an executor.
LOWER_LAYERS = ("leia.wiki", "leia.io", "leia.steps")
UPPER_LAYERS = ("leia.execute", "leia.api", "leia.cli")


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """``importer -> imported`` for each import that goes against the layers."""
    found = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if _within(module, LOWER_LAYERS) and _within(target, UPPER_LAYERS):
                found.append(f"{module} -> {target}")
            elif (_within(module, ("leia.execute",)) and _within(target, ("leia.steps",))
                  and target not in ("leia.steps", "leia.steps.protocol")):
                found.append(f"{module} -> {target}")
            elif _within(module, ("leia.wiki", "leia.io")) and _within(target, ("leia.steps",)):
                found.append(f"{module} -> {target}")
    return found


def test_executors_know_steps_only_through_their_protocol():
    assert layer_violations(import_graph()) == []


# The process pool is the one part of leia.execute that knows nothing of steps: the builders of the entity table
# and of the mention dictionary use it too, so a lower layer may reach it through them.
TOOLS = ("leia.execute.pool",)


def upper_layers_reached(graph: dict[str, set[str]]) -> list[str]:
    """For each module of a lower layer that reaches an upper layer through other modules, the first such
    chain of imports found: a step that imports a module that imports an executor knows where it runs too.
    The chains stop at :data:`TOOLS`."""
    found = []
    for module in sorted(m for m in graph if _within(m, LOWER_LAYERS)):
        came_from: dict[str, str] = {module: ""}
        todo = [module]
        while todo:
            current = todo.pop(0)
            if _within(current, UPPER_LAYERS) and current not in TOOLS:
                chain = [current]
                while came_from[chain[-1]]:
                    chain.append(came_from[chain[-1]])
                found.append(" -> ".join(reversed(chain)))
                break
            for target in sorted(() if current in TOOLS else graph.get(current, ())):
                if target not in came_from:
                    came_from[target] = current
                    todo.append(target)
    return found


def test_lower_layers_reach_no_upper_layer_through_other_modules():
    assert upper_layers_reached(import_graph()) == []


def test_the_transitive_layer_rule_sees_a_step_reaching_an_executor_through_settings():
    graph = {"leia.steps.extract": {"leia.commands", "leia.wiki.siteinfo"}, "leia.commands": {"leia.execute"},
             "leia.wiki.siteinfo": set(), "leia.execute": {"leia.commands"}, "leia.api": {"leia.execute"},
             "leia.steps.detect": {"leia.mentions.build"}, "leia.mentions.build": {"leia.execute.pool"},
             "leia.execute.pool": {"leia.execute.local"}}
    assert upper_layers_reached(graph) == ["leia.steps.extract -> leia.commands -> leia.execute"]


def test_the_layer_rule_sees_an_executor_importing_a_step():
    graph = {"leia.execute.local": {"leia.steps.protocol", "leia.steps.extract"},
             "leia.steps.extract": {"leia.execute.parts", "leia.wiki.dumps.xmldump"},
             "leia.wiki.dumps.xmldump": {"leia.steps.protocol"},
             "leia.api": {"leia.execute.local", "leia.steps.extract"}}
    assert layer_violations(graph) == ["leia.execute.local -> leia.steps.extract",
                                       "leia.steps.extract -> leia.execute.parts",
                                       "leia.wiki.dumps.xmldump -> leia.steps.protocol"]


def packages() -> dict[str, Path]:
    """Every package of ``leia`` (a folder with an ``__init__.py``), by dotted name."""
    return {module: path.parent for module, path in MODULES.items() if path.name == "__init__.py"}


def members(folder: Path) -> set[str]:
    """The modules and subpackages a package holds directly, by their names in it."""
    return ({path.stem for path in folder.glob("*.py") if path.name != "__init__.py"}
            | {path.parent.name for path in folder.glob("*/__init__.py")})


# How a package's docstring names one of its modules: as a literal (``xmldump``, ``dumps/``, or its dotted name
# in full) or as :mod:`leia.wiki.dumps.xmldump` (``~`` allowed).  A bare word does not count.
_NAMED_MODULE = re.compile(r"``([\w.]+)/?``|:mod:`~?([\w.]+)`")


def unnamed_members(package: str, docstring: str, held: set[str]) -> list[str]:
    """The modules in ``held`` (names inside ``package``) that ``docstring`` does not name."""
    named = set()
    for literal, dotted in _NAMED_MODULE.findall(docstring):
        name = literal or dotted
        if "." not in name:
            named.add(name)
        elif name.startswith(package + ".") and name.count(".") == package.count(".") + 1:
            named.add(name.rsplit(".", 1)[1])
    return sorted(held - named)


def opening_sentence(docstring: str | None) -> str:
    """A module's job: the first paragraph of its docstring, which must end a sentence."""
    first = (docstring or "").strip().split("\n\n")[0]
    return first if first.endswith((".", ".)")) else ""


def test_every_module_has_its_job_in_its_opening_docstring():
    missing = [str(path.relative_to(ROOT)) for path in MODULES.values()
               if not opening_sentence(ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))))]
    assert missing == [], "modules without an opening docstring that says their job in a sentence"


def test_every_package_names_each_of_its_modules_in_its_docstring():
    """``help(leia.wiki)`` (or the package's ``__init__.py``) is where a reader finds each module's job."""
    unnamed = {}
    for package, folder in packages().items():
        docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))) or ""
        if missing := unnamed_members(package, docstring, members(folder)):
            unnamed[package] = missing
    assert unnamed == {}, "modules their package's docstring does not name (add a line for each)"


def test_the_docstring_check_sees_a_module_left_out():
    """The rule itself: a module is named by a literal or :mod:, a bare word or another package's module
    does not count, and a new module without its line fails."""
    held = {"xmldump", "sqldump", "wikidata", "compression"}
    docstring = ("``xmldump`` (pages), :mod:`leia.wiki.dumps.sqldump` (rows), :mod:`~leia.wiki.dumps.compression` "
                 "(files); wikidata and ``leia.wiki.html.wikidata`` are not it.")
    assert unnamed_members("leia.wiki.dumps", docstring, held) == ["wikidata"]
    assert unnamed_members("leia.wiki.dumps", docstring + " ``wikidata`` (sitelinks).", held) == []
    assert unnamed_members("leia.wiki", "``dumps/`` (the files)", {"dumps"}) == []
    assert members(PACKAGE / "wiki" / "html") == {"htmldump", "parsoid"}
    assert members(PACKAGE / "wiki" / "wikitext") >= {"convert", "templates"}
    assert opening_sentence("One job.\n\nMore.") == "One job." and opening_sentence("No full stop") == ""
    assert opening_sentence(None) == ""


def names_package(text: str, package: str) -> bool:
    """Whether ``text`` names ``package`` as ``leia/wiki/dumps/`` or ``leia.wiki.dumps`` (not only one of
    its modules)."""
    path = package.replace(".", "/")
    return any(re.search(rf"(?<![\w/.]){re.escape(form)}(?![\w]|[/.]\w)", text) for form in (path, package))


def test_the_architecture_document_names_every_package():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert [package for package in packages() if not names_package(text, package)] == []
    assert names_package("in `leia/wiki/dumps/` and", "leia.wiki.dumps")
    assert names_package("see leia.wiki.dumps.", "leia.wiki.dumps")
    assert not names_package("`leia/wiki/dumps/xmldump.py` and leia.wiki.dumps.sqldump", "leia.wiki.dumps")
    assert not names_package("leia/wikitext", "leia.wiki")


def test_the_architecture_document_quotes_the_toy_step_as_it_is():
    """The step shown in docs/ARCHITECTURE.md is the one tests/test_steps.py runs, word for word."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    quoted = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(quoted) == 1 and "class Numbers(Step):" in quoted[0]
    source = (ROOT / "tests" / "test_steps.py").read_text(encoding="utf-8")
    assert [part for part in quoted[0].split("\n\n\n") if part.strip() not in source] == []
