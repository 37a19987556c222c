"""Entry point: `python -m tl_torch_engine JOBDIR`, or this file's path under torchrun."""

import os
import sys

if __package__ in (None, ""):
    # run as a script (torchrun takes a path): the package and the bridge sit beside each other
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.dirname(here))
    from tl_torch_engine.engine import main
else:
    from .engine import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
