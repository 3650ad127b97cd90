"""The docs stay true: every `make <target>` and `VAR=` a page names is in the Makefile, every flag
it gives a command of ours is one that command's argparse accepts, and every relative link and
anchor (in the pages, and in code pointing at a page) resolves. The README stays a front page that
reaches every page."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "Makefile").exists())
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))  # docs/pending/ holds drafts, not pages
# CHANGELOG names what was (a flag since removed stays in its release's notes): its links are
# checked, its commands are not.
DOCS = [README, ROOT / "CONTRIBUTING.md", *PAGES]
LINKED = [*DOCS, ROOT / "CHANGELOG.md"]

# Targets a page may name before the Makefile has them: each one here must NOT be in the Makefile
# (the test below fails once it is, so the entry is removed the day the target lands).
PENDING_TARGETS: set[str] = set()  # targets the docs may name before the Makefile has them (none now)

# Flags of other people's tools that the pages name on their own (`--secret`), by tool.
OTHER_TOOLS_FLAGS = {
    # pulumi: config set, preview, up, stack export/import, import, stack output, state delete
    "--secret", "--path", "--stack", "--policy-pack", "--policy-pack-config", "--diff", "--refresh",
    "--expect-no-changes", "--file", "--show-secrets", "--json", "--force", "--show-urns",
    # zizmor, mutmut, the MCP Inspector's CLI, git rev-parse
    "--offline", "--max-children", "--verify", "--quiet",
    # pytest
    "--strict-markers",
}  # fmt: skip


def _targets_and_variables() -> tuple[set[str], set[str], dict[str, str]]:
    text = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):(?!=)", text, re.M))
    variables = set(re.findall(r"\$\(([A-Z_]+)\)", text)) | set(re.findall(r"^([A-Z_]+) *[?:]?=", text, re.M))
    # The Python module each target runs (`$(BIN)/python -m offline.plan ...`), whose flags ARGS= may carry.
    modules: dict[str, str] = {}
    for target, recipe in re.findall(r"^([a-z][a-z0-9-]*):(?!=).*\n((?:\t.*\n)*)", text, re.M):
        found = re.findall(r"python -m ([\w.]+)", recipe)
        if found:
            modules[target] = found[0]
    return targets, variables, modules


class _Parser(BaseException):
    """Raised by a patched parse_args to hand back the parser a CLI built (not an Exception, so no
    `except` in a main() catches it)."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def _flags_of(module: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    def capture(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _Parser(self)

    mod = importlib.import_module(module if module != "verify" else "verify.__main__")
    with monkeypatch.context() as m:
        m.setattr(argparse.ArgumentParser, "parse_args", capture)
        m.setattr(argparse.ArgumentParser, "parse_known_args", capture)
        try:
            mod.main([])
        except _Parser as p:
            return {s for a in p.parser._actions for s in a.option_strings}
    raise AssertionError(f"{module}.main() built no argparse parser")


def _code(text: str) -> Iterator[str]:
    """Each line of a shell block (an untagged block is output, not commands), and each inline
    code span outside the blocks."""
    fenced = shell = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced, shell = not fenced, line[3:].strip() in {"sh", "bash", "shell", "console"}
            continue
        if fenced:
            if shell:
                yield line.split(" #", 1)[0]
        else:
            yield from re.findall(r"`([^`\n]+)`", line)


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _option(word: str) -> str:
    return word.split("=", 1)[0]


