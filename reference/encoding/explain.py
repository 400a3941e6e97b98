"""Annotated hex dumps of encodings: the worked examples of spec/encoding.md.

Why generate them: an example typed by hand drifts from the code; these are
produced from the decoder's own record of which bytes it read for which field
(so the comment on each line is what the decoder thinks the bytes are), and a
test re-renders every example in the spec and compares.
"""

from __future__ import annotations

import json
import re

from altledger.reference.encoding.codec import Span
from altledger.reference.encoding.jsonform import value_to_json
from altledger.reference.encoding.values import VALUE_TYPES, Value, decode_spans

BYTES_PER_LINE = 32
COMMENT_COLUMN = 2 * BYTES_PER_LINE + 2
PART_LABELS = {"length": "length", "count": "count", "flag": "option flag", "bits": "bitmap"}


def span_label(span: Span) -> str:
    """What a run of bytes is, e.g. ``justify.signers count`` or ``tag 0x05 QuorumCertificate``."""
    if span.part == "tag":
        tag = span.data[0]
        return f"{span.path} 0x{tag:02x} {VALUE_TYPES[tag].__name__}"
    suffix = PART_LABELS.get(span.part, span.part)
    return f"{span.path} {suffix}".strip() if suffix else span.path


def hex_lines(span: Span) -> list[str]:
    """One or more lines of lowercase hex; the label goes on the first line only."""
    if not span.data:
        return []
    chunks = [span.data[i:i + BYTES_PER_LINE] for i in range(0, len(span.data), BYTES_PER_LINE)]
    label = span_label(span)
    lines = [f"{chunks[0].hex():<{COMMENT_COLUMN}}# {label}"]
    lines += [chunk.hex() for chunk in chunks[1:]]
    return lines


def annotated_hex(data: bytes) -> str:
    """The annotated dump of a canonical encoding (one field per line)."""
    _, spans = decode_spans(data)
    return "\n".join(line for span in spans for line in hex_lines(span))


def hex_from_annotated(text: str) -> bytes:
    """Inverse of :func:`annotated_hex`: drop ``#`` comments and whitespace, read hex."""
    digits = "".join(line.split("#", 1)[0].strip() for line in text.splitlines())
    return bytes.fromhex(digits)


def json_text(data: object) -> str:
    """Indented JSON, with short arrays of numbers kept on one line."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return re.sub(r"\[\s*(\d+(?:,\s*\d+)*)\s*\]", lambda m: "[" + re.sub(r",\s*", ", ", m.group(1)) + "]", text)


def render_example(value: Value) -> str:
    """The markdown of one worked example: marker, JSON field values, annotated hex."""
    data = value.encode()
    values = json_text(value_to_json(value))
    return (f"<!-- worked-example: {type(value).__name__} -->\n"
            f"```json\n{values}\n```\n\n"
            f"```text\n{annotated_hex(data)}\n```\n")
