"""The bundle's entry point: ``ultrasound-consult`` with no Python installed.

The app starts helper processes as ``sys.executable -m MODULE`` (the demo's local
signalling server, the benchmark's roles). In a frozen bundle ``sys.executable`` is this
program, so the few modules the app runs that way are accepted here as well.
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys

#: Packages whose modules run as ``sys.executable -m MODULE`` (the demo's server, the
#: benchmark's roles); nothing outside them does.
RUNNABLE_PACKAGES = ("signaling_server", "ultrasound_consult")


def main() -> int:
    multiprocessing.freeze_support()
    if (
        len(sys.argv) >= 3
        and sys.argv[1] == "-m"
        and sys.argv[2].split(".")[0] in RUNNABLE_PACKAGES
    ):
        module = sys.argv[2]
        sys.argv = [module, *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from ultrasound_consult.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
