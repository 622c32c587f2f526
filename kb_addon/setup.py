"""Distribution procura-kb: the Procura addon "kb" (Knowledge base)."""
from setuptools import find_packages, setup

setup(
    name="procura-kb",
    version="0.1.0",
    description="Procura addon: Knowledge base",
    license="Proprietary",
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    package_data={"procura_kb": ["templates/*.pt", "locale/*/LC_MESSAGES/*", "static/*"]},
    # Mirrors ADDON["depends"] in procura_kb/__init__.py.
    install_requires=["procura>=0.1"],
    entry_points={"procura.addons": ["kb = procura_kb"]},
)
