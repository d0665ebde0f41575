"""Runs moto's server on 127.0.0.1 for the AWS adapter tests, on a free port it prints as
"READY <port>", and stops it when stdin closes, i.e. when the test process that started it ends,
however it ends. The tests start it themselves; nothing is left running afterwards."""

import socket
import sys

from moto.server import ThreadedMotoServer


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"READY {port}", flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
