"""The egg `scrapyd-deploy` uploads to Scrapyd: the ``alanews`` package and its data files.

Scrapyd runs a job from the egg alone (no checkout on the node), so it holds the package's
modules and its data files: everything under the data directories of ``DATA_DIRS``. Nothing
else under ``alanews/`` ships: a crawl run from a package directory (``alanews/spiders/``)
leaves feeds, run summaries and JOBDIRs there, which are no part of the project.
Runtime data is read with ``importlib.resources`` / ``pkgutil.get_data`` (the egg is a zip
file: ``open(Path(__file__).parent / ...)`` fails). Dependencies are not bundled: the node
installs requirements.txt.
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
PACKAGE = "alanews"
# The package's data directories, relative to it: JSON Schema of the items (alanews/validation.py).
DATA_DIRS = ("schema",)


def package_data(package: str) -> list[str]:
    """Every file under ``package``'s data directories, relative to it (caches excluded)."""
    root = HERE / package
    return sorted(
        path.relative_to(root).as_posix()
        for directory in DATA_DIRS
        for path in (root / directory).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


setup(
    name=PACKAGE,
    version="1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    package_data={PACKAGE: package_data(PACKAGE)},
    entry_points={"scrapy": [f"settings = {PACKAGE}.settings"]},
    zip_safe=False,
)
