"""Build hooks for the server wheel (the metadata is in pyproject.toml next to this file).

``ultrasound_consult`` goes in with its ``__init__`` only (the version) besides its pure
``protocol`` subpackage: the app's modules beside it would pull in Qt and media.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent

# setuptools reuses build/lib between builds: a module deleted or excluded since the last
# build would still ship. Each build starts clean.
shutil.rmtree(HERE / "build" / "lib", ignore_errors=True)
(HERE / "build").mkdir(exist_ok=True)


class ServerModulesOnly(build_py):
    def find_package_modules(self, package: str, package_dir: str) -> list:
        modules = super().find_package_modules(package, package_dir)
        if package == "ultrasound_consult":
            return [m for m in modules if m[1] == "__init__"]
        return modules


setup(
    cmdclass={"build_py": ServerModulesOnly},
    # The metadata folder stays out of the repository root, where it would make the
    # server look installed to anything importing from a checkout.
    options={"egg_info": {"egg_base": str(HERE / "build")}},
)
