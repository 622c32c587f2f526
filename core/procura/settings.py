"""Settings: every setting Procura reads, with its default and meaning.

Values come from, in rising priority: the defaults below, the ``[procura]`` section of an ini file
(``--config``, or ``procura.ini`` in the working directory), then environment variables named
``PROCURA_<KEY>`` with the ``procura.`` prefix dropped, dots and dashes turned into underscores
and upper-cased (``procura.zodb_uri`` -> ``PROCURA_ZODB_URI``). The README's configuration table is
generated from ``SETTINGS`` and a test keeps the two equal. Settings that exist once per configured
name (one group per OpenID Connect provider) are declared as ``SETTING_PATTERNS`` and documented in a
second table.
"""
from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    help: str


SETTINGS: list[Setting] = [
    Setting("procura.var_dir", "var", "Folder for the embedded database, blobs, index, job queue and secret key."),
    Setting("procura.zodb_uri", "",
            "ZODB URI (zodburi). Empty: embedded FileStorage `<var_dir>/Data.fs` with blobs in "
            "`<var_dir>/blobs`. Multi-node: `postgres://user:pass@host:5432/db?keep_history=false` (RelStorage)."),
    Setting("procura.broker_url", "",
            "Celery broker. Empty: embedded kombu `filesystem://` queue under `<var_dir>/celery`. "
            "Multi-node: `redis://host:6379/0`."),
    Setting("procura.result_backend", "",
            "Celery result backend. Empty: `file://<var_dir>/celery/results` (embedded) or the Redis broker URL."),
    Setting("procura.index_path", "", "Whoosh full-text index folder. Empty: `<var_dir>/index`."),
    Setting("procura.addons.disabled", "",
            "Comma-separated addon names not to load although installed; `*` disables every addon."),
    Setting("procura.extra_hooks", "",
            "Comma-separated Python modules registered as hook plugins after the addons (site-specific "
            "customisation without packaging an addon)."),
    Setting("procura.default_locale", "ru",
            "Language when neither the user nor the browser chooses one (`ru` or `en`)."),
    Setting("procura.default_timezone", "Europe/Moscow", "Time zone for users who have not chosen one."),
    Setting("procura.theme", "default", "Theme used when the user has not chosen one."),
    Setting("procura.name_order", "last_first_middle",
            "How person names are shown when the user has not chosen: `last_first_middle`, "
            "`first_middle_last`, `first_last` or `last_initials` (Иванов И. П.)."),
    Setting("procura.upload_max_bytes", "20971520", "Largest file a user may upload, in bytes (default 20 MB)."),
    Setting("procura.host", "127.0.0.1", "Address `procura serve` listens on."),
    Setting("procura.port", "6543", "Port `procura serve` listens on."),
    Setting("procura.threads", "4", "Web worker threads per process."),
    Setting("procura.retry_attempts", "5",
            "Times a request whose write conflicted with a concurrent one is run (with a random, growing "
            "pause between tries) before the user gets a clear conflict message; nothing is saved then."),
    Setting("procura.trusted_proxy", "",
            "Address of the reverse proxy whose X-Forwarded-Proto/-For/-Host headers `procura serve` trusts "
            "(e.g. `127.0.0.1`); empty trusts none."),
    Setting("procura.embedded_worker", "true",
            "Whether `procura serve` also starts a Celery worker with beat (set `false` when workers run apart)."),
    Setting("procura.secret_file", "",
            "File holding the installation secret key (made by `procura init`). Empty: `<var_dir>/secret.key`."),
    Setting("procura.session_secure", "auto",
            "Mark the session cookie `Secure`: `auto` (when the request came over HTTPS), `true` or `false`."),
    Setting("procura.session_max_age", "28800",
            "Seconds a sign-in lasts at most (an administrator can change it on the security settings page)."),
    Setting("procura.session_idle_timeout", "3600",
            "Seconds without a request after which a sign-in ends (`0`: never; also on the security settings page)."),
    Setting("procura.jobs.inline", "false",
            "Run background jobs in the web process right after the commit instead of queueing them. Only "
            "for tests and single-process tools; tests (`procura.testing`) run them this way."),
    Setting("procura.smtp.host", "",
            "SMTP server for outgoing mail. Empty: mail is written to `<var_dir>/outbox` as .eml files "
            "(the embedded run needs no mail server)."),
    Setting("procura.smtp.port", "587", "SMTP port."),
    Setting("procura.smtp.security", "starttls", "`starttls`, `ssl` or `none`."),
    Setting("procura.smtp.user", "", "SMTP user name (empty: no authentication)."),
    Setting("procura.smtp.password", "", "SMTP password (never logged)."),
    Setting("procura.smtp.timeout", "20", "Seconds to wait for the SMTP server."),
    Setting("procura.mail.from", "Procura <procura@localhost>", "The `From` of mail Procura sends."),
    Setting("procura.public_url", "",
            "The address users reach Procura at (e.g. `https://procura.example.ru`), for links in mail and "
            "messages sent by jobs. Empty: the address of the request, or `http://<host>:<port>`."),
    Setting("procura.notify.poll_seconds", "30",
            "How often, in seconds, an open page asks for the unread notifications count (the bell)."),
    Setting("procura.telegram.token", "", "Telegram bot token (from @BotFather); empty: no Telegram."),
    Setting("procura.telegram.api_url", "https://api.telegram.org",
            "Telegram Bot API address (a local Bot API server, or a fake in tests)."),
    Setting("procura.telegram.bot_name", "", "The bot's user name, for the link users follow to connect it."),
    Setting("procura.ldap.url", "",
            "LDAP / Active Directory server: `ldap://host:389` or `ldaps://host:636` (several, separated by "
            "spaces, are tried in order). Empty: no directory sign-in."),
    Setting("procura.ldap.bind_dn", "",
            "DN of the service account that looks users and groups up (empty: anonymous), e.g. "
            "`cn=procura,ou=services,dc=example,dc=org` or `procura@example.org` for Active Directory."),
    Setting("procura.ldap.bind_password", "", "Password of the service account (never logged)."),
    Setting("procura.ldap.user_base", "", "Where users are searched, e.g. `ou=people,dc=example,dc=org`."),
    Setting("procura.ldap.user_filter", "",
            "LDAP filter finding a user by login; `{login}` is replaced by the escaped login (by `*` to list "
            "everybody for the synchronisation). Empty: entries of the class `inetOrgPerson` or the category "
            "`person` whose `uid` or `sAMAccountName` is the login, which suits OpenLDAP and Active Directory."),
    Setting("procura.ldap.attr.login", "uid, sAMAccountName",
            "Attributes holding the login (the first one present is used; the same for every `attr.*`)."),
    Setting("procura.ldap.attr.first_name", "givenName", "Attributes holding the first name."),
    Setting("procura.ldap.attr.last_name", "sn", "Attributes holding the last name."),
    Setting("procura.ldap.attr.middle_name", "middleName", "Attributes holding the middle name (patronymic)."),
    Setting("procura.ldap.attr.full_name", "displayName, cn",
            "Attributes holding the whole name, used as the last name when there is no first or last name."),
    Setting("procura.ldap.attr.email", "mail", "Attributes holding the email address."),
    Setting("procura.ldap.attr.phone", "telephoneNumber, mobile", "Attributes holding the phone number."),
    Setting("procura.ldap.attr.position", "title", "Attributes holding the position (position rules apply to it)."),
    Setting("procura.ldap.group_base", "",
            "Where groups are searched, e.g. `ou=groups,dc=example,dc=org`. Empty: only the users' `memberOf` "
            "attribute tells their groups."),
    Setting("procura.ldap.group_filter", "",
            "LDAP filter of the groups. Empty: entries of the classes `groupOfNames`, `groupOfUniqueNames`, "
            "`posixGroup` or `group` (members by `member`, `uniqueMember` or `memberUid`)."),
    Setting("procura.ldap.group_map", "",
            "Teams and roles for members of directory groups: entries separated by `;` or new lines, each "
            "`GROUP = team:NAME role:NAME ...` where GROUP is a group's DN or, without `=`, its name (cn); e.g. "
            "`cn=buyers,ou=groups,dc=example,dc=org = team:procurement role:buyer; Domain Admins = role:admin`. "
            "Teams and roles that do not exist yet are created. They add to what an administrator gives by hand "
            "and are taken away when the user leaves the group."),
    Setting("procura.ldap.starttls", "false", "Upgrade `ldap://` connections with StartTLS (`true`/`false`)."),
    Setting("procura.ldap.ca_file", "",
            "CA certificates (PEM) to verify the directory's TLS certificate. Empty: the system's CAs."),
    Setting("procura.ldap.timeout", "10", "Seconds to wait for the directory server."),
    Setting("procura.ldap.sync_interval", "0",
            "Minutes between synchronisations of users and groups from the directory (a job); `0`: no "
            "scheduled synchronisation (`procura ldap sync` and the security settings page still run one)."),
    Setting("procura.node_modules", "",
            "Folder of the JavaScript libraries installed from the npm registry. "
            "Empty: `node_modules` beside the project."),
    Setting("procura.zeo_socket", "",
            "Embedded run only: Unix socket of the ZEO server that `procura serve` puts in front of the FileStorage "
            "so that web and worker processes share it. Empty: `<var_dir>/zeo.sock`."),
    Setting("procura.search.types", "",
            "Comma-separated type names kept in the global search index. Empty: every type declared "
            "`searchable`."),
    Setting("procura.search.sync", "false",
            "Index search documents in the web process right after each commit instead of through a "
            "Celery job. Only for tests and single-process tools: with several processes the index must "
            "have one writer (the worker). Tests (`procura.testing`) always index this way."),
    Setting("procura.export.csv_delimiter", ";",
            "Field separator of CSV exports: `;` (what Excel expects with a Russian locale) or `,`; "
            "an export link may override it with `?delimiter=,` or `?delimiter=;`."),
    Setting("procura.oidc.providers", "",
            "Comma-separated names of the OpenID Connect providers users may sign in with (lower-case "
            "letters, digits, `-` and `_`); each is configured by the `procura.oidc.<name>.*` settings below. "
            "Empty: no OpenID Connect sign-in."),
    Setting("procura.oidc.timeout", "10", "Seconds to wait for an OpenID Connect provider's answer."),
]

