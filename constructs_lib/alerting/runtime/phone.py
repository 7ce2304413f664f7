"""Would AWS's automated recovery call reach this phone number?

During root recovery AWS calls the account's primary contact phone; the call fails when the
number lacks its "+" country code, and cannot reach a number that is not valid for its country
(too short, a wrong area code) or that keeps the national trunk prefix after the country code
(the classic "+44 (0)20 …"). Validity comes from ``phonenumbers`` (the port of Google's
libphonenumber, ``phonenumberslite`` in the Lambda assets), imported only when a number is
checked so that a cold start stays as fast as before.

One implementation for the notifier's contact-change alerts and the readiness checks (the Config
rule and the reports), which word the same :class:`PhoneDiagnosis` their own way (the readiness
checks mask the number). The other recovery factor, the root's e-mail, is judged here too
(:func:`email_domain_problem`): by the readiness checks and the alert on its change.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple


class PhoneDiagnosis(NamedTuple):
    """Why the call would fail: ``problem`` is ``no-plus``, ``unparsable``, ``invalid`` or
    ``trunk-prefix``; the rest describes the number as parsed (empty when it could not be)."""

    problem: str
    detail: str = ""  # the parser's complaint (unparsable)
    country_code: int = 0
    region: str = ""
    trunk_prefix: str = ""
    international: str = ""  # how it should be written (trunk-prefix)


def diagnose(text: str) -> PhoneDiagnosis | None:
    """What is wrong with ``text`` as a number for AWS's call, or None when it looks callable."""
    if not text.startswith("+"):
        return PhoneDiagnosis("no-plus")
    import phonenumbers

    try:
        number: Any = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as error:
        return PhoneDiagnosis("unparsable", detail=str(error))
    # An invalid number has no region of its own: name its country code's main one.
    region = (phonenumbers.region_code_for_number(number)
              or phonenumbers.region_code_for_country_code(number.country_code))  # fmt: skip
    region = region if region and region != "ZZ" else "an unknown country"
    international = phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    parsed = {"country_code": number.country_code, "region": region,
              "international": international}  # fmt: skip
    if not phonenumbers.is_valid_number(number):
        return PhoneDiagnosis("invalid", **parsed)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = metadata.national_prefix if metadata is not None else None
    after_country = re.sub(r"\D", "", text)[len(str(number.country_code)) :]
    if trunk and after_country.startswith(trunk) and not number.italian_leading_zero:
        return PhoneDiagnosis("trunk-prefix", trunk_prefix=trunk, **parsed)
    return None


def phone_problem(text: str) -> str | None:
    """Why AWS's call to ``text`` would fail, in words, or None when it looks callable."""
    if not text:
        return None
    found = diagnose(text)
    if found is None:
        return None
    if found.problem == "no-plus":
        return (
            f'{text} lacks its "+" country code: '
            "AWS's automated verification call to it will fail"
        )
    if found.problem == "unparsable":
        return f"{text} is not a phone number AWS can call ({found.detail})"
    if found.problem == "invalid":
        return (
            f"{text} is not a valid number for +{found.country_code} ({found.region}): check "
            "its length and area code"
        )
    return (
        f"{text} keeps the trunk prefix {found.trunk_prefix} after +{found.country_code}: "
        f"write it as {found.international}"
    )


# Free mailboxes anyone can open: a root e-mail there belongs to a person, not the organization.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com",
    "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "mail.ru", "yandex.ru", "yandex.com",
    "qq.com", "163.com", "126.com", "zoho.com",
})  # fmt: skip


def email_domain_problem(address: str, domains: tuple[str, ...]) -> str | None:
    """Why AWS's recovery mail to ``address`` may reach someone the organization cannot vouch
    for, or None. ``domains``: the organization's own (a subdomain of one counts as its own)."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    if domain in PUBLIC_MAIL_DOMAINS:
        return f"{domain} is a public mail provider: the mailbox belongs to a person"
    own = tuple(d.lower() for d in domains)
    if own and not any(domain == d or domain.endswith(f".{d}") for d in own):
        return f"{domain} is not one of the organization's domains ({', '.join(own)})"
    return None
