"""Would AWS's automated recovery call reach this phone number?

During root recovery AWS calls the account's primary contact phone; the call fails when the
number lacks its "+" country code, and cannot reach a number that is not valid for its country
(too short, a wrong area code) or that keeps the national trunk prefix after the country code
(the classic "+44 (0)20 …"). Validity comes from ``phonenumbers`` (the port of Google's
libphonenumber, ``phonenumberslite`` in the Lambda asset), imported only when a number is checked
so that a cold start stays as fast as before.
"""

from __future__ import annotations

import re
from typing import Any


def phone_problem(text: str) -> str | None:
    """Why AWS's call to ``text`` would fail, or None when it looks callable."""
    if not text:
        return None
    if not text.startswith("+"):
        return (
            f'{text} lacks its "+" country code: '
            "AWS's automated verification call to it will fail"
        )
    import phonenumbers

    try:
        number: Any = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as error:
        return f"{text} is not a phone number AWS can call ({error})"
    region = phonenumbers.region_code_for_number(number) or "an unknown country"
    international = phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    if not phonenumbers.is_valid_number(number):
        return (
            f"{text} is not a valid number for +{number.country_code} ({region}): check its "
            "length and area code"
        )
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = metadata.national_prefix if metadata is not None else None
    after_country = re.sub(r"\D", "", text)[len(str(number.country_code)) :]
    if trunk and after_country.startswith(trunk) and not number.italian_leading_zero:
        return (
            f"{text} keeps the trunk prefix {trunk} after +{number.country_code}: write it as "
            f"{international}"
        )
    return None
