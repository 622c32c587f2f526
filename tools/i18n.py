#!/usr/bin/env python
"""Extract, merge and compile the message catalogues of the Procura core and of every addon.

    .venv/bin/python tools/i18n.py              # (make i18n) update every .pot, .po and .mo
    .venv/bin/python tools/i18n.py --check      # change nothing; exit 1 if a file is out of date
                                                #   or a catalogue has untranslated/fuzzy entries
    .venv/bin/python tools/i18n.py --extract-only DIR   # write only <DIR>/<domain>.pot
    .venv/bin/python tools/i18n.py --domain procura_kb  # limit to some domains (repeatable)

Catalogues (one per translation domain):

- the core: domain ``procura``; sources ``core/procura/**/*.py``, ``core/procura/**/*.pt`` and the
  bundled themes ``themes/**/*.py``, ``themes/**/*.pt``; catalogue in ``core/procura/locale``;
- every addon folder (``*_addon/`` and ``addons/*/``): its package ``procura_<name>``, domain as
  declared by its ``TranslationStringFactory`` (``procura_<name>``), catalogue in
  ``<package>/locale``.

What is extracted (lingua's ``python`` and ``chameleon`` extractors): in Python only calls of ``_``
(the package's ``TranslationStringFactory``; gettext-style keywords are switched off), in
templates only ``i18n:translate`` / ``i18n:attributes`` text of the catalogue's domain. Deform and
colander strings stay in their own domains (they ship ru translations). Markup that extracts but
can never be translated at run time is reported (see ``lint_templates``).
Comments starting with ``TRANSLATORS:`` before a ``_()`` call reach the translators.

Steps per domain: ``<package>/locale/<domain>.pot`` from the sources; merge it into
``locale/{ru,en}/LC_MESSAGES/<domain>.po`` (created when missing; existing translations kept,
renamed messages come back as fuzzy suggestions in ru, removed ones dropped); in the English
catalogue an empty msgstr is filled with the (English) msgid; then ``.mo`` compiled with babel, so
system gettext is not needed. Output is deterministic: sorted by msgid, locations without line
numbers, and the header dates change only when the content of that file changes, so a second run
changes nothing.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("ru", "en")
SOURCE_LOCALE = "en"  # msgids are English: an empty English msgstr is filled with its msgid
LANGUAGE_TEAMS = {"ru": "Russian", "en": "English"}
COMMENT_TAG = "TRANSLATORS:"
WIDTH = 100
# lingua guesses these from `%` and `{}`; `${name}` is Pyramid's mapping syntax, not a format.
# babel adds python-brace-format itself for `{name}`, which makes `msgfmt -c` check the placeholders.
DROP_FLAGS = {"python-format", "c-format"}
SKIP_DIRS = {"__pycache__", "static", "locale", "node_modules", "tests"}
PLACEHOLDER = re.compile(r"\$\{(\w+)\}|\$(\w+)")
DATE_HEADER = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date): [^"]*"\n', re.MULTILINE)


@dataclass
class Target:
    """One translation domain: where its sources are and where its catalogue lives."""

    domain: str
    package_dir: Path  # the catalogue is <package_dir>/locale
    sources: list[Path] = field(default_factory=list)
    project: str = "procura"
    version: str = "0"
    root: Path = ROOT  # locations in the catalogue are relative to it

    @property
    def locale_dir(self) -> Path:
        return self.package_dir / "locale"

    def pot_path(self) -> Path:
        return self.locale_dir / f"{self.domain}.pot"

    def po_path(self, locale: str) -> Path:
        return self.locale_dir / locale / "LC_MESSAGES" / f"{self.domain}.po"

    def mo_path(self, locale: str) -> Path:
        return self.locale_dir / locale / "LC_MESSAGES" / f"{self.domain}.mo"


# --------------------------------------------------------------------------- discovery

def _source_files(folder: Path, suffixes=(".py", ".pt")) -> list[Path]:
    files = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if path.is_file() and path.suffix in suffixes and not SKIP_DIRS.intersection(rel.parts[:-1]):
            files.append(path)
    return sorted(files)


def _setup_info(setup_py: Path) -> tuple[str, str]:
    text = setup_py.read_text(encoding="utf-8") if setup_py.exists() else ""
    name = re.search(r'\bname\s*=\s*["\']([^"\']+)', text)
    version = re.search(r'\bversion\s*=\s*["\']([^"\']+)', text)
    return (name.group(1) if name else setup_py.parent.name), (version.group(1) if version else "0")


def _declared_domain(package_dir: Path) -> str:
    """The domain of the package's ``TranslationStringFactory``, else the package name."""
    found = set()
    for path in _source_files(package_dir, (".py",)):
        found.update(re.findall(r'TranslationStringFactory\(\s*["\']([^"\']+)["\']', path.read_text("utf-8")))
    if len(found) > 1:
        raise SystemExit(f"{package_dir}: several translation domains {sorted(found)}; use one per package")
    return found.pop() if found else package_dir.name


