"""The `beart` command's entry point: defers the Auto API registration of `import beart` (see `beart.register`), so
that the command starts without loading torch and transformers' models, then runs `beart.cli.main`."""

import os
import sys


def main() -> int:
    os.environ["BEART_DEFER_REGISTRATION"] = "1"
    from beart.cli import main as beart_main

    return beart_main()


if __name__ == "__main__":
    sys.exit(main())
