"""The lottery protocol ``housing-lottery/v1`` (SPEC §6) and its published files.

Standard library only and free of Flask, so that the models, the services, the benchmarks and
anyone reading the code can use it alone. ``scripts/verify_lottery.py`` is a second,
deliberately separate copy of the same algorithm; ``tests/allocation/test_lottery_protocol.py``
holds the test vector both must reproduce. ``docs/lottery.md`` describes the protocol.

1. ``S`` = 32 random bytes; the commitment ``C = SHA-256(S)`` is published with the plan.
2. The pool of eligible 登记编号 is canonicalised (each number NFC-normalised and stripped,
   empty ones dropped, duplicates removed, sorted by code point, joined with ``"\\n"``, no
   trailing newline, UTF-8); the list hash is ``H = SHA-256(those bytes)``.
3. At the public draw ``S`` is revealed and the public entropy ``E`` (digits drawn in public) is
   entered; it is used as UTF-8 exactly as given (the caller strips it before storing).
4. ``seed = SHA-256(len(f) || f ...)`` over the fields ``"housing-lottery/v1"``, ``C``, ``H``,
   ``S``, ``E``, each length 4 bytes big-endian.
5. The ranking is a Durstenfeld shuffle of the sorted list: for ``i`` from ``n-1`` down to 1 an
   index ``j`` in ``[0, i]`` is read from the byte stream ``HMAC-SHA256(seed, counter)`` (counter
   8 bytes big-endian, 0, 1, 2 ...) as the fewest whole bytes holding ``i.bit_length()`` bits,
   big-endian, masked to that many bits; values above ``i`` are rejected and drawn again.
   ``a[i]`` and ``a[j]`` are swapped; the list is then the ranking, rank 1 first.

Priority groups are separate pools: each has its own list hash, hence its own seed, and they are
drawn in a published order with the same ``S`` and ``E``.

Validation errors raise :class:`ProtocolError` (a ``ValueError``) with an English message; the
callers translate them for the user.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import io
import json
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Iterable

VERSION = "housing-lottery/v1"
SECRET_BYTES = 32

# Characters a registration number may not contain once stripped: control characters and
# line/paragraph separators would make the newline-joined published list ambiguous or
# display differently from what it hashes to.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Group codes (and the plan code in the zip's name) become file names.
_FILE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
# HMAC blocks made per refill of the byte stream: fewer Python-level calls, same stream.
_BLOCKS_PER_REFILL = 64
# Fixed zip entry time: the same bundle always zips to the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ProtocolError(ValueError):
    """Input the protocol refuses; the message is English, callers translate it."""


@dataclass(frozen=True)
class Draw:
    """One pool drawn: everything published about it (``pool`` is the canonical list)."""

    commitment: bytes
    list_hash: bytes
    seed: bytes
    pool: list[str]
    ranking: list[str]


# --------------------------------------------------------------------------- the protocol


def new_secret() -> bytes:
    """The secret ``S``: 32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(SECRET_BYTES)


def commitment(secret: bytes) -> bytes:
    """``C = SHA-256(S)`` (32 raw bytes)."""
    return hashlib.sha256(_bytes32(secret, "secret")).digest()


def check_secret(secret: bytes, commitment: bytes) -> bool:
    """Whether the revealed ``S`` opens the published ``C`` (constant-time comparison).

    Values of the wrong length simply do not match; values that are not bytes are refused.
    """
    secret = _as_bytes(secret, "secret")
    commitment = _as_bytes(commitment, "commitment")
    if len(secret) != SECRET_BYTES or len(commitment) != 32:
        return False
    return hmac.compare_digest(hashlib.sha256(secret).digest(), commitment)


def canonical_pool(numbers: Iterable[str]) -> list[str]:
    """The canonical list: NFC, stripped, empty ones dropped, unique, sorted by code point."""
    if isinstance(numbers, (str, bytes, bytearray)):
        raise ProtocolError("the pool must be a list of registration numbers, not a single string")
    unique = set()
    for raw in numbers:
        if not isinstance(raw, str):
            raise ProtocolError(f"registration number {raw!r} is not a string")
        number = unicodedata.normalize("NFC", raw).strip()
        if not number:
            continue
        if _FORBIDDEN.search(number):
            raise ProtocolError(f"registration number {number!r} contains a control character or line break")
        unique.add(number)
    return sorted(unique)


def pool_bytes(numbers: Iterable[str]) -> bytes:
    """The canonical bytes of a pool (what is published and hashed)."""
    return _join(canonical_pool(numbers))


def pool_hash(numbers: Iterable[str]) -> bytes:
    """The list hash ``H`` = SHA-256 of the canonical bytes (32 raw bytes)."""
    return hashlib.sha256(pool_bytes(numbers)).digest()


def derive_seed(commitment: bytes, list_hash: bytes, secret: bytes, entropy: str) -> bytes:
    """``seed`` = SHA-256 over the length-prefixed version tag, C, H, S and E (32 raw bytes).

    Pure arithmetic: it does not check that ``S`` opens ``C`` (see :func:`check_secret`).
    """
    fields = [
        VERSION.encode("ascii"),
        _bytes32(commitment, "commitment"),
        _bytes32(list_hash, "list hash"),
        _bytes32(secret, "secret"),
        _entropy_bytes(entropy),
    ]
    return hashlib.sha256(_length_prefixed(fields)).digest()


