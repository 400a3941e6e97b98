"""TLA+ values: canonical text, the parser of TLC's printed values, ITF JSON.

Why property tests: the three representations (Python, TLA+ text, ITF JSON)
must round-trip for every value a spec can hold, and canonical forms must not
depend on the order things were built in.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from altledger.tla.itf import ItfError, from_itf, itf_to_tla, to_itf
from altledger.tla.value_parser import ValueSyntaxError, parse_value, parse_value_lenient
from altledger.tla.values import FnMap, ModelValue, Opaque, Record, Tup, canonical, normal_form, tla_equal, to_tla

field_names = st.sampled_from(["a", "b", "from", "n", "x1", "val"])
tla_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("\n\t\"\\"),
                   max_size=8)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    tla_text,
    st.sampled_from([ModelValue("m1"), ModelValue("m2")]),
)


def compound(children, with_tup=True):
    return st.one_of(
        st.lists(children, max_size=4).map(tuple),
        st.lists(children, max_size=4).map(Tup if with_tup else tuple),
        st.frozensets(children, max_size=4),
        st.dictionaries(field_names, children, min_size=1, max_size=3).map(Record),
        st.dictionaries(st.integers(-3, 9) | tla_text, children, min_size=1, max_size=3).map(FnMap),
    )


values = st.recursive(scalars, compound, max_leaves=12)
# Python considers Tup((1,)) == (1,), so a set keeps whichever came first;
# for order-independence we compare values without the #tup mark.
values_without_tup = st.recursive(scalars, lambda c: compound(c, with_tup=False), max_leaves=12)


@given(values)
def test_tla_text_round_trips_through_the_parser(value):
    assert tla_equal(parse_value(to_tla(value)), value)


@given(values)
def test_itf_round_trip_is_exact(value):
    data = to_itf(value)
    assert from_itf(json.loads(json.dumps(data))) == value
    assert to_itf(from_itf(data)) == data


@given(st.lists(values_without_tup, max_size=5))
def test_canonical_text_does_not_depend_on_construction_order(items):
    # Python merges TRUE and 1 in a set; TLC cannot compare them at all.
    assume(len(frozenset(items)) == len({canonical(v) for v in items}))
    forward, backward = frozenset(items), frozenset(reversed(items))
    assert to_tla(forward) == to_tla(backward)
    assert json.dumps(to_itf(forward)) == json.dumps(to_itf(backward))
    keyed = {i: v for i, v in enumerate(items)}
    assert to_tla(FnMap(keyed)) == to_tla(FnMap(dict(reversed(list(keyed.items())))))


def test_tla_semantics_of_equality():
    assert tla_equal((1, 2), FnMap({1: 1, 2: 2}))
    assert tla_equal(Record({"a": 1}), FnMap({"a": 1}))
    assert tla_equal((), Record({})) and tla_equal((), FnMap({}))
    assert not tla_equal(True, 1)                 # Python says True == 1
    assert not tla_equal(ModelValue("p1"), "p1")  # a model value is not a string
    assert ModelValue("p1") != "p1" and hash(ModelValue("p1")) != hash("p1")
    assert not tla_equal(frozenset({1}), (1,))


def test_canonical_rendering_examples():
    assert to_tla(frozenset({3, 1, 2})) == "{1, 2, 3}"
    assert to_tla(frozenset({"b", "a", 10, 2})) == '{2, 10, "a", "b"}'
    assert to_tla(Record({"b": 1, "a": (True, "x")})) == '[a |-> <<TRUE, "x">>, b |-> 1]'
    assert to_tla(FnMap({"p2": 0, "p1": 1})) == '("p1" :> 1 @@ "p2" :> 0)'
    assert to_tla({"p1": 1}) == "[p1 |-> 1]"                       # plain dict, field names
    assert to_tla({"not a field": 1}) == '("not a field" :> 1)'     # plain dict, other keys
    assert to_tla(Record({})) == "<<>>"
    assert to_tla('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert to_tla(-5) == "-5"
    with pytest.raises(ValueError, match="cannot appear in a TLA"):
        to_tla("caf\u00e9")


def test_normal_form_is_what_tlc_prints():
    assert normal_form(FnMap({"p1": 0, "p2": 1})) == Record({"p1": 0, "p2": 1})
    assert normal_form(FnMap({1: "a", 2: "b"})) == ("a", "b")
    assert normal_form(FnMap({0: "a"})) == FnMap({0: "a"})
    assert to_tla(normal_form(frozenset({FnMap({"k": FnMap({1: 5})})}))) == "{[k |-> <<5>>]}"


def test_parser_reads_what_tlc_prints():
    assert parse_value('"q\\"uo\\\\te\\nnl\\ttab"') == 'q"uo\\te\nnl\ttab'
    assert parse_value("-5") == -5
    assert parse_value("{{}, {M1}, {1, 2}}") == frozenset({frozenset(), frozenset({ModelValue("M1")}),
                                                           frozenset({1, 2})})
    assert parse_value("[r |-> <<1, \"x\">>, s |-> {FALSE, TRUE}]") == \
        Record({"r": (1, "x"), "s": frozenset({False, True})})
    assert parse_value('(0 :> "z" @@ 1 :> "o")') == FnMap({0: "z", 1: "o"})
    assert parse_value("2..5") == frozenset({2, 3, 4, 5})
    assert parse_value("<< [a |-> 1],\n   [a |-> 2] >>") == (Record({"a": 1}), Record({"a": 2}))
    assert parse_value("({3} :> [q |-> 1] @@ {1, 2} :> M2)") == \
        FnMap({frozenset({3}): Record({"q": 1}), frozenset({1, 2}): ModelValue("M2")})
    assert parse_value("(1)") == 1


def test_forms_we_do_not_model_are_kept_verbatim():
    assert parse_value("[x \\in {1, 2} |-> x + 1]") == Opaque("[x \\in {1, 2} |-> x + 1]")
    assert parse_value("[{1, 2} -> {3}]") == Opaque("[{1, 2} -> {3}]")
    assert parse_value("Nat") == ModelValue("Nat")  # indistinguishable from a model value
    assert parse_value_lenient("<<1, 2") == Opaque("<<1, 2")
    with pytest.raises(ValueSyntaxError):
        parse_value("<<1, 2")
    with pytest.raises(ValueSyntaxError):
        parse_value("1 2")


@pytest.mark.parametrize("data, problem", [
    (1.5, "not an integer"),
    (None, "null"),
    ({"#set": 1}, "JSON array"),
    ({"#map": [[1]]}, "pair"),
    ({"#map": [[1, 2], [1, 3]]}, "same key twice"),
    ({"#bigint": "12x"}, "decimal"),
    ({"#bigint": 12}, "decimal string"),
    ({"#set": [], "x": 1}, "unknown ITF form"),
    ({"#foo": []}, "unknown ITF form"),
])
def test_bad_itf_is_refused_with_its_path(data, problem):
    with pytest.raises(ItfError, match=problem) as info:
        from_itf({"outer": [data]})
    assert info.value.path.startswith("/outer/0")


def test_itf_encoding_rules():
    assert to_itf(2**53) == {"#bigint": str(2**53)}
    assert to_itf(2**53 - 1) == 2**53 - 1
    assert from_itf({"#bigint": "-123456789012345678901234567890"}) == -123456789012345678901234567890
    assert to_itf([1, [2]]) == [1, [2]]
    assert to_itf(Tup((1, 2))) == {"#tup": [1, 2]}
    assert to_itf({3, 1}) == {"#set": [1, 3]}
    assert to_itf({"b": 1, "a": 2}) == {"a": 2, "b": 1}
    assert to_itf(FnMap({2: "x", 1: "y"})) == {"#map": [[1, "y"], [2, "x"]]}
    assert to_itf(ModelValue("p1")) == {"#unserializable": "p1"}
    assert from_itf(4.0) == 4
    assert itf_to_tla({"#map": [["p1", {"#set": [2, 1]}]]}) == '("p1" :> {1, 2})'
    with pytest.raises(TypeError, match="reserves"):
        to_itf(Record({"#set": 1}))


def test_canonical_keys_are_hashable_and_distinguish_kinds():
    keys = {canonical(v) for v in (1, True, "1", ModelValue("1"), (1,), frozenset({1}))}
    assert len(keys) == 6
