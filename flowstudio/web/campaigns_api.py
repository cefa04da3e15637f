"""The campaigns API: start a flow for a list of contacts; and the opt-out list.

- `POST /api/flows/<flow>/campaigns`: JSON `{"from", "rate", "start_at", "country",
  "contacts": [{"to", "parameters"}]}` (or `"numbers": "+1..., +1..."`), or a multipart
  form with a CSV `file` (or `numbers`) and the same fields: 201 with the campaign and
  the invalid rows. `country` (US, GB, FR...) is the country of the numbers written
  without + ("(212) 555-0142"); they are stored as +12125550142. With `dry_run` true:
  200 with the preview (rows, invalid, skipped, and the numbers as they will be
  texted), nothing recorded.
- `GET /api/flows/<flow>/campaigns`, `GET .../campaigns/<id>`: status and counts.
- `POST .../campaigns/<id>/pause`, `/resume`, `/cancel`.
- `GET .../campaigns/<id>/contacts?status=&after=`: the rows and what became of each,
  1,000 at a time: `next_after` is the `after` of the next page (null on the last).
- `GET /api/optouts`; `DELETE /api/optouts/<address>` (opt back in by hand).

Bad input is 400 naming the field (`from`, `rate`, `start_at`, `country`, `contacts`,
`file`, `numbers`), never 500.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..campaigns import (MAX_INVALID_LISTED, CampaignInputError, CampaignNotFound, Campaigns, CampaignStateError,
                         ContactList, contacts_from_csv, contacts_from_json, contacts_from_text, normalise_address, parse_country, parse_rate, parse_start, readable, sending_address,
                         within_channel)
from . import errors, jsonbody
from .serialize import iso
from .app import runtime
from .errors import ApiError, whole_number

blueprint = Blueprint("campaigns_api", __name__, url_prefix="/api")
CONTACT_STATUSES = ("pending", "claimed", "started", "skipped", "failed")
CONTACTS_PAGE = 1000
OPT_OUTS_LISTED = 1000   # the newest, listed in the editor; `total` counts them all


def campaigns() -> Campaigns:
    """The app's Campaigns (made once, with the app's service)."""
    found = current_app.extensions.get("flowstudio.campaigns")
    if found is None:
        found = current_app.extensions["flowstudio.campaigns"] = Campaigns(runtime(current_app).service)
    return found


@blueprint.errorhandler(CampaignInputError)
def _bad_input(exc: CampaignInputError):
    return errors.response(400, exc.message, exc.field, **exc.extra)


@blueprint.errorhandler(CampaignNotFound)
def _not_found(exc: CampaignNotFound):
    return errors.response(404, str(exc))


@blueprint.errorhandler(CampaignStateError)
def _wrong_state(exc: CampaignStateError):
    return errors.response(409, str(exc))


@blueprint.post("/flows/<flow_id>/campaigns")
def create(flow_id: str):
    """Create a campaign (or, with dry_run, preview one)."""
    cs = campaigns()
    if not cs.service.flows.exists(flow_id):
        raise ApiError(404, f"there is no flow '{flow_id}'")
    fields, contacts, source, country = _input()
    from_ = sending_address(fields.get("from"), country)
    contacts = within_channel(contacts, from_)
    rate = parse_rate(fields.get("rate"))
    start_at = parse_start(fields.get("start_at"), cs.service.clock())
    invalid = contacts.invalid[:MAX_INVALID_LISTED]
    if _truthy(fields.get("dry_run")):
        planned = cs.plan(flow_id, contacts)
        skipped = [{"row": p["row"], "to": p["to"], "reason": p["skip"]} for p in planned if p["skip"]]
        # the numbers as they will be texted (a national "(212) 555-0142" as +12125550142),
        # and grouped for reading (+1 212-555-0142)
        sending = [{"row": p["row"], "to": p["to"], "shown": readable(p["to"])}
                   for p in planned if not p["skip"]][:MAX_INVALID_LISTED]
        return jsonify({"rows": len(contacts.rows) + len(contacts.invalid), "valid": len(contacts.rows),
                        "invalid": invalid, "invalid_count": len(contacts.invalid),
                        "skipped": skipped[:MAX_INVALID_LISTED], "skipped_count": len(skipped),
                        "to_send": len(planned) - len(skipped), "contacts": sending, "from": from_,
                        "rate": rate, "start_at": start_at.isoformat(), "country": country})
    if not contacts.rows:
        raise CampaignInputError(source, "no valid contact to send to" + (
            f": all {len(contacts.invalid)} rows are invalid" if contacts.invalid else ""), invalid=invalid)
    body = {**cs.create(flow_id, from_, rate, start_at, contacts), "invalid": invalid,
            "invalid_count": len(contacts.invalid)}
    response = jsonify(body)
    response.status_code = 201
    return response


@blueprint.get("/flows/<flow_id>/campaigns")
def list_campaigns(flow_id: str):
    """A flow's campaigns, newest first."""
    return jsonify({"campaigns": campaigns().of_flow(flow_id)})


