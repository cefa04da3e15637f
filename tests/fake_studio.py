"""A local fake of Twilio Studio's REST API v2 Flows resource, over real HTTP (pytest-httpserver).

Written from Twilio's API reference (twilio.com/docs/studio/rest-api/v2/flow, flow-revision,
errors 20003/20404/20429/81022), independently of FlowStudio's own `/v2` (web/studio_api.py),
so `flowstudio twilio` is not only checked against FlowStudio itself:

- `GET /v2/Flows` lists flows with `definition`, `valid`, `errors`, `warnings` null (as the
  reference says), paged by `PageSize` and `PageToken` with Twilio's `meta`
  (`page`, `page_size`, `first_page_url`, `previous_page_url`, `url`, `next_page_url`, `key`);
- `POST /v2/Flows` creates (201), `GET/POST /v2/Flows/{FW…}` fetches / updates,
  `GET /v2/Flows/{FW…}/Revisions/{n|LatestPublished|LatestRevision}` fetches a revision;
- a published definition with problems is refused with 400, code 81022 and
  `details: {"errors": [{"message", "property_path"}], "warnings": []}`; a draft is kept
  with `valid: false` and its `errors`, as Studio keeps an invalid draft;
- HTTP Basic with the account SID and auth token, or an API key SID and its secret;
  anything else is 401, code 20003;
- `fail(...)` makes the next matching requests answer a given error first (a 429, say).
"""
from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

from werkzeug import Response

MAX_PAGE_SIZE = 1000   # Twilio's limit on PageSize


def error(status: int, code: int, message: str, details: dict | None = None) -> dict:
    """Twilio's error body."""
    body = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}
    if details is not None:
        body["details"] = details
    return body


TOO_MANY_REQUESTS = error(429, 20429, "Too Many Requests")


@dataclass
class Revision:
    number: int
    status: str
    definition: dict
    commit_message: str | None
    errors: list
    created: str


@dataclass
class StudioFlow:
    sid: str
    friendly_name: str
    created: str
    revisions: list[Revision] = field(default_factory=list)

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    def published(self) -> Revision | None:
        return next((r for r in reversed(self.revisions) if r.status == "published"), None)