DEFAULTS = {s.key: s.default for s in SETTINGS}


@dataclass(frozen=True)
class SettingPattern:
    """A group of settings that exists once per name listed in another setting: ``key`` holds
    ``<name>`` (``procura.oidc.<name>.issuer`` for every name in ``procura.oidc.providers``). The
    environment variable follows the same rule (``PROCURA_OIDC_<NAME>_ISSUER``)."""

    key: str
    names: str  # the setting that lists the names
    default: str
    help: str

    def key_for(self, name: str) -> str:
        return self.key.replace("<name>", name)


_OIDC = "procura.oidc.providers"
SETTING_PATTERNS: list[SettingPattern] = [
    SettingPattern("procura.oidc.<name>.issuer", _OIDC, "",
                   "Issuer URL of the provider (required); its configuration is discovered at "
                   "`<issuer>/.well-known/openid-configuration`."),
    SettingPattern("procura.oidc.<name>.client_id", _OIDC, "", "Client id Procura is registered with (required)."),
    SettingPattern("procura.oidc.<name>.client_secret", _OIDC, "",
                   "Client secret (never logged). Empty: a public client that relies on PKCE alone."),
    SettingPattern("procura.oidc.<name>.title", _OIDC, "",
                   "Label of the button on the sign-in page. Empty: the provider's name."),
    SettingPattern("procura.oidc.<name>.scopes", _OIDC, "openid profile email",
                   "Scopes asked for (space- or comma-separated; `openid` is always added), e.g. "
                   "`openid profile email groups`."),
    SettingPattern("procura.oidc.<name>.login_claim", _OIDC, "preferred_username",
                   "Claim whose value becomes the login of a user created at first sign-in."),
    SettingPattern("procura.oidc.<name>.role_claim", _OIDC, "groups, roles",
                   "Comma-separated claims holding the user's groups or roles (a dotted path reaches into "
                   "nested claims, e.g. `realm_access.roles`); `role_map` maps their values."),
    SettingPattern("procura.oidc.<name>.role_map", _OIDC, "",
                   "Roles and teams given by claim values: entries `<claim value> = role:<name> team:<name> ...` "
                   "separated by `;` or new lines (a bare name is a role; values are compared ignoring case; `*` "
                   "matches everybody), e.g. "
                   "`procurement = role:buyer team:procurement; it-admins = role:admin`. Refreshed at every "
                   "sign-in; roles and teams an administrator gives by hand are kept."),
    SettingPattern("procura.oidc.<name>.create_users", _OIDC, "false",
                   "Create a user at the first sign-in of somebody Procura does not know (`true`), or only let "
                   "in users an administrator created with \"Signs in with: OpenID Connect\" and the same "
                   "login (`false`)."),
]


