"""Inputs for the BLS differential tests (not a test module).

A small pool of real keys and signatures (made once, with blst, because
py_ecc would take seconds) plus Hypothesis strategies that mix them with the
inputs implementations get wrong: the identity in G1/G2, negated keys that
cancel, wrong messages, dropped or extra signers, flipped flag bits,
coordinates >= p, truncated and random bytes.
"""

from __future__ import annotations

from functools import lru_cache

from hypothesis import strategies as st

from altledger.reference.crypto.bls import FIELD_MODULUS, KeyGen, get_backend

INFINITY_G1 = b"\xc0" + bytes(47)
INFINITY_G2 = b"\xc0" + bytes(95)
MESSAGES = [b"", b"block 1", b"block 2", bytes(32)]
POOL_SIZE = 6


@lru_cache(maxsize=None)
def pool() -> tuple[list[int], list[bytes], dict[tuple[int, bytes], bytes]]:
    """(secret keys, public keys, signature of (signer index, message))."""
    blst = get_backend("blst")
    secret_keys = [KeyGen(bytes([i]) * 32) for i in range(1, POOL_SIZE + 1)]
    public_keys = [blst.SkToPk(sk) for sk in secret_keys]
    signatures = {(i, m): blst.Sign(sk, m) for i, sk in enumerate(secret_keys) for m in MESSAGES}
    return secret_keys, public_keys, signatures


