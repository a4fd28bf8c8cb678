"""The egg `scrapyd-deploy` uploads to Scrapyd: the ``alanews`` package and its data files.

Scrapyd runs a job from the egg alone (no checkout on the node), so every file under
``alanews/`` ships: the modules, and any data file (``*.json``, ...) found there, listed
by walking the tree rather than by hand. Runtime data is read with ``importlib.resources``
/ ``pkgutil.get_data`` (the egg is a zip file: ``open(Path(__file__).parent / ...)`` fails).
Dependencies are not bundled: the node installs requirements.txt.
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
PACKAGE = "alanews"
NOT_DATA = {".py", ".pyc", ".pyo"}


def package_data(package: str) -> list[str]:
    """Every non-Python file under ``package``, relative to it (caches excluded)."""
    root = HERE / package
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in NOT_DATA
    )


setup(
    name=PACKAGE,
    version="1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    package_data={PACKAGE: package_data(PACKAGE)},
    entry_points={"scrapy": [f"settings = {PACKAGE}.settings"]},
    zip_safe=False,
)
