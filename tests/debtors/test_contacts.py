from debtors.contacts import format_phone


def test_phones_show_in_national_form_at_home_and_international_abroad():
    assert format_phone("+33612345678") == "06 12 34 56 78"
    assert format_phone("+12025550123") == "+1 202-555-0123"
    assert format_phone("not a number") == "not a number"