def negate(point: bytes) -> bytes:
    """-P: flip the sign flag (valid for every non-identity compressed point)."""
    return bytes([point[0] ^ 0x20]) + point[1:]


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` or a corrupted copy: flags, a bit, x >= p, length, random."""
    kind = draw(st.sampled_from(["same", "flags", "bit", "x_ge_p", "truncate", "extend", "random"]))
    if kind == "same":
        return data
    if kind == "flags":
        return bytes([(data[0] & 0x1F) | draw(st.sampled_from([0x00, 0x20, 0x40, 0x60, 0x80, 0xA0, 0xC0, 0xE0]))]) + data[1:]
    if kind == "bit":
        index = draw(st.integers(0, len(data) - 1))
        return data[:index] + bytes([data[index] ^ (1 << draw(st.integers(0, 7)))]) + data[index + 1:]
    if kind == "x_ge_p":
        # x (the first 48 bytes' low 381 bits) replaced by p + small, keeping the flags.
        x = FIELD_MODULUS + draw(st.integers(0, 2**16))
        head = (x | ((data[0] & 0xE0) << 376)).to_bytes(48, "big")
        return head + data[48:]
    if kind == "truncate":
        return data[:draw(st.integers(0, len(data) - 1))]
    if kind == "extend":
        return data + draw(st.binary(min_size=1, max_size=3))
    return bytes([draw(st.sampled_from([0x80, 0xA0, 0xC0]))]) + draw(st.binary(min_size=len(data) - 1,
                                                                              max_size=len(data) - 1))


def public_key_choices(public_keys: list[bytes]) -> st.SearchStrategy[bytes]:
    base = st.sampled_from(public_keys + [INFINITY_G1] + [negate(pk) for pk in public_keys[:2]])
    return base.flatmap(lambda pk: st.one_of(st.just(pk), mutated(pk)))


@st.composite
def verify_inputs(draw: st.DrawFn) -> tuple[bytes, bytes, bytes]:
    _, public_keys, signatures = pool()
    signer = draw(st.integers(0, POOL_SIZE - 1))
    message = draw(st.sampled_from(MESSAGES))
    signature = draw(st.one_of(
        st.just(signatures[(signer, message)]),                       # honest
        st.builds(lambda i, m: signatures[(i, m)],                    # someone's, on something
                  st.integers(0, POOL_SIZE - 1), st.sampled_from(MESSAGES)),
        st.just(INFINITY_G2),
        mutated(signatures[(signer, message)]),
    ))
    public_key = draw(st.one_of(st.just(public_keys[signer]), public_key_choices(public_keys)))
    if draw(st.booleans()) and public_key == INFINITY_G1:
        signature = INFINITY_G2    # e(O, H) == e(G, O): only KeyValidate stops this
    return public_key, draw(st.one_of(st.just(message), st.binary(max_size=8))), signature


def _aggregate(signatures: list[bytes]) -> bytes:
    return get_backend("blst").Aggregate(signatures) if signatures else INFINITY_G2


@st.composite
def fast_aggregate_inputs(draw: st.DrawFn) -> tuple[list[bytes], bytes, bytes]:
    """Keys of a random subset, its honest aggregate, then one perturbation."""
    _, public_keys, signatures = pool()
    signers = draw(st.lists(st.integers(0, POOL_SIZE - 1), min_size=1, max_size=4))
    message = draw(st.sampled_from(MESSAGES))
    keys = [public_keys[i] for i in signers]
    sigs = [signatures[(i, message)] for i in signers]
    change = draw(st.sampled_from(["none", "infinity_key", "cancelling_keys", "drop_signer",
                                   "extra_key", "other_message", "infinity_sig", "mutate_key",
                                   "mutate_sig", "empty"]))
    signature = _aggregate(sigs)
    if change == "infinity_key":
        keys.insert(draw(st.integers(0, len(keys))), INFINITY_G1)     # blspy accepted this
    elif change == "cancelling_keys":
        keys, signature = [keys[0], negate(keys[0])], INFINITY_G2      # aggregate key = identity
    elif change == "drop_signer" and len(sigs) > 1:
        signature = _aggregate(sigs[1:])
    elif change == "extra_key":
        keys.append(public_keys[draw(st.integers(0, POOL_SIZE - 1))])
    elif change == "other_message":
        message = draw(st.sampled_from(MESSAGES))
    elif change == "infinity_sig":
        signature = INFINITY_G2
    elif change == "mutate_key":
        index = draw(st.integers(0, len(keys) - 1))
        keys[index] = draw(mutated(keys[index]))
    elif change == "mutate_sig":
        signature = draw(mutated(signature))
    elif change == "empty":
        keys = []
    return keys, message, signature


@st.composite
def aggregate_verify_inputs(draw: st.DrawFn) -> tuple[list[bytes], list[bytes], bytes]:
    _, public_keys, signatures = pool()
    signers = draw(st.lists(st.integers(0, POOL_SIZE - 1), min_size=1, max_size=3))
    messages = [draw(st.sampled_from(MESSAGES)) for _ in signers]   # repeats allowed (PoP scheme)
    keys = [public_keys[i] for i in signers]
    signature = _aggregate([signatures[(i, m)] for i, m in zip(signers, messages)])
    change = draw(st.sampled_from(["none", "infinity_key", "swap_message", "mutate_sig",
                                   "length_mismatch", "infinity_sig"]))
    if change == "infinity_key":
        keys[0] = INFINITY_G1
    elif change == "swap_message":
        messages[-1] = draw(st.sampled_from(MESSAGES))
    elif change == "mutate_sig":
        signature = draw(mutated(signature))
    elif change == "length_mismatch":
        messages = messages[:-1]
    elif change == "infinity_sig":
        signature = INFINITY_G2
    return keys, messages, signature


@st.composite
def signature_lists(draw: st.DrawFn) -> list[bytes]:
    _, _, signatures = pool()
    choices = st.one_of(st.sampled_from(sorted(signatures.values()) + [INFINITY_G2]),
                        st.sampled_from(sorted(signatures.values())).flatmap(mutated))
    return draw(st.lists(choices, max_size=4))


def g1_encodings() -> st.SearchStrategy[bytes]:
    _, public_keys, _ = pool()
    return public_key_choices(public_keys)


def g2_encodings() -> st.SearchStrategy[bytes]:
    _, _, signatures = pool()
    return st.sampled_from(sorted(signatures.values()) + [INFINITY_G2]).flatmap(
        lambda s: st.one_of(st.just(s), mutated(s), st.just(negate(s))))


@st.composite
def x_only_encodings(draw: st.DrawFn, group: str) -> bytes:
    """Flag-correct encodings with a random reduced x: they pass the byte rules,
    so only each backend's own curve and subgroup checks decide."""
    sign = draw(st.sampled_from([0x80, 0xA0]))
    if group == "G1":
        x = draw(st.integers(0, FIELD_MODULUS - 1))
        return (x | (sign << 376)).to_bytes(48, "big")
    x_im, x_re = draw(st.integers(0, FIELD_MODULUS - 1)), draw(st.integers(0, FIELD_MODULUS - 1))
    return (x_im | (sign << 376)).to_bytes(48, "big") + x_re.to_bytes(48, "big")
