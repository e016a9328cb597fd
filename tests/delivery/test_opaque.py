"""Opaque per-attempt identifiers (delivery/opaque.py): stable within an attempt, different
between attempts and secrets, reversible only by the server."""

from toetsbatterij.delivery.opaque import OpaqueIds


def test_stable_per_attempt_and_different_between_attempts_and_secrets():
    one, again = OpaqueIds("s", 1, 7), OpaqueIds("s", 1, 7)
    assert one.of("R-B1-T003-1") == again.of("R-B1-T003-1")
    others = {OpaqueIds("s", 2, 7).of("R-B1-T003-1"), OpaqueIds("s", 1, 8).of("R-B1-T003-1"),
              OpaqueIds("t", 1, 7).of("R-B1-T003-1")}
    assert one.of("R-B1-T003-1") not in others and len(others) == 3
    name = one.of("R-B1-T003-1")
    assert name.startswith("x") and len(name) == 17 and "B1" not in name


def test_parts_of_an_item_have_their_own_names_and_map_back():
    ids = OpaqueIds("s", 1, 7)
    names = {ids.of("I", "option", o) for o in "ABC"} | {ids.of("I"), ids.of("J", "option", "A"),
                                                         ids.of("I", "target", "A")}
    assert len(names) == 6  # option A of I, of J and target A of I all differ
    reverse = ids.reverse("I", "option", [{"id": "A"}, {"id": "B"}, "C"])
    assert reverse == {ids.of("I", "option", o): o for o in "ABC"}
