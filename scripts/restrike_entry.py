"""The program PyInstaller freezes (scripts/package): `restrike` and its child processes.

A frozen program has no Python interpreter to run `python -m MODULE` with: the station
starts its UDP receiver as `sys.executable -m restrike.ingest._child ...`, and there
`sys.executable` is this program. So `-m MODULE ARGS` runs that module of the bundle,
anything else is the `restrike` command line.
"""

import runpy
import sys


def _main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    from restrike.cli import main

    main()


if __name__ == "__main__":
    _main()
