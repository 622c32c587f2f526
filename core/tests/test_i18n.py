"""Translations are complete and current: every catalogue (the core and each addon), ru and en.

- extracting the messages again (tools/i18n.py, in a temporary folder) finds no message that is
  missing from the ru or en catalogue;
- no catalogue has untranslated or fuzzy entries, and no translation lost a ``${name}`` placeholder;
- no template has i18n markup that can never match its catalogue entry;
- every committed .mo holds what compiling its .po gives;
- the pages render in Russian with ``?_LOCALE_=ru`` and in English with ``?_LOCALE_=en``, with no
  visible text left in the other language.
"""
from __future__ import annotations

import importlib.util
import io
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import transaction
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from webtest import TestApp

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "i18n.py"


def _load_tool():
    spec = importlib.util.spec_from_file_location("procura_i18n_tool", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


tool = _load_tool()
TARGETS = {t.domain: t for t in tool.discover(ROOT)}
CATALOGUES = [(domain, locale) for domain in TARGETS for locale in tool.LOCALES]


def _read_po(path: Path, locale: str):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _messages(catalog) -> dict:
    """{(msgid, context): translation} of the entries a .mo carries (translated, not fuzzy)."""
    return {(m.id, m.context): m.string for m in catalog
            if m.id and m.string and not m.fuzzy}


# --------------------------------------------------------------------------- catalogues

def test_every_installed_addon_has_a_catalogue():
    folders = {t.package_dir.resolve() for t in TARGETS.values()}
    for ep in entry_points(group="procura.addons"):
        spec = importlib.util.find_spec(ep.module.split(":")[0].split(".")[0])
        package_dir = Path(next(iter(spec.submodule_search_locations))).resolve()
        assert package_dir in folders, f"addon {ep.name} ({package_dir}) is not covered by tools/i18n.py"
    assert "procura" in TARGETS


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Run the extraction of tools/i18n.py afresh into a temporary folder: {domain: template catalogue}."""
    out = tmp_path_factory.mktemp("pot")
    subprocess.run([sys.executable, str(TOOL), "--extract-only", str(out)], check=True, cwd=ROOT)
    return {domain: _read_po(out / f"{domain}.pot", None) for domain in TARGETS}


@pytest.mark.parametrize(("domain", "locale"), CATALOGUES)
def test_catalogue_has_every_extracted_message(extracted, domain, locale):
    path = TARGETS[domain].po_path(locale)
    assert path.exists(), f"{path} is missing: run `make i18n`"
    have = {(m.id, m.context) for m in _read_po(path, locale) if m.id}
    missing = [(m.id, m.context) for m in extracted[domain] if m.id and (m.id, m.context) not in have]
    assert not missing, f"{path.relative_to(ROOT)} lacks {missing}: run `make i18n` and translate them"


@pytest.mark.parametrize(("domain", "locale"), CATALOGUES)
def test_catalogue_is_fully_translated(domain, locale):
    path = TARGETS[domain].po_path(locale)
    problems = tool.problems(_read_po(path, locale))
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("domain", list(TARGETS))
def test_template_markup_is_translatable(domain):
    problems = tool.lint_templates(TARGETS[domain])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("domain", "locale"), CATALOGUES)
def test_mo_is_compiled_from_po(domain, locale):
    target = TARGETS[domain]
    po_path, mo_path = target.po_path(locale), target.mo_path(locale)
    assert mo_path.exists(), f"{mo_path} is missing: run `make i18n`"
    expected = read_mo(io.BytesIO(tool.compile_mo(po_path.read_bytes(), locale)))
    with mo_path.open("rb") as f:
        committed = read_mo(f)
    assert _messages(committed) == _messages(expected), f"{mo_path.relative_to(ROOT)} is stale: run `make i18n`"
    assert _messages(committed), f"{mo_path.relative_to(ROOT)} is empty"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
@pytest.mark.parametrize(("domain", "locale"), CATALOGUES)
def test_msgfmt_accepts_catalogue(domain, locale):
    path = TARGETS[domain].po_path(locale)
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_tool_is_deterministic_and_keeps_translations(tmp_path, capsys):
    """A second run changes nothing; translations survive; only `_()` and this domain's template text."""
    package = tmp_path / "procura_sample"
    (package / "templates").mkdir(parents=True)
    (package / "__init__.py").write_text(
        'from pyramid.i18n import TranslationStringFactory\n'
        '_ = TranslationStringFactory("procura_sample")\n'
        'TITLE = _("Purchase orders")\n'
        'GREETING = _("Hello, ${name}", mapping={"name": "x"})\n'
        'OTHER = gettext("not a message of ours")\n', encoding="utf-8")
    (package / "templates" / "page.pt").write_text(
        '<div xmlns:i18n="http://xml.zope.org/namespaces/i18n" i18n:domain="procura_sample">\n'
        '  <h1 i18n:translate="">Suppliers</h1>\n'
        '  <a title="Open" i18n:attributes="title" href="#">x</a>\n'
        '  <p i18n:domain="deform" i18n:translate="">Required</p>\n'
        '</div>\n', encoding="utf-8")
    target = tool.Target("procura_sample", package, sources=tool._source_files(package), root=tmp_path)
    assert tool.run([target], out=io.StringIO()) == 0
    template = _read_po(target.pot_path(), None)
    assert sorted(m.id for m in template if m.id) == ["Hello, ${name}", "Open", "Purchase orders", "Suppliers"]
    english = _read_po(target.po_path("en"), "en")
    assert all(m.string == m.id for m in english if m.id)

    russian = _read_po(target.po_path("ru"), "ru")
    for message, text in [("Purchase orders", "Заказы поставщикам"), ("Hello, ${name}", "Здравствуйте, ${name}"),
                          ("Open", "Открыть"), ("Suppliers", "Поставщики")]:
        russian[message].string = text
    buf = io.BytesIO()
    from babel.messages.pofile import write_po

    write_po(buf, russian)
    target.po_path("ru").write_bytes(buf.getvalue())
    assert tool.run([target], out=io.StringIO()) == 0
    files = sorted(p for p in package.rglob("*") if p.is_file() and "locale" in p.parts)
    snapshot = {p: p.read_bytes() for p in files}
    assert tool.run([target], check=True, out=io.StringIO()) == 0
    assert tool.run([target], out=io.StringIO()) == 0
    assert {p: p.read_bytes() for p in files} == snapshot
    with target.mo_path("ru").open("rb") as f:
        assert read_mo(f)["Hello, ${name}"].string == "Здравствуйте, ${name}"

    russian["Hello, ${name}"].string = "Здравствуйте"
    assert tool.problems(russian) == ["placeholder ['name'] lost in: 'Hello, ${name}'"]


# --------------------------------------------------------------------------- pages

class VisibleText(HTMLParser):
    """The text a user sees or hears: text nodes and title/aria-label/placeholder/alt attributes."""

    SKIP = {"script", "style", "code", "option", "pre"}
    VOID = {"meta", "link", "input", "br", "hr", "img", "source", "wbr"}
    ATTRS = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)
        values = dict(attrs)
        self.texts.extend(values[a] for a in self.ATTRS if values.get(a))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if data.strip() and not self.SKIP.intersection(self.stack):
            self.texts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


