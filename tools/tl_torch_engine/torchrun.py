"""torchrun (torch.distributed.run), usable with every torch the engine supports.

--standalone rendezvouses on a free local port rather than torchrun's fixed
29400, so two runs on one machine (two experiments, or a test beside a run)
do not take each other's port.

PyTorch 1.13 under Python 3.11 cannot start workers: its parser of
--redirects/--tee looks the value up by iterating the Std flag, and Python 3.11
no longer yields the zero member (Std.NONE), so the default "0" becomes None
and start_processes fails. Where that happens, None is read as Std.NONE; the
arguments are torchrun's own.
"""

import socket
import sys
import uuid


def _fix_std_none():
    from torch.distributed.elastic import multiprocessing as mp
    from torch.distributed.elastic.multiprocessing import api

    if api.Std.from_str("0") is not None:
        return
    original = api.to_map

    def to_map(val_or_map, local_world_size):
        if val_or_map is None:
            val_or_map = api.Std.NONE
        elif isinstance(val_or_map, dict):
            val_or_map = {k: (api.Std.NONE if v is None else v) for k, v in val_or_map.items()}
        return original(val_or_map, local_world_size)

    api.to_map = to_map
    mp.to_map = to_map


def _standalone_on_free_port(argv):
    if "--standalone" not in argv:
        return argv
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    i = argv.index("--standalone")
    return argv[:i] + ["--rdzv_backend", "c10d", "--rdzv_endpoint", f"localhost:{port}",
                       "--rdzv_id", str(uuid.uuid4())] + argv[i + 1:]


if __name__ == "__main__":
    _fix_std_none()
    sys.argv = _standalone_on_free_port(sys.argv)
    from torch.distributed.run import main

    sys.exit(main())
