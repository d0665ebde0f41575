"""Runs moto's server on 127.0.0.1 for the AWS adapter tests, on a free port it prints as
"READY <port>", and stops it when stdin closes, i.e. when the test process that started it ends,
however it ends. The tests start it themselves; nothing is left running afterwards.

DynamoDB requests are served one at a time: moto applies an update as read-modify-write without
a lock, so concurrent ADDs to one item could be lost, while DynamoDB itself applies each request
atomically. Other services (SQS long polls in particular) stay concurrent."""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


class QuietHandler(MotoRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request drowns the test output
        pass


def atomic_dynamodb(app):
    lock = threading.Lock()

    def serve(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
            with lock:
                return list(app(environ, start_response))
        return app(environ, start_response)

    return serve


def main() -> None:
    app = atomic_dynamodb(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY {server.server_port}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