# Words that are the same in every language: the product and the language names; also acronyms
# (RU, EN, SLA, JSON, ...), which a Russian business UI writes in Latin letters too.
# Names that stay as they are in both languages (products, protocols, a folder name).
NEUTRAL = {"Procura", "English", "Русский", "Telegram", "Active", "Directory", "OpenID", "Connect", "var", "outbox",
           "Google", "Authenticator", "Yandex", "Key", "Bearer", "Authorization", "cron"}


def foreign_words(html: str, pattern: str, allowed=()) -> list[str]:
    allowed = NEUTRAL | set(allowed)
    words = []
    for text in visible_text(html):
        # placeholders, link syntax and JSON shown as examples in help texts
        text = re.sub(r"\$\{[^}]*\}|\S*\?\w+=\S*|\{[^}]*\}", "", text)
        words.extend(w for w in re.findall(pattern, text) if w not in allowed and not w.isupper())
    return words


LATIN = r"[A-Za-z][A-Za-z'-]+"
CYRILLIC = r"[А-Яа-яЁё][А-Яа-яЁё-]*"


LINK = re.compile(r'<a\s[^>]*href="http://localhost(/[^"#?]*)"')
FORM = re.compile(r"<form\s[^>]*>")
SKIP_PATHS = ("/static/", "/language/", "/logout", "/api/")


def _links(html: str) -> list[str]:
    """Local pages a page links to: anchors and the actions of GET forms (such as search), no query."""
    links = LINK.findall(html)
    for tag in FORM.findall(html):
        action = re.search(r'action="http://localhost(/[^"#?]*)"', tag)
        if action and re.search(r'method="get"', tag, re.IGNORECASE):
            links.append(action.group(1))
    return [link for link in links if not link.startswith(SKIP_PATHS)]


def _pages(testapp, locale, depth=2, limit=80):
    """The HTML pages a signed-in admin reaches from the home page (menu, lists, forms), in ``locale``."""
    levels = {"/": 0, "/profile": 0, "/admin/status": 0}
    queue, pages = list(levels), {}
    while queue and len(pages) < limit:
        path = queue.pop(0)
        response = testapp.get(f"{path}?_LOCALE_={locale}", status="*")
        if response.status_int != 200 or response.content_type != "text/html":
            continue
        pages[path] = response
        if levels[path] < depth:
            for link in _links(response.text):
                if link not in levels:
                    levels[link] = levels[path] + 1
                    queue.append(link)
    pages["404"] = testapp.get(f"/no-such-page?_LOCALE_={locale}", status=404)
    return pages


