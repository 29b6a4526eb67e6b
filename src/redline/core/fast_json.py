"""JSON on the per-attempt paths: orjson where it gives the same values, json where not.

A scan parses every response and encodes every request body; the standard
library takes ~30 µs to parse a short chat completion on the build machine,
orjson ~7 µs.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(raw: bytes | str) -> Any:
    """Parse ``raw`` as json would.

    orjson rejects NaN and Infinity, which json accepts, so such a document is
    parsed by json as before (orjson also reads an integer past 64 bits as a
    float; no record or chat completion holds one). Invalid JSON raises a
    ``ValueError``, as json's does.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def dumps_bytes(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON bytes (a request body).

    What orjson cannot encode (a dict with non-string keys, an integer past 64
    bits, an unknown type) goes through json, which encodes what it can and
    raises the ``TypeError`` it raised before.
    """
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value).encode()