def pattern_keys(settings: dict) -> dict[str, SettingPattern]:
    """The concrete keys of ``SETTING_PATTERNS`` for the names the settings list."""
    out = {}
    for pattern in SETTING_PATTERNS:
        for name in as_list(settings.get(pattern.names)):
            out[pattern.key_for(name)] = pattern
    return out


def env_name(key: str) -> str:
    return "PROCURA_" + key.removeprefix("procura.").replace(".", "_").replace("-", "_").upper()


def project_root() -> Path:
    """The source checkout when running from one (for node_modules), else the working directory."""
    here = Path(__file__).resolve().parent.parent.parent
    if (here / "package.json").exists():
        return here
    return Path.cwd()


def load_settings(config_file: str | os.PathLike | None = None, overrides: dict | None = None) -> dict:
    settings = dict(DEFAULTS)
    path = Path(config_file) if config_file else Path("procura.ini")
    if path.exists():
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding="utf-8")
        if parser.has_section("procura"):
            for key, value in parser.items("procura"):
                settings[key if key.startswith("procura.") else "procura." + key] = value
    elif config_file:
        raise FileNotFoundError(f"Configuration file {config_file} does not exist")
    for setting in SETTINGS:
        value = os.environ.get(env_name(setting.key))
        if value is not None:
            settings[setting.key] = value
    settings.update(overrides or {})
    for key in pattern_keys(settings):  # once the names are known (procura.oidc.providers ...)
        value = os.environ.get(env_name(key))
        if value is not None and key not in (overrides or {}):
            settings[key] = value
    return resolve(settings)


