"""Distribution ``procura``: the Procura core (import name ``procura``, code in core/procura)
and the bundled themes (import name ``procura_themes``, files in themes/)."""
from setuptools import find_packages, setup

setup(
    name="procura",
    version="0.1.0",
    description="Procura: a CRM for procurement (core platform)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Proprietary",
    python_requires=">=3.11",
    package_dir={"": "core", "procura_themes": "themes"},
    packages=find_packages("core", exclude=["tests", "tests.*"])
    + ["procura_themes", "procura_themes.default"],
    include_package_data=True,
    package_data={
        "procura": ["templates/*.pt", "templates/**/*.pt", "locale/*/LC_MESSAGES/*", "locale/*.pot", "static/*", "static/**/*"],
        "procura_themes.default": ["templates/*.pt", "static/*", "static/**/*"],
    },
    install_requires=[
        "pyramid>=2.1,<3",
        "pyramid_tm>=2.5",
        "pyramid_retry>=2.1",
        "pyramid_zodbconn>=0.8",
        "pyramid_chameleon>=0.3",
        "Chameleon>=4.6",
        "ZODB>=6.0",
        "ZEO>=6.0",
        "zodburi>=3.0",
        "RelStorage[postgresql]>=4.3",
        "BTrees>=6.0",
        "persistent>=6.0",
        "transaction>=5.0",
        "hypatia>=0.5",
        "pluggy>=1.7",
        "colander>=2.0",
        "deform>=3.0.1",
        "celery[redis]>=5.7",
        "kombu>=5.7",
        "whoosh-reloaded>=2.7.5",
        "ldap3>=2.9",
        "pyotp>=2.9",
        # OpenID Connect sign-in: a maintained OAuth 2 / OIDC client (PKCE, ID token validation
        # through joserfc, which it brings); its framework-independent client runs on requests.
        "authlib>=1.9",
        "requests>=2.31",
        # QR codes (SVG) for enrolling an authenticator app; pure Python, no imaging library needed.
        "segno>=1.6",
        "reportlab>=4.0",
        "waitress>=3.0",
        "click>=8.1",
        "argon2-cffi>=23.1",
        "babel>=2.14",
        "markupsafe>=2.1",
        "nh3>=0.2.18",
        "markdown-it-py>=3.0",
        "openpyxl>=3.1",
        # TrueType fonts with Cyrillic (Noto Sans) for PDF printing; reportlab ships none.
        "pymupdf-fonts>=1.0.5",
        # Business calendars: public holidays per country, maintained every year; for Russia the
        # production calendar's holidays, days off in lieu and the government's yearly moves of
        # days off with the Saturdays worked instead (weekend_workdays), see procura.calendars.
        "holidays>=0.109",
        "setuptools<81",
    ],
    extras_require={
        "test": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "webtest>=3.0",
            "selenium>=4.20",
            "ruff>=0.6",
            "lingua>=4.15",
            "babel>=2.14",
            "requests>=2.31",
            "pypdf>=4.0",  # reads the text of printed PDFs back in tests
            "openapi-spec-validator>=0.7", "jsonschema>=4.18",
            "aiosmtpd>=1.4",  # a real SMTP server on loopback for the mail tests
        ],
    },
    entry_points={
        "console_scripts": ["procura = procura.cli:main"],
        "paste.app_factory": ["main = procura:main"],
        "pytest11": ["procura = procura.testing"],
        "procura.themes": ["default = procura_themes.default:THEME"],
    },
)