def discover(root: Path = ROOT) -> list[Target]:
    """The core and every addon folder of the repository, core first, then by domain."""
    project, version = _setup_info(root / "setup.py")
    core = Target("procura", root / "core" / "procura", project=project, version=version, root=root)
    core.sources = _source_files(core.package_dir) + _source_files(root / "themes")
    addons = []
    folders = sorted(root.glob("*_addon")) + sorted((root / "addons").glob("*"))
    for folder in folders:
        if not folder.is_dir():
            continue
        for package_dir in sorted(folder.glob("procura_*")):
            if not (package_dir / "__init__.py").exists():
                continue
            project, version = _setup_info(folder / "setup.py")
            target = Target(_declared_domain(package_dir), package_dir, project=project, version=version,
                            root=root)
            target.sources = _source_files(package_dir)
            addons.append(target)
    return [core] + sorted(addons, key=lambda t: t.domain)


# --------------------------------------------------------------------------- extraction

def _lingua():
    from lingua.extract import ExtractorOptions
    from lingua.extractors import get_extractor, register_extractors

    register_extractors()
    return ExtractorOptions, get_extractor


def extract(target: Target) -> Catalog:
    """The template catalogue (.pot) of ``target``: every message of its domain in its sources."""
    extractor_options, get_extractor = _lingua()
    # keywords [""] clears lingua's gettext-style keywords: only `_()` calls are messages.
    options = extractor_options(comment_tag=COMMENT_TAG, domain=target.domain, keywords=[""])
    template = _new_catalog(target, locale=None)
    for path in target.sources:
        extractor = get_extractor(str(path))
        if extractor is None:
            continue
        rel = _relative(path, target.root)
        if path.suffix == ".py":
            fileobj = io.StringIO(path.read_text(encoding="utf-8"))
        else:
            fileobj = io.BytesIO(path.read_bytes())
        for msg in extractor(str(path), options, fileobj=fileobj):
            if not msg.msgid:
                continue
            comments = [c for c in (msg.comment or "").split("\n") if c]
            flags = [f for f in msg.flags if f not in DROP_FLAGS]
            msgid = (msg.msgid, msg.msgid_plural) if msg.msgid_plural else msg.msgid
            template.add(msgid, None, locations=[(rel, None)], flags=flags, auto_comments=comments,
                         context=msg.msgctxt)
    for message in template:
        message.locations = sorted(set(message.locations))
        message.auto_comments = list(dict.fromkeys(message.auto_comments))
    return template


LITERAL_CALL = re.compile(r"(?<![\w.])_\(\s*[\"']")
TAG = re.compile(r"<[a-zA-Z][^<>]*?\bi18n:attributes=\"([^\"]*)\"[^<>]*>", re.DOTALL)


def lint_templates(target: Target) -> list[str]:
    """Template markup that can never be translated.

    Chameleon translates an ``i18n:attributes`` value *after* interpolating it, so a value with
    ``${...}`` never matches the extracted msgid: translate it in Python (``_()`` with a mapping)
    instead. In a template ``_`` is the localizer's ``translate``: a plain ``_('text')`` has no
    domain and is never translated, so literal text belongs in ``i18n:translate``. (Elements inside
    ``i18n:translate`` without ``i18n:name`` are caught by ``problems``.)
    """
    out = []
    for path in target.sources:
        if path.suffix != ".pt":
            continue
        text = path.read_text(encoding="utf-8")
        for match in LITERAL_CALL.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            out.append(f"{_relative(path, target.root)}:{line}: _('...') of a literal in a template is never "
                       "translated (it has no domain); use i18n:translate")
        for match in TAG.finditer(text):
            tag = match.group(0)
            for part in match.group(1).split(";"):
                words = part.split()
                if not words:
                    continue
                value = re.search(rf"\s{re.escape(words[0])}=\"([^\"]*)\"", tag)
                if value and "${" in value.group(1) and len(words) == 1:
                    line = text.count("\n", 0, match.start()) + 1
                    out.append(f"{_relative(path, target.root)}:{line}: i18n:attributes cannot translate "
                               f"{words[0]}=\"{value.group(1)}\" (it is interpolated first); use _() in Python")
    return out


# --------------------------------------------------------------------------- catalogues

def _new_catalog(target: Target, locale: str | None) -> Catalog:
    catalog = Catalog(locale=locale, domain=target.domain, project=target.project, version=target.version,
                      msgid_bugs_address="", copyright_holder="", charset="utf-8", fuzzy=False)
    _set_header(catalog, target, locale)
    return catalog


def _set_header(catalog: Catalog, target: Target, locale: str | None) -> None:
    what = f"{LANGUAGE_TEAMS[locale]} messages" if locale else "Message template"
    catalog.header_comment = (
        f"# {what} of the translation domain {target.domain} ({target.project}).\n"
        "# Made by tools/i18n.py (make i18n) from the sources; edit only the msgstr lines of a .po file.\n"
        "#"
    )
    catalog.project, catalog.version = target.project, target.version
    catalog.msgid_bugs_address = ""
    catalog.fuzzy = False
    if locale:
        catalog.last_translator = "Procura translators"
        catalog.language_team = LANGUAGE_TEAMS[locale]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


