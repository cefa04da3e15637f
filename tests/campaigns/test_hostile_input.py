"""Every campaign endpoint answers bad input with 4xx naming the field, never 500."""
import io
import json

import pytest

from flowstudio import campaigns as cm

FROM = "+15555550100"
GOOD = [{"to": "+15555550101"}]


def post_json(client, body, flow="survey"):
    return client.post(f"/api/flows/{flow}/campaigns", data=json.dumps(body) if not isinstance(body, (str, bytes))
                       else body, content_type="application/json")


@pytest.mark.parametrize("rate", [0, -1, "NaN", "nan", "inf", "-Infinity", 1e309, 10**400, True, "fast", [], {},
                                  cm.MAX_RATE + 1, 1e-300, 5e-324, "1e-12", cm.MIN_RATE / 2])
def test_a_bad_rate_is_400_naming_rate(client, rate):
    raw = json.dumps({"from": FROM, "contacts": GOOD, "rate": rate}) if rate != 1e309 else \
        '{"from": "%s", "contacts": [{"to": "+15555550101"}], "rate": 1e309}' % FROM
    answer = post_json(client, raw)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "rate"


@pytest.mark.parametrize("start", ["tomorrow", "2026-13-45T00:00:00", "9999-12-31T23:59:59Z", 12, ["x"],
                                   "2126-01-01T00:00:00+00:00", "9999-12-31T23:59:59-05:00"])
def test_a_bad_or_far_start_time_is_400_naming_start_at(client, start):
    answer = post_json(client, {"from": FROM, "contacts": GOOD, "start_at": start})
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "start_at"


@pytest.mark.parametrize("from_", [None, "", 5, "not a number", "+1" + "9" * 300])
def test_a_bad_from_is_400_naming_from(client, from_):
    answer = post_json(client, {"from": from_, "contacts": GOOD})
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "from"


@pytest.mark.parametrize("contacts", ["x", 5, None, {"to": "+15555550101"}])
def test_contacts_that_are_not_a_list_are_400(client, contacts):
    answer = post_json(client, {"from": FROM, "contacts": contacts})
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "contacts"


def test_rows_that_are_all_invalid_are_400_with_each_row_named(client):
    answer = post_json(client, {"from": FROM, "contacts": [{"to": 5}, "x", {"to": "+1555", "parameters": []},
                                                           {"to": "1" * 10**5}]})
    assert answer.status_code == 400
    error = answer.json["error"]
    assert error["field"] == "contacts"
    assert [i["row"] for i in error["invalid"]] == [1, 2, 3, 4]
    assert len(json.dumps(error)) < 2000   # a huge value is not echoed back whole


def test_too_many_rows_is_400(client):
    answer = post_json(client, {"from": FROM, "numbers": "\n".join(["+15555550101"] * (cm.MAX_ROWS + 1))})
    assert answer.status_code == 400 and answer.json["error"]["field"] == "numbers"


@pytest.mark.parametrize("data,why", [
    (b"to,name\n+15555550101,A\x00da\n", "NUL"),
    (b"\xff\xfeto\n", "UTF-8"),
    (b"", "empty"),
    (b"phone,name\n+15555550101,Ada\n", "no 'to' column"),
    (b"to,name,Name\n+15555550101,a,b\n", "twice"),
    (b'to,name\n+15555550101,"unclosed\n', "not valid CSV"),
    (b"to," + b",".join(b"c%d" % i for i in range(200)) + b"\n", "columns"),
])
def test_a_bad_csv_is_400_naming_file(client, data, why):
    answer = client.post("/api/flows/survey/campaigns", data={"from": FROM, "file": (io.BytesIO(data), "x.csv")})
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "file"
    assert why in answer.json["error"]["message"]


def test_a_csv_with_too_many_rows_is_400(client):
    data = b"to\n" + b"+15555550101\n" * (cm.MAX_ROWS + 1)
    answer = client.post("/api/flows/survey/campaigns", data={"from": FROM, "file": (io.BytesIO(data), "x.csv")})
    assert answer.status_code == 400 and answer.json["error"]["field"] == "file"


