"""Distribution procura-courier: the Procura addon "courier" (Courier delivery)."""
from setuptools import find_packages, setup

setup(
    name="procura-courier",
    version="0.1.0",
    description="Procura addon: Courier delivery",
    license="Proprietary",
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    package_data={"procura_courier": ["templates/*.pt", "locale/*/LC_MESSAGES/*", "static/*"]},
    # Mirrors ADDON["depends"] in procura_courier/__init__.py.
    install_requires=["procura>=0.1"],
    entry_points={"procura.addons": ["courier = procura_courier"]},
)
