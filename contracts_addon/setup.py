"""Distribution procura-contracts: the Procura addon "contracts" (Contracts)."""
from setuptools import find_packages, setup

setup(
    name="procura-contracts",
    version="0.1.0",
    description="Procura addon: Contracts",
    license="Proprietary",
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    package_data={"procura_contracts": ["templates/*.pt", "locale/*/LC_MESSAGES/*", "static/*"]},
    # Mirrors ADDON["depends"] in procura_contracts/__init__.py.
    install_requires=["procura>=0.1", "procura-suppliers>=0.1"],
    entry_points={"procura.addons": ["contracts = procura_contracts"]},
)
