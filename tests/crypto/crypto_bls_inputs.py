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


VERIFY_SCENARIOS = ["honest", "wrong_message", "other_signature", "identity_key_identity_sig",
                    "identity_key", "negated_key", "mutated_key", "mutated_sig", "identity_sig", "random"]


def verify_scenario(name: str, signer: int = 0, message: bytes = b"block 1",
                    draw: st.DrawFn | None = None) -> tuple[bytes, bytes, bytes]:
    """(public key, message, signature) for one named scenario.

    ``draw`` supplies the random parts (mutations, other signer); without it
    the scenario is built deterministically, for explicit examples.
    """
    _, public_keys, signatures = pool()
    public_key, signature = public_keys[signer], signatures[(signer, message)]
    other = (signer + 1) % POOL_SIZE if draw is None else draw(st.integers(0, POOL_SIZE - 1))
    if name == "wrong_message":
        message = message + b"!"
    elif name == "other_signature":
        signature = signatures[(other, message)]
    elif name == "identity_key_identity_sig":
        public_key, signature = INFINITY_G1, INFINITY_G2      # e(O, H) == e(G, O): only KeyValidate stops it
    elif name == "identity_key":
        public_key = INFINITY_G1
    elif name == "negated_key":
        public_key = negate(public_key)
    elif name == "mutated_key":
        public_key = draw(mutated(public_key)) if draw else public_key[:47]
    elif name == "mutated_sig":
        signature = draw(mutated(signature)) if draw else negate(signature)
    elif name == "identity_sig":
        signature = INFINITY_G2
    elif name == "random":
        public_key = draw(st.binary(min_size=48, max_size=48)) if draw else b"\x80" + bytes(47)
        signature = draw(st.binary(min_size=96, max_size=96)) if draw else b"\x80" + bytes(95)
    return public_key, message, signature


@st.composite
def verify_inputs(draw: st.DrawFn) -> tuple[bytes, bytes, bytes]:
    return verify_scenario(draw(st.sampled_from(VERIFY_SCENARIOS)), draw(st.integers(0, POOL_SIZE - 1)),
                           draw(st.sampled_from(MESSAGES)), draw)


def _aggregate(signatures: list[bytes]) -> bytes:
    return get_backend("blst").Aggregate(signatures) if signatures else INFINITY_G2


FAST_AGGREGATE_SCENARIOS = ["honest", "identity_key", "cancelling_keys", "drop_signer", "extra_key",
                            "other_message", "identity_sig", "mutated_key", "mutated_sig", "empty"]


def fast_aggregate_scenario(name: str, signers: list[int] = (0, 1, 2), message: bytes = b"block 1",
                            draw: st.DrawFn | None = None) -> tuple[list[bytes], bytes, bytes]:
    """Keys of ``signers``, their honest aggregate on ``message``, then one named change."""
    _, public_keys, signatures = pool()
    keys = [public_keys[i] for i in signers]
    sigs = [signatures[(i, message)] for i in signers]
    signature = _aggregate(sigs)
    pick = (lambda strategy, default: draw(strategy) if draw else default)
    if name == "identity_key":
        # Honest aggregate of the others plus the identity key: blspy said yes.
        keys.insert(pick(st.integers(0, len(keys)), len(keys)), INFINITY_G1)
    elif name == "cancelling_keys":
        keys, signature = [keys[0], negate(keys[0])], INFINITY_G2       # aggregate key = identity
    elif name == "drop_signer" and len(sigs) > 1:
        signature = _aggregate(sigs[1:])
    elif name == "extra_key":
        keys.append(public_keys[pick(st.integers(0, POOL_SIZE - 1), (signers[-1] + 1) % POOL_SIZE)])
    elif name == "other_message":
        message = pick(st.sampled_from(MESSAGES), message + b"!")
    elif name == "identity_sig":
        signature = INFINITY_G2
    elif name == "mutated_key":
        index = pick(st.integers(0, len(keys) - 1), 0)
        keys[index] = draw(mutated(keys[index])) if draw else keys[index][:47]
    elif name == "mutated_sig":
        signature = draw(mutated(signature)) if draw else negate(signature)
    elif name == "empty":
        keys = []
    return keys, message, signature


@st.composite
def fast_aggregate_inputs(draw: st.DrawFn) -> tuple[list[bytes], bytes, bytes]:
    signers = draw(st.lists(st.integers(0, POOL_SIZE - 1), min_size=1, max_size=4))
    return fast_aggregate_scenario(draw(st.sampled_from(FAST_AGGREGATE_SCENARIOS)), signers,
                                   draw(st.sampled_from(MESSAGES)), draw)


AGGREGATE_VERIFY_SCENARIOS = ["honest", "extra_identity_pair", "swap_message", "mutated_sig",
                              "length_mismatch", "identity_sig"]


def aggregate_verify_scenario(name: str, signers: list[int] = (0, 1), messages: list[bytes] | None = None,
                              draw: st.DrawFn | None = None) -> tuple[list[bytes], list[bytes], bytes]:
    _, public_keys, signatures = pool()
    messages = list(messages or [MESSAGES[i % len(MESSAGES)] for i in range(len(signers))])
    keys = [public_keys[i] for i in signers]
    signature = _aggregate([signatures[(i, m)] for i, m in zip(signers, messages)])
    if name == "extra_identity_pair":
        # e(O, H(m)) = 1: an identity key adds nothing to the product, so
        # only KeyValidate refuses the extra pair.
        keys.append(INFINITY_G1)
        messages.append(b"anything")
    elif name == "swap_message":
        messages[-1] = messages[-1] + b"!"
    elif name == "mutated_sig":
        signature = draw(mutated(signature)) if draw else negate(signature)
    elif name == "length_mismatch":
        messages = messages[:-1]
    elif name == "identity_sig":
        signature = INFINITY_G2
    return keys, messages, signature


@st.composite
def aggregate_verify_inputs(draw: st.DrawFn) -> tuple[list[bytes], list[bytes], bytes]:
    signers = draw(st.lists(st.integers(0, POOL_SIZE - 1), min_size=1, max_size=3))
    messages = [draw(st.sampled_from(MESSAGES)) for _ in signers]   # repeats allowed (PoP scheme)
    return aggregate_verify_scenario(draw(st.sampled_from(AGGREGATE_VERIFY_SCENARIOS)), signers,
                                     messages, draw)


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