def test_pages_in_russian(testapp, make_user, login):
    make_user("anna", roles=["admin"], fullname="Анна Иванова")
    page = testapp.get("/login?_LOCALE_=ru")
    assert re.search(r'<html[^>]* lang="ru"', page.text)
    assert "Войти" in page.text and "Логин" in page.text and "Пароль" in page.text
    assert not foreign_words(page.text, LATIN)

    # a failed sign-in: Procura's, colander's and Deform's messages in Russian
    form = page.forms["login-form"]
    result = testapp.post("/login?_LOCALE_=ru", {**dict(form.submit_fields()), "login": "anna", "password": "x"})
    assert "Неверный логин или пароль." in result.text
    assert not foreign_words(result.text, LATIN)
    result = testapp.post("/login?_LOCALE_=ru", {**dict(form.submit_fields()), "login": "", "password": ""})
    assert not foreign_words(result.text, LATIN)
    missing = testapp.get("/no-such-page?_LOCALE_=ru", status=404)  # the error page without the menu
    assert "Страница не найдена" in missing.text and not foreign_words(missing.text, LATIN)

    make_user("boris", roles=["requester"])
    other = login(TestApp(testapp.app, extra_environ={"HTTP_HOST": "localhost"}), "boris")
    denied = other.get("/admin/status?_LOCALE_=ru", status=403)
    assert "Доступ запрещён" in denied.text and not foreign_words(denied.text, LATIN, {"boris"})

    login(testapp, "anna")
    addon_names = {a.name for a in testapp.app.registry.procura_addons}
    for path, response in _pages(testapp, "ru").items():
        assert re.search(r'<html[^>]* lang="ru"', response.text), path
        assert not foreign_words(response.text, LATIN, addon_names | data_words(testapp.app)), path
    home = testapp.get("/?_LOCALE_=ru")
    assert "Главная" in home.text and "Добро пожаловать" in home.text

    problem = testapp.get("/api/v1/no-such-thing?_LOCALE_=ru", status=404).json
    assert problem["title"] == "Не найдено"


def test_pages_in_english(testapp, make_user, login):
    make_user("anna", roles=["admin"], fullname="Anna Ivanova")
    page = testapp.get("/login?_LOCALE_=en")
    assert "Sign in" in page.text and "Login" in page.text and "Password" in page.text
    assert not foreign_words(page.text, CYRILLIC)

    login(testapp, "anna")
    for path, response in _pages(testapp, "en").items():
        assert re.search(r'<html[^>]* lang="en"', response.text), path
        assert not foreign_words(response.text, CYRILLIC), path
    home = testapp.get("/?_LOCALE_=en")
    assert "Home" in home.text and "Welcome, <span>Anna Ivanova</span>." in home.text


def _words(*strings) -> set[str]:
    return {w for s in strings for pattern in (r"\w+", r"[\w'-]+") for w in re.findall(pattern, str(s))}


def data_words(app) -> set[str]:
    """Words of records (not of the interface): names, labels and descriptions of roles and teams, logins. The core's
    roles are created in the installation's default language (English in tests)."""
    from procura.content import APP_KEY
    from procura.types.content import container_for

    conn = app.registry._zodb_databases[""].open(transaction.TransactionManager())
    try:
        root = conn.root()[APP_KEY]
        out = set()
        for type_name in ("role", "team", "user"):
            for name, obj in container_for(root, type_name).items():
                out |= _words(name, getattr(obj, "label", "") or "", getattr(obj, "description", "") or "")
        for event in container_for(root, "login_event").values():  # details are stored in the default language
            out |= _words(getattr(event, "detail", "") or "")
        # type identifiers (print templates are listed by them) and the template name "default"
        out |= _words(*(n.replace("_", " ") for n in app.registry.procura_types.names()), "default")
        return out
    finally:
        conn.close()


@pytest.mark.parametrize("procura_overrides", [{"procura.extra_hooks": "sampletype"}])
@pytest.mark.parametrize("locale", ["ru", "en"])
def test_record_pages_are_translated(testapp, make_user, login, procura_overrides, locale):
    """The generic record pages (list, board, trash, new, detail, edit) of the test-only type "gadget".

    The type's own titles are not in any catalogue (it lives in core/tests), so they are allowed.
    """
    sample = pytest.importorskip("sampletype")
    info = sample.GADGET
    own = [info.title, info.plural, *(f.title for f in info.fields)]
    for field in info.fields:
        own.extend(title for _value, title in getattr(field, "choices", None) or [])
    if info.workflow:
        own.extend(s.title for s in info.workflow.statuses)
        own.extend(t.title for t in info.workflow.transitions)
    make_user("anna", roles=["admin"], fullname="Anna Ivanova" if locale == "en" else "Анна Иванова")
    login(testapp, "anna")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', testapp.get("/").text).group(1)
    testapp.post_json("/api/v1/gadget", {"name": "Pump" if locale == "en" else "Насос", "quantity": 3},
                      headers={"X-CSRF-Token": token}, status=201)

    pages = _pages(testapp, locale, depth=3)
    assert "/t/gadget" in pages and "/t/gadget/new" in pages, sorted(pages)
    pattern = LATIN if locale == "ru" else CYRILLIC
    addon_names = {a.name for a in testapp.app.registry.procura_addons}
    # data, not interface: the type's and addons' names, the user, the print template "default"
    allowed = _words(*own) | addon_names | data_words(testapp.app) | {"Anna", "Ivanova", "gadget", "default"}
    for path, response in pages.items():
        assert not foreign_words(response.text, pattern, allowed), path