def test_a_huge_csv_field_is_400(client):
    data = b"to,note\n+15555550101," + b"x" * 200_000 + b"\n"
    answer = client.post("/api/flows/survey/campaigns", data={"from": FROM, "file": (io.BytesIO(data), "x.csv")})
    assert answer.status_code == 400 and answer.json["error"]["field"] == "file"


def test_a_row_with_more_values_than_the_header_is_listed(client):
    data = b"to,name\n+15555550101,Ada,extra\n+15555550102,Bo\n"
    answer = client.post("/api/flows/survey/campaigns", data={"from": FROM, "file": (io.BytesIO(data), "x.csv")})
    assert answer.status_code == 201
    assert answer.json["invalid"] == [{"row": 2, "error": "has 3 values but the header has 2"}]


@pytest.mark.parametrize("body", [b"", b"[1]", b"{", b'"x"'])
def test_a_body_that_is_not_an_object_is_400(client, body):
    answer = post_json(client, body)
    assert answer.status_code == 400 and answer.json["error"]["field"] == "body"


def test_a_form_without_file_or_numbers_is_400(client):
    answer = client.post("/api/flows/survey/campaigns", data={"from": FROM})
    assert answer.status_code == 400 and answer.json["error"]["field"] == "file"


def test_unknown_flows_and_campaigns_are_404(client):
    assert post_json(client, {"from": FROM, "contacts": GOOD}, flow="nope").status_code == 404
    assert client.get("/api/flows/survey/campaigns/CMnope").status_code == 404
    assert client.post("/api/flows/survey/campaigns/CMnope/pause").status_code == 404
    cid = post_json(client, {"from": FROM, "contacts": GOOD}).json["id"]
    assert client.get(f"/api/flows/notice/campaigns/{cid}").status_code == 404   # another flow's
    assert client.get(f"/api/flows/survey/campaigns/{cid}/contacts?status=weird").status_code == 400
    assert client.delete("/api/optouts/+15555550199").status_code == 404


def test_a_start_time_before_year_1_in_utc_means_now(client):
    """Before: 500 (OverflowError converting 0001-01-01T00:00+05:00 to UTC)."""
    answer = post_json(client, {"from": FROM, "contacts": GOOD, "start_at": "0001-01-01T00:00:00+05:00"})
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "running"


def test_a_lone_surrogate_in_the_json_is_400_naming_where(client, app):
    """Before: 201, then the runner could not read the row back (orjson refuses the
    escaped surrogate the store wrote): every round failed on it and no campaign,
    this one or any other, was sent again; its contacts list was a 500."""
    raw = '{"from": "%s", "contacts": [{"to": "+15555550101", "parameters": {"name": "Ada \\ud800"}}]}' % FROM
    answer = post_json(client, raw)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "contacts[0].parameters.name"
    assert "surrogate" in answer.json["error"]["message"]
    assert client.get("/api/flows/survey/campaigns").json["campaigns"] == []


def post_csv(client, data, **fields):
    return client.post("/api/flows/survey/campaigns",
                       data={"from": FROM, **fields, "file": (io.BytesIO(data), "x.csv")})


@pytest.mark.parametrize("data", [
    "to\tname\r\n+15555550101\tAda\r\n".encode("utf-16"),          # Excel's "Unicode Text" (UTF-16, tabs)
    b"to;name\r\n+15555550101;Ada\r\n",                            # Excel where the list separator is ;
    "\ufeffto;name\r\n+15555550101;Ada\r\n".encode(),              # ... saved as "CSV UTF-8"
    b"to\tname\n+15555550101\tAda\n",
    b"\r\n\r\nto,name\r\n+15555550101,Ada,,\r\n",                  # blank lines first, empty values past the header
])
def test_files_as_spreadsheets_save_them_are_read(client, data):
    """Before: 400 "the file contains NUL bytes" (UTF-16), "no 'to' column (it has:
    to;name)" (semicolons, tabs), "no 'to' column (it has: )" (blank lines first), and
    a row with empty values past the header's columns was invalid."""
    answer = post_csv(client, data)
    assert answer.status_code == 201, answer.json
    assert (answer.json["total"], answer.json["invalid"]) == (1, [])
    [row] = client.get(f"/api/flows/survey/campaigns/{answer.json['id']}/contacts").json["contacts"]
    assert (row["to"], row["parameters"]) == ("+15555550101", {"name": "Ada"})


