"""Distribution procura-portal: the Procura addon "portal" (Portals)."""
from setuptools import find_packages, setup

setup(
    name="procura-portal",
    version="0.1.0",
    description="Procura addon: Portals",
    license="Proprietary",
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    package_data={"procura_portal": ["templates/*.pt", "locale/*/LC_MESSAGES/*", "static/*"]},
    # Mirrors ADDON["depends"] in procura_portal/__init__.py.
    install_requires=["procura>=0.1", "procura-suppliers>=0.1"],
    entry_points={"procura.addons": ["portal = procura_portal"]},
)