def _commands(doc: Path) -> Iterator[tuple[str, list[str]]]:
    for code in _code(doc.read_text()):
        for m in re.finditer(r"\bmake ([a-z][a-z0-9-]*(?:\s+[A-Z_]+=(?:\"[^\"]*\"|'[^']*'|\S+))*)", code):
            yield "make", _words(m.group(1))
        for m in re.finditer(r"\bpython -m ([\w.]+)((?:\s+(?:--?[\w-]+(?:=\S+)?|[^-\s|>&;]\S*))*)", code):
            yield m.group(1), _words(m.group(2))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_make_target_variable_and_flag_a_page_names_exists(doc: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    targets, variables, modules = _targets_and_variables()
    cache: dict[str, set[str]] = {}

    def flags(module: str) -> set[str]:
        if module not in cache:
            cache[module] = _flags_of(module, monkeypatch)
        return cache[module]

    wrong: list[str] = []
    for tool, words in _commands(doc):
        if tool == "make":
            target, *assignments = words
            if target not in targets and target not in PENDING_TARGETS:
                wrong.append(f"make {target}: no such target in the Makefile")
            for a in assignments:
                name, _, value = a.partition("=")
                if name not in variables:
                    wrong.append(f"make {target} {name}=: the Makefile reads no {name}")
                elif name == "ARGS" and target in modules:
                    wrong += [
                        f"make {target} ARGS: {w} is not an option of {modules[target]}"
                        for w in _words(value)
                        if w.startswith("--") and _option(w) not in flags(modules[target])
                    ]
        else:
            wrong += [
                f"python -m {tool}: {w} is not one of its options"
                for w in words
                if w.startswith("--") and _option(w) not in flags(tool)
            ]
    # A flag named on its own (`--json`) is one of ours or one of the tools' the pages use.
    ours = set().union(*(flags(m) for m in set(modules.values())))
    for code in _code(doc.read_text()):
        if (
            re.fullmatch(r"--[a-z][a-z-]*(?:[ =]\S+)?", code)
            and _option(code.split()[0]) not in ours | OTHER_TOOLS_FLAGS
        ):
            wrong.append(f"{code}: no command of ours takes it, and it is not a known tool's")
    assert not wrong, f"{doc.relative_to(ROOT)}:\n" + "\n".join(wrong)


def test_a_pending_target_is_dropped_from_the_list_once_the_makefile_has_it() -> None:
    targets, _, _ = _targets_and_variables()
    assert not PENDING_TARGETS & targets, f"remove {PENDING_TARGETS & targets} from PENDING_TARGETS"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = text.replace("`", "").replace("*", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    fenced = False
    for line in doc.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#{1,6} (.+?)\s*$", line)):
            slug = _slug(m.group(1))
            anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    anchors |= set(re.findall(r"<a (?:id|name)=\"([^\"]+)\"", doc.read_text()))
    return anchors


def _links(doc: Path) -> Iterator[str]:
    fenced = False
    for line in doc.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield from re.findall(r"\]\(([^)\s]+)\)", re.sub(r"`[^`]*`", "", line))


def _resolve(base: Path, link: str) -> str | None:
    """None when the link resolves, else why not."""
    path, _, anchor = link.partition("#")
    target = (base.parent / path).resolve() if path else base
    if not target.exists():
        return f"{link}: no file {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
    if anchor and target.suffix == ".md" and anchor not in _anchors(target):
        return f"{link}: no heading or anchor #{anchor} in {target.relative_to(ROOT)}"
    return None


def test_the_slug_is_githubs() -> None:
    assert _slug("The interactive path: `make sandbox STACK=<name>`") == "the-interactive-path-make-sandbox-stackname"
    assert _slug("UpdateGateway resets omitted fields") == "updategateway-resets-omitted-fields"
    assert _slug("Roles: stable ids and renames") == "roles-stable-ids-and-renames"
    assert _slug("create:role_members is enough") == "createrole_members-is-enough"


@pytest.mark.parametrize("doc", LINKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(doc: Path) -> None:
    broken = [
        why for link in _links(doc) if not re.match(r"[a-z]+:", link) and (why := _resolve(doc, link)) is not None
    ]
    assert not broken, f"{doc.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_code_that_points_at_a_page_points_at_a_heading_it_has() -> None:
    skip = {"venv", "node_modules", "mutants", ".git"}
    broken = []
    for where, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if (d not in skip and not d.startswith(".")) or d == ".github"]
        for f in (Path(where) / name for name in files):
            if f.suffix not in {".py", ".js", ".yml", ".yaml"} and f.name != "Makefile":
                continue
            for link in re.findall(r"\bdocs/[\w-]+\.md(?:#[\w-]+)?", f.read_text(errors="replace")):
                if (why := _resolve(README, link)) is not None:
                    broken.append(f"{f.relative_to(ROOT)}: {why}")
    assert not broken, "\n".join(broken)


def test_the_readme_is_a_front_page_that_reaches_every_page() -> None:
    text = README.read_text()
    assert len(text.splitlines()) <= 150, "the README is the front page: move detail to docs/"
    linked = {(README.parent / link.partition("#")[0]).resolve() for link in _links(README)}
    assert not [p.name for p in PAGES if p.resolve() not in linked], "every page is linked from the README"
    for path in ["CONTRIBUTING.md", "CHANGELOG.md", "LICENSE"]:
        assert (ROOT / path).resolve() in linked, f"the README links {path}"
