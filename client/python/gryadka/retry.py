"""Which failed calls the client sends again, and how long it waits in between.

The same rule as the C++ client (client/retry.h), following proto/gryadka/v1/kv.proto:

* UNAVAILABLE carrying the trailing metadata ``gryadka-nothing-written`` (the proposer found no
  acceptor quorum and wrote nothing), or failing before the request left (no connection): any
  call may be retried, on the key's next target.
* any other UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED: a change's outcome is unknown, so only
  pure reads (get, change_query with the read op) are retried.
* anything else is returned to the caller as is.

Thread-safety: the functions are pure.
"""

from __future__ import annotations

import random
from typing import Iterable, Optional, Tuple

import grpc

#: Trailing metadata key the proposer sets on an UNAVAILABLE it produced itself
#: (proto/gryadka/v1/wire.h, kNothingWrittenMetadataKey).
NOTHING_WRITTEN_METADATA_KEY = "gryadka-nothing-written"

# gRPC's message when no connection to the target could be made (nothing was sent).
_NO_CONNECTION_PREFIX = "failed to connect to all addresses"


def nothing_written(code: grpc.StatusCode, details: Optional[str],
                    trailing_metadata: Optional[Iterable[Tuple[str, object]]]) -> bool:
    """True when an UNAVAILABLE answer is known to have written nothing."""
    if code != grpc.StatusCode.UNAVAILABLE:
        return False
    for key, _ in trailing_metadata or ():
        if key == NOTHING_WRITTEN_METADATA_KEY:
            return True
    return (details or "").startswith(_NO_CONNECTION_PREFIX)


def is_retryable(code: grpc.StatusCode, is_read: bool, was_nothing_written: bool) -> bool:
    """True when a call (a pure read if ``is_read``) that failed with ``code`` may be resent."""
    if code == grpc.StatusCode.UNAVAILABLE:
        return was_nothing_written or is_read
    if code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED):
        return is_read
    return False


def backoff_ms(retry_index: int, backoff_initial_ms: int, backoff_max_ms: int,
               rng: Optional[random.Random] = None) -> int:
    """Pause before retry ``retry_index`` (0 = first): uniform in [cap/2, cap] milliseconds,
    cap = min(backoff_max_ms, backoff_initial_ms * 2**retry_index).

    REQUIRES: 0 < backoff_initial_ms <= backoff_max_ms, retry_index >= 0.
    """
    cap_ms = backoff_initial_ms
    for _ in range(retry_index):
        if cap_ms >= backoff_max_ms:
            break
        cap_ms *= 2
    cap_ms = min(cap_ms, backoff_max_ms)
    floor_ms = cap_ms // 2
    return floor_ms + (rng or random).randint(0, cap_ms - floor_ms)