def _render(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=WIDTH, sort_output=True, ignore_obsolete=True, include_lineno=False)
    return buf.getvalue()


def _strip_dates(data: bytes) -> bytes:
    return DATE_HEADER.sub(b"", data)


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _stable(catalog: Catalog, path: Path, old: Catalog | None, date_attr: str) -> bytes:
    """Render ``catalog``, keeping the old date in ``date_attr`` unless the content changed."""
    if old is not None and path.exists():
        setattr(catalog, date_attr, getattr(old, date_attr))
        data = _render(catalog)
        if _strip_dates(data) == _strip_dates(path.read_bytes()):
            return data
    setattr(catalog, date_attr, _now())
    return _render(catalog)


def build_pot(target: Target) -> tuple[Catalog, bytes]:
    template = extract(target)
    path = target.pot_path()
    old = _read(path) if path.exists() else None
    return template, _stable(template, path, old, "creation_date")


def build_po(target: Target, template: Catalog, locale: str) -> tuple[Catalog, bytes]:
    path = target.po_path(locale)
    old = _read(path, locale) if path.exists() else None
    catalog = _read(path, locale) if old is not None else _new_catalog(target, locale)
    _set_header(catalog, target, locale)
    catalog.update(template, no_fuzzy_matching=(locale == SOURCE_LOCALE), update_creation_date=True)
    for message in catalog:
        if not message.id:
            continue
        # the extracted comments and flags come from the sources only
        source = template.get(message.id, message.context)
        message.auto_comments = list(source.auto_comments) if source is not None else []
        message.flags -= DROP_FLAGS
        if locale == SOURCE_LOCALE and not _translated(message):
            message.string = message.id if isinstance(message.id, str) else tuple(message.id)
            message.flags.discard("fuzzy")
    return catalog, _stable(catalog, path, old, "revision_date")


def compile_mo(po_data: bytes, locale: str) -> bytes:
    catalog = read_po(io.BytesIO(po_data), locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings)


def problems(catalog: Catalog) -> list[str]:
    """Untranslated and fuzzy entries, and ``${name}`` placeholders a translation lost."""
    out = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if "<dynamic element>" in msgid:
            out.append(f"markup: give the element inside this i18n:translate an i18n:name: {msgid!r}")
        if not _translated(message):
            out.append(f"untranslated: {msgid!r}")
        elif message.fuzzy:
            out.append(f"fuzzy: {msgid!r}")
        else:
            strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
            for string in strings:
                missing = placeholders(msgid) - placeholders(string)
                if missing:
                    out.append(f"placeholder {sorted(missing)} lost in: {msgid!r}")
    return out


def placeholders(text: str) -> set[str]:
    """The ``${name}`` / ``$name`` mapping placeholders of a Pyramid translation string."""
    return {a or b for a, b in PLACEHOLDER.findall(text or "")}


# --------------------------------------------------------------------------- main

def _write(path: Path, data: bytes, check: bool, changed: list[Path]) -> None:
    if path.exists() and path.read_bytes() == data:
        return
    changed.append(path)
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def run(targets: list[Target], check: bool = False, out=sys.stdout) -> int:
    changed: list[Path] = []
    issues = 0
    for target in targets:
        template, pot_data = build_pot(target)
        _write(target.pot_path(), pot_data, check, changed)
        for problem in lint_templates(target):
            issues += 1
            print(f"{target.domain:<20} {problem}", file=out)
        for locale in LOCALES:
            catalog, po_data = build_po(target, template, locale)
            _write(target.po_path(locale), po_data, check, changed)
            _write(target.mo_path(locale), compile_mo(po_data, locale), check, changed)
            found = problems(catalog)
            issues += len(found)
            count = sum(1 for m in catalog if m.id)
            print(f"{target.domain:<20} {locale}: {count:4d} messages, {len(found)} to fix", file=out)
            for problem in found:
                print(f"    {problem}", file=out)
    for path in changed:
        print(f"{'out of date' if check else 'updated'}: {_relative(path, ROOT)}", file=out)
    if check and (changed or issues):
        return 1
    return 0


def extract_only(targets: list[Target], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for target in targets:
        template = extract(target)
        template.creation_date = _now()
        (out_dir / f"{target.domain}.pot").write_bytes(_render(template))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file is out of date or a catalogue is incomplete")
    parser.add_argument("--extract-only", metavar="DIR", type=Path, help="only write <DIR>/<domain>.pot")
    parser.add_argument("--domain", action="append", help="only this domain (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the domains and their catalogue folders")
    args = parser.parse_args(argv)
    targets = discover()
    if args.domain:
        unknown = set(args.domain) - {t.domain for t in targets}
        if unknown:
            parser.error(f"unknown domain(s): {', '.join(sorted(unknown))}")
        targets = [t for t in targets if t.domain in args.domain]
    if args.list:
        for t in targets:
            print(f"{t.domain:<20} {_relative(t.locale_dir, ROOT)}  ({len(t.sources)} source files)")
        return 0
    if args.extract_only:
        extract_only(targets, args.extract_only)
        return 0
    return run(targets, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