def rank(canonical: list[str], seed: bytes) -> list[str]:
    """The ranking (rank 1 first) of a canonical pool under ``seed``; the input is not changed.

    Refuses a list that is not canonical: the protocol shuffles the sorted list, and a caller
    passing anything else would publish a ranking nobody can recompute.
    """
    seed = _bytes32(seed, "seed")
    items = list(canonical)
    if canonical_pool(items) != items:
        raise ProtocolError("the pool is not canonical (NFC, stripped, non-empty, unique, sorted)")
    return _shuffle(items, seed)


def draw(secret: bytes, entropy: str, numbers: Iterable[str]) -> Draw:
    """Draw one pool: canonicalise it, derive its seed from ``S``, ``E`` and its hash, rank it."""
    secret = _bytes32(secret, "secret")
    c = hashlib.sha256(secret).digest()
    pool = canonical_pool(numbers)
    h = hashlib.sha256(_join(pool)).digest()
    seed = derive_seed(c, h, secret, entropy)
    return Draw(commitment=c, list_hash=h, seed=seed, pool=pool, ranking=_shuffle(list(pool), seed))


def _shuffle(items: list[str], seed: bytes) -> list[str]:
    """Durstenfeld shuffle in place driven by the HMAC-SHA256(seed, counter) byte stream."""
    n = len(items)
    if n < 2:
        return items
    digest = hmac.digest
    from_bytes = int.from_bytes
    counter = 0
    buf = b""
    pos = 0
    for i in range(n - 1, 0, -1):
        bits = i.bit_length()
        width = (bits + 7) >> 3
        mask = (1 << bits) - 1
        while True:
            end = pos + width
            if end > len(buf):
                # Keep the unread tail, append the next blocks: the stream is their concatenation.
                fresh = b"".join(digest(seed, c.to_bytes(8, "big"), "sha256")
                                 for c in range(counter, counter + _BLOCKS_PER_REFILL))
                counter += _BLOCKS_PER_REFILL
                buf = buf[pos:] + fresh
                pos, end = 0, width
            if width == 1:
                j = buf[pos] & mask
            else:
                j = from_bytes(buf[pos:end], "big") & mask
            pos = end
            if j <= i:
                break
        items[i], items[j] = items[j], items[i]
    return items


def _length_prefixed(fields: Iterable[bytes]) -> bytes:
    out = bytearray()
    for field in fields:
        if len(field) > 0xFFFFFFFF:
            raise ProtocolError("a seed field is longer than 4 GiB")
        out += len(field).to_bytes(4, "big")
        out += field
    return bytes(out)


def _join(canonical: list[str]) -> bytes:
    return "\n".join(canonical).encode("utf-8")


def _as_bytes(value, what: str) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise ProtocolError(f"{what} must be bytes, not {type(value).__name__}")


def _bytes32(value, what: str) -> bytes:
    value = _as_bytes(value, what)
    if len(value) != 32:
        raise ProtocolError(f"{what} must be 32 bytes, not {len(value)}")
    return value


def _entropy_bytes(entropy) -> bytes:
    if not isinstance(entropy, str):
        raise ProtocolError(f"public entropy E must be text, not {type(entropy).__name__}")
    if not entropy:
        raise ProtocolError("public entropy E must not be empty")
    try:
        return entropy.encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError("public entropy E is not valid Unicode text") from None


# --------------------------------------------------------------------------- published files


