"""Canonical JSON: the same content always serializes to the same bytes."""

import json
from typing import Any


def canonical_json(document: Any) -> bytes:
    """Serialize a document with sorted keys, fixed separators and a final newline."""
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