class FakeStudio:
    """Twilio Studio's Flows API for one account; `flows` holds its flows by SID."""

    def __init__(self, httpserver, account_sid: str, auth_token: str, api_key: str | None = None,
                 api_secret: str | None = None, max_page_size: int = MAX_PAGE_SIZE, max_widgets: int = 2000):
        self.account_sid, self.max_page_size, self.max_widgets = account_sid, max_page_size, max_widgets
        self.credentials = {(account_sid, auth_token)} | ({(api_key, api_secret)} if api_key else set())
        self.flows: dict[str, StudioFlow] = {}
        self.requests: list = []
        self.failures: list[dict] = []
        self.delay = 0.0   # seconds every answer takes (a Studio that is slow to answer)
        self.base = httpserver.url_for("/").rstrip("/")
        self._clock = itertools.count()
        httpserver.expect_request(re.compile("^/v2/.*")).respond_with_handler(self.handle)

    # ---------------------------------------------------------------- for the tests

    def add(self, name: str, definition: dict, status: str = "published", commit_message: str | None = None) -> str:
        """A flow made in Studio (by someone in the Console); its SID."""
        sid = "FW" + secrets.token_hex(16)
        flow = StudioFlow(sid, name, self._now())
        self.flows[sid] = flow
        self._revise(flow, status, definition, commit_message)
        return sid

    def change(self, sid: str, definition: dict, status: str = "published") -> None:
        """Someone edits the flow in Studio."""
        self._revise(self.flows[sid], status, definition, "changed in the Console")

    def fail(self, status_body: dict, times: int = 1, method: str | None = None, path: str = "") -> None:
        """Answer `status_body` (an `error(...)`) to the next `times` requests whose path contains `path`."""
        self.failures.append({"body": status_body, "times": times, "method": method, "path": path})

    def writes(self) -> list:
        """The requests that changed something (POSTs)."""
        return [r for r in self.requests if r["method"] == "POST"]

    # ---------------------------------------------------------------- HTTP

    def handle(self, request):
        """Every request under /v2."""
        time.sleep(self.delay)
        self.requests.append({"method": request.method, "path": request.path, "form": dict(request.form),
                              "args": dict(request.args),
                              "user": request.authorization.username if request.authorization else None})
        for f in self.failures:
            if f["times"] > 0 and f["path"] in request.path and f["method"] in (None, request.method):
                f["times"] -= 1
                return _json(f["body"], f["body"]["status"])
        auth = request.authorization
        if auth is None or (auth.username, auth.password) not in self.credentials:
            return _json(error(401, 20003, "Authenticate"), 401, {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        parts = request.path.strip("/").split("/")[1:]   # after "v2"
        try:
            if parts == ["Flows"]:
                return self._list(request) if request.method == "GET" else self._create(request)
            if len(parts) >= 2 and parts[0] == "Flows" and parts[1] in self.flows:
                flow = self.flows[parts[1]]
                if len(parts) == 2:
                    return self._json_flow(flow) if request.method == "GET" else self._update(flow, request)
                if len(parts) == 4 and parts[2] == "Revisions" and request.method == "GET":
                    return self._revision(flow, parts[3], request.path)
        except _Refused as exc:
            return _json(exc.body, exc.body["status"])
        return _json(error(404, 20404, f"The requested resource {request.path[3:]} was not found"), 404)

    def _list(self, request):
        size = min(max(int(request.args.get("PageSize", 50)), 1), self.max_page_size)
        flows = list(self.flows.values())
        token = request.args.get("PageToken")
        start = next((i + 1 for i, f in enumerate(flows) if token and "PA" + f.sid == token), 0)
        items = flows[start:start + size]
        number = int(request.args.get("Page", 0))
        url = f"{self.base}/v2/Flows"

        def at(page: int, token: str | None = None) -> str:
            return f"{url}?{urlencode({'PageSize': size, 'Page': page, **({'PageToken': token} if token else {})})}"

        more = start + size < len(flows)
        body = {"flows": [self._flow_json(f, listed=True) for f in items], "meta": {
            "page": number, "page_size": size, "first_page_url": at(0),
            "previous_page_url": at(number - 1, "PB" + items[0].sid) if number > 0 and items else None,
            "url": at(number, token), "next_page_url": at(number + 1, "PA" + items[-1].sid) if more else None,
            "key": "flows"}}
        return _json(body, 200)

    def _create(self, request):
        name, status, definition, message = self._fields(request, name_required=True)
        sid = "FW" + secrets.token_hex(16)
        flow = StudioFlow(sid, name, self._now())
        self._revise(flow, status, definition, message)   # refused before the flow exists
        self.flows[sid] = flow
        return _json(self._flow_json(flow), 201)

    def _update(self, flow: StudioFlow, request):
        name, status, definition, message = self._fields(request, name_required=False)
        self._revise(flow, status, definition if definition is not None else flow.latest.definition, message)
        if name:
            flow.friendly_name = name
        return _json(self._flow_json(flow), 200)

    def _revision(self, flow: StudioFlow, which: str, path: str):
        if which == "LatestPublished":
            revision = flow.published()
        elif which == "LatestRevision":
            revision = flow.latest
        else:
            revision = next((r for r in flow.revisions if which.isdigit() and r.number == int(which)), None)
        if revision is None:
            return _json(error(404, 20404, f"The requested resource {path[3:]} was not found"), 404)
        out = self._flow_json(flow, revision=revision)
        for key in ("links", "webhook_url", "warnings"):
            out.pop(key)
        out["url"] = f"{self.base}/v2/Flows/{flow.sid}/Revisions/{revision.number}"
        return _json(out, 200)

    # ---------------------------------------------------------------- the model

    def _fields(self, request, name_required: bool):
        form = request.form
        for required in (["FriendlyName"] if name_required else []) + ["Status"] + \
                (["Definition"] if name_required else []):
            if not form.get(required):
                raise _Refused(error(400, 20001, f"Missing required parameter {required} in the post body"))
        if form["Status"] not in ("draft", "published"):
            raise _Refused(error(400, 20001, f"Invalid Status: {form['Status']}"))
        definition = None
        if "Definition" in form:
            try:
                definition = json.loads(form["Definition"])
            except ValueError:
                raise _Refused(error(400, 20001, "Definition is not valid JSON")) from None
        return form.get("FriendlyName"), form["Status"], definition, form.get("CommitMessage")

    def _revise(self, flow: StudioFlow, status: str, definition: dict, message: str | None) -> None:
        problems = self.problems(definition)
        if problems and status == "published":
            raise _Refused(error(400, 81022, "Invalid Flow Definition", {"errors": problems, "warnings": []}))
        number = flow.latest.number + 1 if flow.revisions else 1
        flow.revisions.append(Revision(number, status, definition, message, problems, self._now()))

    def problems(self, definition) -> list[dict]:
        """What Studio's validation says of a definition (errors as `{"message", "property_path"}`)."""
        if not isinstance(definition, dict) or not isinstance(definition.get("states"), list) \
                or not definition["states"]:
            return [{"message": "should have required property 'states'", "property_path": "#"}]
        out = []
        states = definition["states"]
        if len(states) > self.max_widgets:
            out.append({"message": f"Flow has {len(states)} widgets, more than the limit of {self.max_widgets}",
                        "property_path": "#/states"})
        names = [s.get("name") if isinstance(s, dict) else None for s in states]
        if definition.get("initial_state") not in names:
            out.append({"message": "initial_state must name a state", "property_path": "#/initial_state"})
        for i, state in enumerate(states):
            if not isinstance(state, dict) or not isinstance(state.get("name"), str):
                out.append({"message": "should have required property 'name'", "property_path": f"#/states/{i}"})
                continue
            if names.count(state["name"]) > 1:
                out.append({"message": f"Widget name '{state['name']}' is not unique",
                            "property_path": f"#/states/{i}/name"})
            for j, transition in enumerate(state.get("transitions") or []):
                target = transition.get("next") if isinstance(transition, dict) else None
                if target is not None and target not in names:
                    out.append({"message": f"Transition to an unknown widget '{target}'",
                                "property_path": f"#/states/{i}/transitions/{j}/next"})
        return out

    def _flow_json(self, flow: StudioFlow, listed: bool = False, revision: Revision | None = None) -> dict:
        r = revision or flow.latest
        url = f"{self.base}/v2/Flows/{flow.sid}"
        return {"sid": flow.sid, "account_sid": self.account_sid, "friendly_name": flow.friendly_name,
                "definition": None if listed else r.definition, "status": r.status, "revision": r.number,
                "commit_message": r.commit_message, "valid": None if listed else not r.errors,
                "errors": None if listed else r.errors, "warnings": None if listed else [],
                "date_created": flow.created, "date_updated": r.created,
                "webhook_url": f"https://webhooks.twilio.com/v1/Accounts/{self.account_sid}/Flows/{flow.sid}",
                "url": url, "links": {"test_users": f"{url}/TestUsers", "revisions": f"{url}/Revisions",
                                      "executions": f"{url}/Executions"}}

    def _now(self) -> str:
        # distinct, increasing times without waiting
        return datetime.fromtimestamp(1_780_000_000 + next(self._clock), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _json_flow(self, flow: StudioFlow):
        return _json(self._flow_json(flow), 200)


class _Refused(Exception):
    def __init__(self, body: dict):
        super().__init__(body["message"])
        self.body = body


def _json(body, status, headers=None):
    return Response(json.dumps(body), status=status, content_type="application/json", headers=headers)
