"""Numbers written as people write them at home, with the country they are in: a
clinic's list of "(212) 555-0142", "212.555.0146", "1 212 555 0147" with country US is
texted to +12125550142...; without a country a number without + is refused as before.

(NANP numbers of the 555 area code are not numbers in use: libphonenumber calls them
invalid, so the valid US numbers here are of New York's 212.)"""
import io

import pytest

from flowstudio.campaigns import (CampaignInputError, contacts_from_csv, contacts_from_json, contacts_from_text,
                                  normalise_address, parse_country)
from flowstudio.console_trial import sample_rows, trial_contacts
from flowstudio.console import ConsoleError

from .conftest import drain

CLINIC_CSV = (b"to,name\n(212) 555-0142,Ann\n212-555-0143,Bob\n212.555.0146,Cy\n2125550145,Di\n"
              b"1 212 555 0147,Ed\n+44 20 7946 0018,Flo\n")
CLINIC_E164 = ["+12125550142", "+12125550143", "+12125550146", "+12125550145", "+12125550147", "+442079460018"]


@pytest.mark.parametrize("written, country, texted", [
    ("(212) 555-0142", "US", "+12125550142"),
    ("212-555-0143", "us", "+12125550143"),
    ("212.555.0146", "US", "+12125550146"),
    ("2125550145", "US", "+12125550145"),
    ("1 212 555 0147", "US", "+12125550147"),
    ("(416) 555-0142", "CA", "+14165550142"),
    ("020 7946 0018", "GB", "+442079460018"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("030 123456", "DE", "+4930123456"),
    ("whatsapp:(212) 555-0142", "US", "whatsapp:+12125550142"),
    ("WhatsApp: 06 12 34 56 78", "FR", "whatsapp:+33612345678"),
    # a number with + keeps its own country, whatever the list's is
    ("+1 (555) 555-0142", "FR", "+15555550142"),
    ("+44 20 7946 0018", "US", "+442079460018"),
])
def test_a_national_number_is_read_as_its_countrys_and_texted_in_full(written, country, texted):
    assert normalise_address(written, parse_country(country)) == texted


@pytest.mark.parametrize("written, country, words", [
    ("555-0147", "US", "'555-0147' is not a full US phone number: the area code is missing"),
    ("0612", "FR", "'0612' is not a full FR phone number: it has too few digits"),
    ("212555014212345", "US", "'212555014212345' has too many digits for a US phone number"),
    # the right length but not a number in use (555 is not a US area code)
    ("(555) 555-0142", "US", "'(555) 555-0142' is not a US phone number in use: check its digits"),
    ("whatsapp:555-0142", "US", "'whatsapp:555-0142' is not a full US phone number"),
    ("555-CALL", "US", "'555-CALL' is not a phone number like +15555550142"),
])
def test_a_number_that_is_not_one_of_the_country_says_why_in_plain_words(written, country, words):
    with pytest.raises(ValueError) as caught:
        normalise_address(written, country)
    assert str(caught.value).startswith(words)


def test_without_a_country_a_number_without_plus_is_refused_as_before():
    with pytest.raises(ValueError, match=r"needs \+ and the country code in front"):
        normalise_address("(212) 555-0142")
    with pytest.raises(ValueError, match=r"needs \+ and the country code in front"):
        normalise_address("(212) 555-0142", None)
    assert normalise_address("+1 (555) 555-0142") == "+15555550142"


@pytest.mark.parametrize("bad", ["XX", "USA", "U", "001", 1, True, ["US"]])
def test_an_unknown_country_is_refused_naming_the_field(bad):
    with pytest.raises(CampaignInputError) as caught:
        parse_country(bad)
    assert caught.value.field == "country"
    assert "two-letter country code like US" in caught.value.message


def test_no_country_is_none():
    assert [parse_country(v) for v in (None, "", "  ")] == [None, None, None]
    assert parse_country(" gb ") == "GB"


def test_a_csv_pasted_text_and_json_are_read_with_the_country():
    csv = contacts_from_csv(CLINIC_CSV + b"555-0148,Gus\n", "US")
    assert [to for _, to, _ in csv.rows] == CLINIC_E164
    assert [p["name"] for _, _, p in csv.rows] == ["Ann", "Bob", "Cy", "Di", "Ed", "Flo"]
    assert csv.invalid == [{"row": 8, "error": "to '555-0148' is not a full US phone number: the area code is missing"}]
    text = contacts_from_text("020 7946 0018\n07700 900 123, +33 6 12 34 56 78", "GB")
    assert [(row, to) for row, to, _ in text.rows] == [(1, "+442079460018"), (3, "+33612345678")]
    assert text.invalid[0]["row"] == 2 and "is not a GB phone number in use" in text.invalid[0]["error"]
    json = contacts_from_json([{"to": "06 12 34 56 78", "parameters": {"n": 1}}, {"to": "whatsapp:0612345678"}], "FR")
    assert json.rows == [(1, "+33612345678", {"n": 1}), (2, "whatsapp:+33612345678", {})]
    # as a browser's form sends a textarea: lines end with \r\n; the number is quoted without the \r
    crlf = contacts_from_text("06 12 34 56 78\r\n01 23 45 67\r\n", "FR")
    assert crlf.invalid == [{"row": 2, "error": "to '01 23 45 67' is not a full FR phone number: it has too few digits"}]
    # the same list without a country: every number without + is refused, as before
    assert len(contacts_from_csv(CLINIC_CSV).rows) == 1


# ---------------------------------------------------------------- through the API


def post(client, **body):
    body.setdefault("from", "+12125550100")
    return client.post("/api/flows/survey/campaigns", json=body)


def upload(client, data: bytes, **fields):
    fields.setdefault("from", "+12125550100")
    return client.post("/api/flows/survey/campaigns", data={**fields, "file": (io.BytesIO(data), "clinic.csv")},
                       content_type="multipart/form-data")


def test_a_clinic_csv_of_local_numbers_with_country_us_previews_valid_and_sends_to_full_numbers(client, runner):
    preview = upload(client, CLINIC_CSV, country="us", dry_run="1")
    assert preview.status_code == 200, preview.json
    body = preview.json
    assert (body["rows"], body["valid"], body["invalid"], body["to_send"], body["country"]) == (6, 6, [], 6, "US")
    assert [c["to"] for c in body["contacts"]] == CLINIC_E164
    sent = upload(client, CLINIC_CSV, country="US", rate="100")
    assert sent.status_code == 201, sent.json
    assert drain(runner) == 6
    rows = client.get(f"/api/flows/survey/campaigns/{sent.json['id']}/contacts").json["contacts"]
    assert [(r["to"], r["status"]) for r in rows] == [(to, "started") for to in CLINIC_E164]


def test_json_and_pasted_numbers_take_the_country_and_a_from_written_at_home(client):
    body = post(client, country="GB", dry_run=True, **{"from": "020 7946 0000"},
                contacts=[{"to": "020 7946 0018"}, {"to": "7946 0019"}]).json
    assert body["from"] == "+442079460000"
    assert body["contacts"] == [{"row": 1, "to": "+442079460018", "shown": "+44 20 7946 0018"}]
    assert body["invalid"] == [{"row": 2, "error": "to '7946 0019' is not a full GB phone number: the area code is missing"}]
    pasted = post(client, country="fr", dry_run=True, numbers="06 12 34 56 78\n01 23 45 67 89").json
    assert [c["to"] for c in pasted["contacts"]] == ["+33612345678", "+33123456789"]
    assert [c["shown"] for c in pasted["contacts"]] == ["+33 6 12 34 56 78", "+33 1 23 45 67 89"]
    whatsapp = post(client, country="US", dry_run=True, **{"from": "whatsapp:+12125550100"},
                    numbers="whatsapp:(212) 555-0142").json
    assert whatsapp["contacts"] == [{"row": 1, "to": "whatsapp:+12125550142", "shown": "whatsapp:+1 212-555-0142"}]


def test_without_a_country_the_api_answers_as_before(client):
    body = upload(client, CLINIC_CSV, dry_run="1").json
    assert (body["valid"], body["invalid_count"], body["country"]) == (1, 5, None)
    assert "needs + and the country code in front" in body["invalid"][0]["error"]


@pytest.mark.parametrize("send", ["json", "form"])
def test_an_unknown_country_is_a_400_naming_country(client, send):
    answer = post(client, country="XX", contacts=[{"to": "+12125550142"}]) if send == "json" else \
        upload(client, CLINIC_CSV, country="Narnia")
    assert answer.status_code == 400
    assert answer.json["error"]["field"] == "country"
    assert "two-letter country code" in answer.json["error"]["message"]


def test_a_try_reads_its_rows_and_test_numbers_with_the_country():
    sample = sample_rows({"csv": CLINIC_CSV.decode(), "country": "US"})
    assert [r["to"] for r in sample["rows"]] == CLINIC_E164[:5]
    from_, contacts = trial_contacts({"from": "(212) 555-0100", "country": "US",
                                      "contacts": [{"to": "(212) 555-0142", "parameters": {}}]})
    assert (from_, [c["to"] for c in contacts]) == ("+12125550100", ["+12125550142"])
    with pytest.raises(ConsoleError, match="^Numbers without \\+ are in: country must be a two-letter"):
        sample_rows({"numbers": "2125550142", "country": "XX"})


def test_the_editors_countries_and_examples_are_the_servers():
    """The select's countries are the ones the server reads, and the hint's examples of
    local numbers are numbers of their country (frontend/src/campaigns/countries.ts)."""
    import re
    from pathlib import Path

    from flowstudio import campaigns

    source = (Path(__file__).resolve().parents[2] / "frontend" / "src" / "campaigns" / "countries.ts").read_text()
    listed = re.search(r'export const COUNTRIES = "([A-Z ]+)"', source).group(1).split()
    assert sorted(listed) == sorted(campaigns._COUNTRIES)
    examples = dict(re.findall(r'\b([A-Z]{2}): "([^"]+)"', source.split("const EXAMPLES", 1)[1].split("};", 1)[0]))
    assert len(examples) >= 10
    for code, written in examples.items():
        assert normalise_address(written, code).startswith("+"), (code, written)
