"""Distribution procura-suppliers: the Procura addon "suppliers" (Suppliers and purchasing)."""
from setuptools import find_packages, setup

setup(
    name="procura-suppliers",
    version="0.1.0",
    description="Procura addon: Suppliers and purchasing",
    license="Proprietary",
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    package_data={"procura_suppliers": ["templates/*.pt", "locale/*/LC_MESSAGES/*", "static/*"]},
    # Mirrors ADDON["depends"] in procura_suppliers/__init__.py.
    install_requires=["procura>=0.1"],
    entry_points={"procura.addons": ["suppliers = procura_suppliers"]},
)