@blueprint.get("/flows/<flow_id>/campaigns/<campaign_id>")
def show(flow_id: str, campaign_id: str):
    """One campaign with its counts."""
    return jsonify(campaigns().get(flow_id, campaign_id))


@blueprint.get("/flows/<flow_id>/campaigns/<campaign_id>/contacts")
def contacts(flow_id: str, campaign_id: str):
    """The campaign's rows and what became of each (by status), a page at a time."""
    cs = campaigns()
    cs.get(flow_id, campaign_id)
    status = request.args.get("status") or None
    if status is not None and status not in CONTACT_STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(CONTACT_STATUSES)}", field="status")
    after = request.args.get("after") or "0"
    if whole_number(after, 0, 999_999_999) is None:
        raise ApiError(400, f"after must be a row number, like the next_after of the page before, "
                            f"not {after[:30]!r}", field="after")
    rows = cs.store.contacts(campaign_id, status, limit=CONTACTS_PAGE + 1, after=int(after))
    more = len(rows) > CONTACTS_PAGE
    rows = rows[:CONTACTS_PAGE]
    return jsonify({"contacts": [{"row": r.row, "to": r.address, "status": r.status, "reason": r.reason,
                                  "execution_id": r.execution_id, "parameters": r.parameters} for r in rows],
                    "next_after": rows[-1].row if more else None})


@blueprint.post("/flows/<flow_id>/campaigns/<campaign_id>/pause")
def pause(flow_id: str, campaign_id: str):
    """Stop sending until resumed."""
    return jsonify(campaigns().pause(flow_id, campaign_id))


@blueprint.post("/flows/<flow_id>/campaigns/<campaign_id>/resume")
def resume(flow_id: str, campaign_id: str):
    """Send again from the next contact."""
    return jsonify(campaigns().resume(flow_id, campaign_id))


@blueprint.post("/flows/<flow_id>/campaigns/<campaign_id>/cancel")
def cancel(flow_id: str, campaign_id: str):
    """Send no more."""
    return jsonify(campaigns().cancel(flow_id, campaign_id))


@blueprint.get("/optouts")
def optouts():
    """Contacts who opted out (texted STOP), the newest OPT_OUTS_LISTED first, and how
    many there are in all (`total`: the list says when it stops short)."""
    store = campaigns().store
    rows = store.opt_outs(limit=OPT_OUTS_LISTED)
    return jsonify({"total": store.opt_out_count(),
                    "optouts": [{"address": r.address, "flow_id": r.flow_id, "keyword": r.keyword,
                                 "created_at": iso(r.created_at)} for r in rows]})


@blueprint.delete("/optouts/<path:address>")
def opt_in(address: str):
    """Take a contact off the opt-out list (they asked to be texted again); the number
    may be written as people write it (`+1 (555) 555-0142`)."""
    try:
        address = normalise_address(address)
    except ValueError:
        pass   # stored as Twilio sent it: looked up as given
    if not campaigns().store.opt_in(address):
        raise ApiError(404, f"{address} has not opted out")
    return jsonify({"address": address, "opted_out": False})


# ---------------------------------------------------------------- helpers


def _input() -> tuple[dict, ContactList, str, str | None]:
    """The fields, the contact list, the field it came from, and the country of the
    numbers written without + (checked before the list is read: a wrong one is its error)."""
    if request.files or request.mimetype == "multipart/form-data" or request.mimetype == \
            "application/x-www-form-urlencoded":
        fields = request.form.to_dict()
        jsonbody.check(fields)
        country = parse_country(fields.get("country"))
        upload = request.files.get("file")
        if upload is not None:
            return fields, contacts_from_csv(upload.read(), country), "file", country
        if fields.get("numbers"):
            return fields, contacts_from_text(fields["numbers"], country), "numbers", country
        raise CampaignInputError("file", "send a CSV file (field 'file') or numbers (field 'numbers')")
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "the body is empty: expected JSON with from, rate, start_at and contacts", field="body")
    try:
        data = jsonbody.loads(raw)
    except ValueError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}", field="body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object with from, rate, start_at and contacts", field="body")
    country = parse_country(data.get("country"))
    if "contacts" in data:
        return data, contacts_from_json(data["contacts"], country), "contacts", country
    if isinstance(data.get("numbers"), str):
        return data, contacts_from_text(data["numbers"], country), "numbers", country
    raise CampaignInputError("contacts", "contacts is required: a list of {\"to\": ..., \"parameters\": {...}}")


def _truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"))
