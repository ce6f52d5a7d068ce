"""Malformed answers for fuzzing AWS clients: a successful response's body, broken one way.

A fault rule with ``mangle_rate`` sends some answers through :func:`mangle` after the request
ran. Each mutation is a way a proxy, a truncated connection, a buggy service or an attacker
controlling an endpoint can break a body the client then has to read: cut short, bytes flipped,
invalid UTF-8, nested past any sane depth, grown to megabytes, an XML entity bomb, numbers too
large for any integer type, values of the wrong type, elements dropped or repeated, an HTML
page. A client must answer each with an error that names the call, never a crash, a hang or an
unbounded allocation. The mutation is chosen and applied with the rule's seeded generator, so a
failing case replays from its seed; its name goes into the request log (``mangled``).
"""

from __future__ import annotations

import json
import random
import re
from typing import Callable

# How deep the nesting mutations go: far past the depth any AWS answer has (a dozen levels).
DEPTH = 20_000
# What the oversized mutations add: far past any one page of an AWS answer, well under the
# client's response bound, so the client has to parse it rather than refuse it unread.
OVERSIZE_BYTES = 8 * 1024 * 1024

_ELEMENT = re.compile(rb"<([A-Za-z][\w.-]*)>([^<]*)</\1>")
_NUMBER = re.compile(rb"(?<![\w.])\d+(?![\w.])")


def _truncate(body: bytes, rng: random.Random) -> bytes:
    return body[: rng.randrange(0, max(1, len(body)))]


def _flip_bytes(body: bytes, rng: random.Random) -> bytes:
    out = bytearray(body)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _invalid_utf8(body: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(0, len(body) + 1)
    return body[:at] + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x00"]) + body[at:]


def _deep_nesting(body: bytes, rng: random.Random) -> bytes:
    if body.lstrip().startswith(b"<"):
        return b"<a>" * DEPTH + b"x" + b"</a>" * DEPTH
    return b"[" * DEPTH + b"1" + b"]" * DEPTH


def _oversized_value(body: bytes, rng: random.Random) -> bytes:
    """One value grown to megabytes, inside an otherwise valid document."""
    filler = b"A" * OVERSIZE_BYTES
    match = _ELEMENT.search(body)
    if match:
        return body[: match.start(2)] + filler + body[match.end(2):]
    try:
        doc = json.loads(body)
    except ValueError:
        return body + filler
    return json.dumps({"padding": filler.decode(), **doc} if isinstance(doc, dict) else [filler.decode(), doc]).encode()


def _many_elements(body: bytes, rng: random.Random) -> bytes:
    """The first element repeated 200,000 times: a list far longer than any page."""
    match = _ELEMENT.search(body)
    if match:
        return body[: match.start()] + match.group(0) * 200_000 + body[match.end():]
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    return json.dumps({**doc, "padding": [{"k": "v"}] * 200_000} if isinstance(doc, dict) else doc).encode()


def _entity_bomb(body: bytes, rng: random.Random) -> bytes:
    """A "billion laughs" in XML's own syntax: ten entities of ten references each."""
    entities = ['<!ENTITY e0 "lol">'] + [f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10)]
    doctype = f'<?xml version="1.0"?><!DOCTYPE r [{"".join(entities)}]>'.encode()
    match = _ELEMENT.search(body)
    if body.lstrip().startswith(b"<") and match:
        stripped = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", body)
        match = _ELEMENT.search(stripped)
        return doctype + stripped[: match.start(2)] + b"&e9;" + stripped[match.end(2):]
    return doctype + b"<r>&e9;</r>"


def _huge_numbers(body: bytes, rng: random.Random) -> bytes:
    big = rng.choice([b"99999999999999999999999999999999", b"-1", b"1e309", b"9223372036854775808", b"0x10"])
    return _NUMBER.sub(big, body)


def _wrong_types(body: bytes, rng: random.Random) -> bytes:
    """Every JSON value, or every XML leaf's text, replaced by a value of another type."""
    try:
        doc = json.loads(body)
    except ValueError:
        replacement = rng.choice([b"", b"<nested><deeper/></nested>", b"true", b"-0.5"])
        return _ELEMENT.sub(lambda m: b"<" + m.group(1) + b">" + replacement + b"</" + m.group(1) + b">", body)
    def swap(value: object) -> object:
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return {"not": "a list"} if rng.random() < 0.5 else [swap(v) for v in value]
        return rng.choice([None, 12345678901234567890, -1.5, True, "text", [], {}])

    return json.dumps(swap(doc)).encode()


def _drop_elements(body: bytes, rng: random.Random) -> bytes:
    matches = list(_ELEMENT.finditer(body))
    if matches:
        keep = [m for m in matches if rng.random() < 0.5]
        out, last = bytearray(), 0
        for m in matches:
            if m not in keep:
                out += body[last: m.start()]
                last = m.end()
        return bytes(out + body[last:])
    try:
        doc = json.loads(body)
    except ValueError:
        return body

    def drop(value: object) -> object:
        if isinstance(value, dict):
            return {k: drop(v) for k, v in value.items() if rng.random() < 0.6}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    return json.dumps(drop(doc)).encode()


def _empty(body: bytes, rng: random.Random) -> bytes:
    return rng.choice([b"", b" ", b"null", b"{}", b"[]", b"<?xml version=\"1.0\"?>"])


def _html(body: bytes, rng: random.Random) -> bytes:
    return b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": _truncate,
    "flip_bytes": _flip_bytes,
    "invalid_utf8": _invalid_utf8,
    "deep_nesting": _deep_nesting,
    "oversized_value": _oversized_value,
    "many_elements": _many_elements,
    "entity_bomb": _entity_bomb,
    "huge_numbers": _huge_numbers,
    "wrong_types": _wrong_types,
    "drop_elements": _drop_elements,
    "empty": _empty,
    "html": _html,
}


def mangle(body: bytes, rng: random.Random, only: str | None = None) -> tuple[str, bytes]:
    """The name of the mutation chosen (``only``, if given) and the body it made."""
    name = only or rng.choice(sorted(MUTATIONS))
    return name, MUTATIONS[name](body, rng)
