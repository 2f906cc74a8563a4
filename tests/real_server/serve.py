"""Run llama.cpp's HTTP server (the xllamacpp wheel) on 127.0.0.1 until SIGTERM, for the real-server check.

    python serve.py --model M.gguf --ready FILE [--ctx N] [--parallel N] [--api-key KEY]

Picks a free port, starts the server with /metrics on, waits for /health to answer 200 and writes the base URL
(http://127.0.0.1:PORT) to FILE. The server's log (a line per task it starts, and one per request refused for its key) goes to stderr.
The key is read from the environment variable REAL_SERVER_API_KEY when --api-key-env names it, never printed.
"""

import argparse
import os
import signal
import socket
import sys
import time
import urllib.request

import xllamacpp


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--ctx", type=int, default=8192, help="context of each slot")
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--api-key-env", default=None)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    p = xllamacpp.CommonParams()
    p.model.path = args.model
    p.n_parallel = args.parallel
    p.n_ctx = args.ctx * args.parallel
    p.port = free_port()
    p.endpoint_metrics = True
    p.use_jinja = True
    p.verbosity = 3
    p.cpuparams.n_threads = args.threads
    p.cpuparams_batch.n_threads = args.threads
    # No busy-waiting between decodes: the machine is shared with musegen (and, on a laptop, with everything else).
    p.cpuparams.poll = 0
    p.cpuparams_batch.poll = 0
    if args.api_key_env:
        p.api_keys = [os.environ[args.api_key_env]]
    server = xllamacpp.Server(p)
    base = f"http://127.0.0.1:{p.port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            print(f"serve.py: {base}/health never answered 200", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.1)
    tmp = args.ready + ".tmp"
    with open(tmp, "w") as f:
        f.write(base)
    os.replace(tmp, args.ready)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.2)
    del server


if __name__ == "__main__":
    main()
