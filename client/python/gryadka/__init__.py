"""Python client of Gryadka, a linearizable replicated key-value store (gryadka.v1.KV).

    from gryadka import Client
    with Client(["127.0.0.1:8080", "127.0.0.1:8081"]) as kv:
        kv.put("greeting", b"hello")
        print(kv.get("greeting").record)

``gryadka.pb`` is the generated kv.proto module, for building ChangeOp / QueryOp messages for
Client.change_query. See docs/clients.md.
"""

from gryadka._gen import kv_pb2 as pb
from gryadka.client import Client
from gryadka.rendezvous import Rendezvous, hash64
from gryadka.types import (ChangeQueryResult, ChangeResult, GetResult, GryadkaError,
                           IncrementResult, Record, TlsOptions)

__all__ = ["Client", "ChangeQueryResult", "ChangeResult", "GetResult", "GryadkaError",
           "IncrementResult", "Record", "Rendezvous", "TlsOptions", "hash64", "pb"]
__version__ = "0.1.0"