@pytest.mark.parametrize("data,why", [
    (b"\r\n \r\n", "empty"),
    ("to\n+15555550101\n".encode("utf-16-le"), "UTF-16"),           # UTF-16 without its mark
    (b"\xff\xfet\x00o\x00\n\x00\x00\xd8", "UTF-16"),                # says UTF-16, is not
])
def test_files_that_cannot_be_read_say_why(client, data, why):
    answer = post_csv(client, data)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "file" and why in answer.json["error"]["message"]


def test_a_list_excel_saved_in_windows_own_code_page_says_how_to_save_it():
    """Excel on Windows saves "CSV (Comma delimited)" as Windows-1252 (José as b'Jos\\xe9').
    Before: "not UTF-8 text ...; save the CSV as UTF-8", which named no Excel choice."""
    data = "to,name\r\n+15555550101,Ana\r\n+15555550102,José\r\n".encode("cp1252")
    with pytest.raises(cm.CampaignInputError) as refused:
        cm.contacts_from_csv(data)
    assert refused.value.field == "file"
    message = str(refused.value)
    assert message.startswith("line 3 ") and '"CSV UTF-8 (Comma delimited)"' in message


def test_a_number_a_spreadsheet_shortened_says_so(client):
    """Before: "'1.5555E+10' is not a phone number": the user's file said +15555550101."""
    answer = post_csv(client, b"to\n1.5555E+10\n+15555550101\n")
    assert answer.status_code == 201, answer.json
    [invalid] = answer.json["invalid"]
    assert invalid["row"] == 2 and "format the column as text" in invalid["error"]


def test_contacts_twilio_would_refuse_from_the_sending_number_are_invalid(client):
    """Before: valid, and each one's message refused by Twilio (21910: From and To of
    different channels; 21266: To the same as From), the campaign counting them started."""
    numbers = "whatsapp:+15555550101\n+15555550102\n+1 555 555 0100"
    answer = post_json(client, {"from": FROM, "numbers": numbers, "dry_run": True})
    assert answer.status_code == 200, answer.json
    assert (answer.json["valid"], answer.json["to_send"]) == (1, 1)
    errors = {i["row"]: i["error"] for i in answer.json["invalid"]}
    assert set(errors) == {1, 3}
    assert "WhatsApp" in errors[1] and "the number the list is sent from" in errors[3]
    answer = post_json(client, {"from": "whatsapp:" + FROM, "numbers": numbers})
    assert answer.status_code == 201, answer.json
    assert answer.json["total"] == 1 and [i["row"] for i in answer.json["invalid"]] == [2, 3]


def test_numbers_pasted_from_a_word_processor_are_read(client):
    """Before: "is not a phone number": en dashes (autocorrected hyphens), a minus sign,
    narrow and thin spaces (some locales' digit grouping), a zero-width space."""
    numbers = "+1 555–555–0101\n+1\u202f555\u202f555\u20090102\n+1−555−555−0103\n\u200b+15555550104"
    answer = post_json(client, {"from": FROM, "numbers": numbers, "dry_run": True})
    assert answer.status_code == 200 and answer.json["invalid"] == [], answer.json
    assert answer.json["valid"] == 4


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_which_json_does_not_have_are_400(client, word):
    """Before: 201 (Python reads them), and with a number beyond 64 bits beside them the
    stored row could not be read back: the runner failed on it every round."""
    raw = '{"from": "%s", "contacts": [{"to": "+15555550101", "parameters": {"a": %s, "b": %d}}]}' % (
        FROM, word, 10**30)
    answer = post_json(client, raw)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["field"] == "body" and word.lstrip("-") in answer.json["error"]["message"]
    assert client.get("/api/flows/survey/campaigns").json["campaigns"] == []
