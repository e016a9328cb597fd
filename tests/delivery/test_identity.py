import datetime as dt

import pytest

from toetsbatterij.delivery.identity import (
    format_national_number,
    make_national_number,
    validate_national_number,
)
from toetsbatterij.errors import InvalidInput


def test_known_valid_number_before_2000():
    # 85.07.30-033.28: 97 - (850730033 mod 97) = 28
    assert validate_national_number("85.07.30-033.28", "rrn", dt.date(1985, 7, 30)) == \
        "85073003328"
    assert format_national_number("85073003328") == "85.07.30-033.28"


def test_born_in_2000_or_later_uses_the_2_prefix():
    number = make_national_number(dt.date(2003, 5, 17), 123)
    n = int(number[:9])
    assert int(number[9:]) == 97 - ((2_000_000_000 + n) % 97)
    assert validate_national_number(number, "rrn", dt.date(2003, 5, 17)) == number


@pytest.mark.parametrize("bad", ["85.07.30-033.29", "8507300332", "85073003328x1", ""])
def test_bad_checksum_or_length(bad):
    with pytest.raises(InvalidInput):
        validate_national_number(bad, "rrn")


def test_bis_month_offsets():
    birth = dt.date(1979, 11, 3)
    for offset in (20, 40):
        number = make_national_number(birth, 55, kind="bis", month_offset=offset)
        assert validate_national_number(number, "bis", birth) == number
        with pytest.raises(InvalidInput):
            validate_national_number(number, "rrn")
    with pytest.raises(InvalidInput):
        validate_national_number(make_national_number(birth, 55), "bis")


def test_birth_date_must_match():
    number = make_national_number(dt.date(1990, 1, 2), 10)
    with pytest.raises(InvalidInput, match="geboortedatum"):
        validate_national_number(number, "rrn", dt.date(1990, 2, 1))