def resolve(settings: dict) -> dict:
    """Fill derived defaults (paths under var_dir, embedded URIs)."""
    s = dict(DEFAULTS)
    s.update({k: v for k, v in settings.items() if v is not None})
    var = Path(s["procura.var_dir"]).expanduser().absolute()
    s["procura.var_dir"] = str(var)
    if not s["procura.zodb_uri"]:
        s["procura.zodb_uri"] = f"file://{var}/Data.fs?blobstorage_dir={var}/blobs"
    if not s["procura.broker_url"]:
        s["procura.broker_url"] = "filesystem://"
    if not s["procura.result_backend"]:
        if s["procura.broker_url"].startswith("filesystem://"):
            s["procura.result_backend"] = f"file://{var}/celery/results"
        else:
            s["procura.result_backend"] = s["procura.broker_url"]
    s["procura.index_path"] = s["procura.index_path"] or str(var / "index")
    s["procura.secret_file"] = s["procura.secret_file"] or str(var / "secret.key")
    s["procura.zeo_socket"] = s["procura.zeo_socket"] or str(var / "zeo.sock")
    s["procura.node_modules"] = s["procura.node_modules"] or str(project_root() / "node_modules")
    s["zodbconn.uri"] = s["procura.zodb_uri"]
    for key, pattern in pattern_keys(s).items():
        s.setdefault(key, pattern.default)
    return s


def as_bool(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def as_list(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").replace("\n", ",").split(",") if v.strip()]


def is_embedded_zodb(settings: dict) -> bool:
    return settings["procura.zodb_uri"].startswith("file://")


def is_embedded_broker(settings: dict) -> bool:
    return settings["procura.broker_url"].startswith("filesystem://")


def redact_uri(uri: str) -> str:
    """A URI with its password replaced, for logs and the status page."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<unparseable URI>"
    if parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
