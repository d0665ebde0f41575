"""Runs moto's server on 127.0.0.1 for the AWS adapter tests, on a free port it prints as
"READY <port>", and stops it when stdin closes, i.e. when the test process that started it ends,
however it ends. The tests start it themselves; nothing is left running afterwards.

DynamoDB requests are served one at a time: moto applies an update as read-modify-write without
a lock, so concurrent ADDs to one item could be lost, while DynamoDB itself applies each request
atomically. Other services (SQS long polls in particular) stay concurrent.

Transactions roll back from a backup of the items they name rather than of whole tables (see
item_level_transaction_backups), so their cost does not grow with the table."""

import copy
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

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


def item_level_transaction_backups() -> None:
    """moto backs up every table a TransactWriteItems names by deep-copying it, once per item of
    the transaction, to restore it if a part fails: with a few thousand items in the table each
    transaction takes a second and the server grows by gigabytes (the 200-device scenario never
    finished). Here the tables are not copied; the items the transaction names are, and they are
    put back if it fails, which is the same rollback at a cost proportional to the transaction.
    Requests are serialised (atomic_dynamodb), so nothing else sees the half-applied state."""

    class TablesKept:
        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    dynamodb_models.copy = TablesKept
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        backups = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            attrs = op.get("Item") or op.get("Key") or {}
            if table is None or table.hash_key_attr not in attrs:
                continue  # moto reports the malformed request itself
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in attrs:
                    continue
                range_key = DynamoType(attrs[table.range_key_attr])
            before = copy.deepcopy(table.get_item(hash_key, range_key))
            backups.append((table, hash_key, range_key, before))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, before in reversed(backups):
                if range_key is None:
                    table.items.pop(hash_key, None)
                    if before is not None:
                        table.items[hash_key] = before
                else:
                    table.items[hash_key].pop(range_key, None)
                    if before is not None:
                        table.items[hash_key][range_key] = before
            raise

    DynamoDBBackend.transact_write_items = transact_write_items


def main() -> None:
    item_level_transaction_backups()
    app = atomic_dynamodb(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY {server.server_port}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
