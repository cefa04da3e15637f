"""formdata.decode gives what werkzeug's request.form.to_dict() gives, on any body."""
from __future__ import annotations

import random
from urllib.parse import quote_plus

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from flowstudio.web import formdata
from flowstudio.web.errors import ApiError

PIECES = ["a", "Body", "From", "+", "%2B", "%20", "%", "%zz", "%C3%A9", "%E9", "%FF%FE", "=", "&", "&&", "é",
          "MediaUrl0", "x y", ";", "%26", "%3D", "%3d", "", "~", "%e2%82%ac", "%e2%82", "%25", "%2541", "%c3"]
ESCAPED_SEPARATORS = ("%26", "%3D", "%3d")


def werkzeug_form(body: bytes) -> dict:
    environ = EnvironBuilder(method="POST", data=body, content_type=formdata.URLENCODED).get_environ()
    return Request(environ).form.to_dict()


def test_random_bodies_decode_like_werkzeug():
    rng = random.Random(7)
    for _ in range(2000):
        body = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30)))
        assert formdata.decode(body) == werkzeug_form(body.encode()), body


def test_random_bodies_without_escaped_separators_decode_like_werkzeug():
    # these are unescaped in one call, not field by field
    rng = random.Random(8)
    pieces = [p for p in PIECES if p not in ESCAPED_SEPARATORS]
    for _ in range(2000):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert formdata.decode(body) == werkzeug_form(body.encode()), body


def test_an_escaped_separator_stays_inside_its_field():
    body = "a=x%26b%3Dy&c%3dd=1%25"
    assert formdata.decode(body) == {"a": "x&b=y", "c=d": "1%"} == werkzeug_form(body.encode())


def test_a_twilio_sms_form():
    fields = {"MessageSid": "SM" + "0" * 32, "From": "+15551230000", "Body": "Yes, 10 & more = fine ☺",
              "MediaUrl0": "https://api.twilio.com/x?a=1&b=2"}
    body = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in fields.items())
    assert formdata.decode(body) == fields == werkzeug_form(body.encode())


def test_first_value_of_a_repeated_name_and_blank_values():
    assert formdata.decode("a=1&a=2&b&c=") == {"a": "1", "b": "", "c": ""}


def test_a_body_that_is_not_utf8_is_refused_saying_so():
    """werkzeug reads it as an empty form; the webhook then said "MessageSid is missing"."""
    body = b"MessageSid=SM1&Body=caf\xe9&From=%2B1"
    environ = EnvironBuilder(method="POST", data=body, content_type=formdata.URLENCODED).get_environ()
    assert werkzeug_form(body) == {}
    with pytest.raises(ApiError, match="not UTF-8 \\(byte 23 is 0xe9\\)"):
        formdata.form_of(environ)


def test_a_form_werkzeug_already_parsed_is_reused():
    environ = EnvironBuilder(method="POST", data="a=1&a=2", content_type=formdata.URLENCODED).get_environ()
    request = Request(environ)
    assert request.form.getlist("a") == ["1", "2"]  # as the signature check reads it
    assert formdata.form_of(environ) == {"a": "1"}


def test_form_of_reads_the_body_once_and_leaves_it_readable():
    body = b"Body=hi+there&From=%2B15550001&Body=again"
    request = Request(EnvironBuilder(method="POST", data=body, content_type=formdata.URLENCODED + "; charset=utf-8")
                      .get_environ())
    assert formdata.form_of(request.environ) == {"Body": "hi there", "From": "+15550001"}
    assert request.get_data() == body  # werkzeug still sees the whole body
    assert formdata.form_of(request.environ) is formdata.form_of(request.environ)  # decoded once