def bundle_filename(plan_code: str) -> str:
    """The name to give the zipped bundle of a plan (the manifest's ``verify`` line uses it)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", str(plan_code)).strip("._") or "plan"
    return f"lottery-{safe}.zip"


def bundle(plan_code: str, groups: list[dict], commitment: bytes, secret: bytes | None = None,
           entropy: str | None = None, drawn_at=None, *, verify: bool = True) -> dict[str, bytes]:
    """The published files of a plan's lottery, by file name.

    ``groups``: ``{"code", "name", "order", "pool", "ranking"}`` each, ``pool`` None before the
    pools are frozen, ``ranking`` None before the draw. ``commitment`` and ``secret`` are raw
    bytes (or 64 hex digits). The state is ``committed`` until every pool is frozen, ``frozen``
    until ``secret`` and ``entropy`` are given, then ``drawn`` (every group needs its ranking).
    ``drawn_at`` is a datetime or an ISO text, only for a drawn bundle.

    Pools are written canonicalised. With ``verify`` (the default) a drawn bundle is checked
    before it is returned: ``S`` opens ``C`` and each ranking is recomputed (well under a second
    for 100,000 numbers); without it only that each ranking is a permutation of its pool.
    """
    if not isinstance(plan_code, str) or not plan_code.strip():
        raise ProtocolError("the plan code must be a non-empty text")
    c = _bytes32(_hex_or_bytes(commitment, "commitment"), "commitment")
    if (secret is None) != (entropy is None):
        raise ProtocolError("the secret S and the public entropy E are published together")
    drawn = secret is not None
    if drawn:
        s = _bytes32(_hex_or_bytes(secret, "secret"), "secret")
        e = _entropy_bytes(entropy)
        if not check_secret(s, c):
            raise ProtocolError("the secret S does not open the commitment C")
    if drawn_at is not None and not drawn:
        raise ProtocolError("drawn_at is only given for a drawn lottery")

    normalised = _check_groups(groups)
    frozen = bool(normalised) and all(g["pool"] is not None for g in normalised)
    if drawn and not frozen:
        raise ProtocolError("a lottery is drawn only after every pool is frozen")
    state = "drawn" if drawn else ("frozen" if frozen else "committed")

    files: dict[str, bytes] = {"commitment.txt": (c.hex() + "\n").encode("ascii")}
    listed = []
    for group in normalised:
        entry = {"code": group["code"], "name": group["name"], "order": group["order"],
                 "pool_file": None, "pool_sha256": None, "pool_size": None, "seed": None, "ranking_file": None}
        ranking = group["ranking"]
        if group["pool"] is None:
            if ranking is not None:
                raise ProtocolError(f"group {group['code']}: a ranking without a frozen pool")
        else:
            pool = canonical_pool(group["pool"])
            data = _join(pool)
            h = hashlib.sha256(data).digest()
            stem = f"{group['order']}-{group['code']}"
            entry.update(pool_file=f"pool-{stem}.txt", pool_sha256=h.hex(), pool_size=len(pool))
            files[entry["pool_file"]] = data
            if drawn:
                if ranking is None:
                    raise ProtocolError(f"group {group['code']}: no ranking in a drawn lottery")
                ranking = _text_list(ranking, f"group {group['code']}: ranking")
                seed = derive_seed(c, h, s, entropy)
                if verify:
                    if ranking != _shuffle(list(pool), seed):
                        raise ProtocolError(f"group {group['code']}: the ranking is not the one the protocol gives")
                elif sorted(ranking) != pool:
                    raise ProtocolError(f"group {group['code']}: the ranking is not a permutation of the pool")
                entry.update(seed=seed.hex(), ranking_file=f"ranking-{stem}.txt")
                files[entry["ranking_file"]] = "\n".join(ranking).encode("utf-8")
            elif ranking is not None:
                raise ProtocolError(f"group {group['code']}: a ranking before the draw")
        listed.append(entry)

    if drawn:
        files["secret.txt"] = (s.hex() + "\n").encode("ascii")
        files["entropy.txt"] = e
    manifest = {
        "protocol": VERSION,
        "plan": plan_code,
        "commitment": c.hex(),
        "state": state,
        "drawn_at": _iso(drawn_at),
        "groups": listed,
        "secret_file": "secret.txt" if drawn else None,
        "entropy_file": "entropy.txt" if drawn else None,
        "verify": f"python3 scripts/verify_lottery.py {bundle_filename(plan_code)}",
    }
    files["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
    return files


def zip_bundle(files: dict[str, bytes]) -> bytes:
    """The files zipped at the top level, sorted, with fixed timestamps (same input, same bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, files[name])
    return out.getvalue()


def _check_groups(groups) -> list[dict]:
    if not isinstance(groups, (list, tuple)) or not groups:
        raise ProtocolError("a lottery has at least one group")
    seen_codes, seen_orders, out = set(), set(), []
    for group in groups:
        if not isinstance(group, dict):
            raise ProtocolError("each group is a dict with code, name, order, pool and ranking")
        code, name, order = group.get("code"), group.get("name"), group.get("order")
        if not isinstance(code, str) or not _FILE_CODE.match(code):
            raise ProtocolError(f"group code {code!r} must be ASCII letters, digits, '.', '_' or '-'")
        if not isinstance(name, str) or not name.strip():
            raise ProtocolError(f"group {code}: the name must be a non-empty text")
        if isinstance(order, bool) or not isinstance(order, int):
            raise ProtocolError(f"group {code}: the order must be an integer")
        if code in seen_codes:
            raise ProtocolError(f"group code {code} appears twice")
        if order in seen_orders:
            raise ProtocolError(f"draw order {order} appears twice")
        seen_codes.add(code)
        seen_orders.add(order)
        out.append({"code": code, "name": name, "order": order,
                    "pool": group.get("pool"), "ranking": group.get("ranking")})
    return sorted(out, key=lambda g: g["order"])


def _text_list(values, what: str) -> list[str]:
    if isinstance(values, (str, bytes, bytearray)):
        raise ProtocolError(f"{what} must be a list of registration numbers, not a single string")
    values = list(values)
    if not all(isinstance(v, str) for v in values):
        raise ProtocolError(f"{what} must contain only texts")
    return values


def _hex_or_bytes(value, what: str) -> bytes:
    if isinstance(value, str):
        try:
            return bytes.fromhex(value.strip())
        except ValueError:
            raise ProtocolError(f"{what} is not hexadecimal") from None
    return _as_bytes(value, what)


def _iso(value):
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ProtocolError("drawn_at must be a datetime or an ISO text")
