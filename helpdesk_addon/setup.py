"""Distribution procura-helpdesk: the Procura addon "helpdesk" (Service desk)."""
from setuptools import find_packages, setup

setup(
    name="procura-helpdesk",
    version="0.1.0",
    description="Procura addon: Service desk",
    license="Proprietary",
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    package_data={"procura_helpdesk": ["templates/*.pt", "locale/*/LC_MESSAGES/*", "static/*"]},
    # Mirrors ADDON["depends"] in procura_helpdesk/__init__.py.
    install_requires=["procura>=0.1"],
    entry_points={"procura.addons": ["helpdesk = procura_helpdesk"]},
)
