"""The checks of this folder catch real codec bugs (mutation tests).

Each test injects one plausible bug with monkeypatch and asserts that the
property or spec check that is meant to catch it fails.  A property that
still passed with the bug in place would be a test that cannot fail.
"""

from __future__ import annotations

import pytest
from encoding_doc import spec_text, worked_examples
from hypothesis import Phase, given, settings
from test_encoding_properties import (check_decoded_or_rejected, check_every_strict_prefix_is_truncated,
                                      check_extension_is_trailing, check_prefix_mutations, check_round_trip,
                                      mutated_encodings)

from altledger.reference.encoding import Event, InvalidValueError, QuorumCertificate, SignerSet, Transaction, agent_id
from altledger.reference.encoding import bitmap, codec, primitives
from altledger.reference.encoding.transactions import USER_DATA
from altledger.reference.encoding.strategies import STRATEGIES
from altledger.reference.errors import DecodeError

# Examples per hunt, by the type whose encodings are mutated.  The control test runs the same
# hunts on the sound codec, so a failure under a bug is the bug's.
HUNT_EXAMPLES = {Event: 100, Transaction: 100, QuorumCertificate: 300}


def hunt_mutations(cls) -> None:
    """Run the canonicality property on mutated encodings of ``cls`` (raises on a counterexample)."""
    @settings(max_examples=HUNT_EXAMPLES[cls], derandomize=True, database=None, deadline=None,
              phases=(Phase.explicit, Phase.generate))
    @given(mutated_encodings(STRATEGIES[cls]), STRATEGIES[cls])
    def run(data, value):
        check_decoded_or_rejected(data)
        check_prefix_mutations(value)

    run()


def test_sound_codec_passes_the_hunts():
    """Control: the same hunts pass without a bug, so the failures below are the bugs'."""
    for cls in HUNT_EXAMPLES:
        hunt_mutations(cls)


def test_lenient_option_flag_is_caught(monkeypatch):
    """Bug: any nonzero option flag means "present" (0x02 would be a second encoding of Some)."""
    def lenient(self, r):
        return None if primitives.U8.read(r, "flag") == 0 else self.inner.read(r)

    monkeypatch.setattr(primitives.OptionOf, "read", lenient)
    with pytest.raises(AssertionError, match="non-canonical"):
        hunt_mutations(Event)


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_unchecked_bitmap_padding_is_caught(monkeypatch):
    """Bug: padding bits of the signer bitmap are ignored instead of required to be zero."""
    def no_padding_check(self, r):
        count = primitives.U16.read(r, "count")
        bits = r.take(bitmap.bitmap_size(count), "bits")
        members = bitmap.bitmap_members(bits)
        if count and not members:
            r.fail("no signer")
        return SignerSet(count, members)

    monkeypatch.setattr(bitmap.SignerBitmap, "read", no_padding_check)
    # Either a padding bit below the count is accepted (a second encoding), or a set padding bit
    # becomes a member beyond the count and escapes as a non-DecodeError: both fail the property.
    with pytest.raises((AssertionError, InvalidValueError)):
        hunt_mutations(QuorumCertificate)


def test_ignored_trailing_bytes_are_caught(monkeypatch):
    """Bug: the decoder stops after a complete value and ignores what follows."""
    monkeypatch.setattr(codec.Reader, "finish", lambda self: None)
    tx = Transaction(agent_id("a"), agent_id("b"), 1, 1, b"")
    with pytest.raises(pytest.fail.Exception):
        check_extension_is_trailing(tx, b"\x00")
    with pytest.raises(AssertionError, match="non-canonical"):
        hunt_mutations(Transaction)


def test_silent_short_read_is_caught(monkeypatch):
    """Bug: a read past the end returns the bytes that are there instead of failing."""
    def short_take(self, count, part=""):
        chunk = self.data[self.pos:self.pos + count]
        self.pos += len(chunk)
        return chunk

    monkeypatch.setattr(codec.Reader, "take", short_take)
    tx = Transaction(agent_id("a"), agent_id("b"), 1, 1, b"")
    with pytest.raises((pytest.fail.Exception, AssertionError)):
        check_every_strict_prefix_is_truncated(tx)


def test_missing_constraint_is_caught_by_the_rejection_tests(monkeypatch):
    """Bug: Transaction forgets target != source; round trips still pass, the rejection test does not."""
    from test_encoding_rejections import test_transaction_constraints

    monkeypatch.setattr(Transaction, "validate", lambda self: None)
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        test_transaction_constraints({"target": agent_id("alice.cns")}, "target", 33, "target must differ")


def test_changed_bit_order_is_caught_by_round_trips(monkeypatch):
    """Bug: validators least significant bit first, while the padding rule still expects MSB first."""
    monkeypatch.setattr(bitmap, "bit_mask", lambda validator: 1 << (validator % 8))
    qc = QuorumCertificate(bytes([1]) * 32, 2, SignerSet.of(10, [0, 2, 9]), bytes(96))
    with pytest.raises(DecodeError, match="padding"):
        check_round_trip(qc)


def test_changed_length_width_is_caught_by_the_spec_examples(monkeypatch):
    """Bug: user_data gets a u32 length prefix.  The codec stays symmetric (round trips pass); the spec does not."""
    from test_encoding_spec_doc import test_worked_example_decodes_to_stated_values_and_reencodes as doc_check

    monkeypatch.setattr(USER_DATA, "length", primitives.U32)
    tx = Transaction(agent_id("a"), agent_id("b"), 1, 1, b"xyz")
    check_round_trip(tx)  # the round-trip property cannot see this bug
    (example,) = [e for e in worked_examples(spec_text()) if e.type_name == "Transaction"]
    with pytest.raises((DecodeError, AssertionError)):
        doc_check(example)
