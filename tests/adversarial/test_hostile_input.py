"""Attacks on a real `flowstudio serve` process, as the issue's adversarial pass made
them: documents that crashed or stalled the worker, foreign Host names, malformed
bodies, NUL bytes, hostile requests that answered 500. After each family the server
must still answer a healthy flow's webhook, and nothing hostile may be stored.

Every server is started as the README starts it (its own process group, killed at the
end); the families, their attempts and their failures are counted in
`ATTEMPTS`, which the last test prints (the table in the closing note).
"""
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from flowstudio.adapters.store import Store

from ..web.test_server_process import HTTP_TIMEOUT, Server, Texter, clean_env, free_port, messages

REPO = Path(__file__).resolve().parents[2]
HEALTHY = "keyword-router"
J = {"Content-Type": "application/json"}

REGEX_FLOW = """\
spec_version: 1
name: {name}
widgets:
  - name: Trigger
    type: trigger
    transitions: {{incomingMessage: check}}
  - name: check
    type: split-based-on
    properties: {{input: "{{{{trigger.message.Body}}}}"}}
    transitions:
      noMatch: null
      match:
        - next: null
          conditions: [{{type: regex, value: {pattern}}}]
"""

HOSTILE_FILES = {
    "deep-flow": "widgets: " + "[" * 100_000 + "]" * 100_000 + "\n",        # SIGSEGV before
    "deep-80kb": "spec_version: 1\nname: x\nwidgets: " + "[" * 40_000 + "]" * 40_000 + "\n",
    "deep-block": "widgets:\n" + " ".join(["-"] * 30_000) + " x\n",
    "regex-overflow": REGEX_FLOW.format(name="regex-overflow", pattern="'a{99999999999}'"),   # 500 before
    "regex-parens": REGEX_FLOW.format(name="regex-parens", pattern="'" + "(" * 5000 + "'"),  # 500 before
    "regex-bomb": REGEX_FLOW.format(name="regex-bomb", pattern="'((((a{100}){100}){100}){100})'"),  # took all memory
    "python-tag": "spec_version: 1\nname: t\nwidgets: !!python/object/apply:os.system [echo owned]\n",
    "custom-tag": "spec_version: 1\nname: t\nwidgets: !widgets {a: 1}\n",
    "huge-int": "spec_version: 1\nname: t\nwidgets: []\nx: " + "9" * 5000 + "\n",   # 500 for every flow before
    "huge-int-block": "spec_version: 1\nname: t\nwidgets:\n  - name: a\n    n: -" + "1" * 4400 + "\n",
}
EXPECTED_CODE = {"deep-flow": "too_deep", "deep-80kb": "too_deep", "deep-block": "too_deep",
                 "regex-overflow": "invalid_regex", "regex-parens": "invalid_regex", "regex-bomb": "invalid_regex",
                 "python-tag": "unsupported_tag", "custom-tag": "unsupported_tag",
                 "huge-int": "bad_number", "huge-int-block": "bad_number"}

ATTEMPTS: dict[str, list[int]] = {}   # family -> [attempts, failures]


def attempt(family: str, ok: bool) -> bool:
    counts = ATTEMPTS.setdefault(family, [0, 0])
    counts[0] += 1
    counts[1] += 0 if ok else 1
    return ok


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server on the example flows plus the hostile files, on SQLite."""
    base = tmp_path_factory.mktemp("hostile")
    flows = base / "flows"
    flows.mkdir()
    for f in (REPO / "flows").glob("*.yaml"):
        (flows / f.name).write_text(f.read_text())
    for name, text in HOSTILE_FILES.items():
        (flows / f"{name}.yaml").write_text(text)
    port = free_port()
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(base / "data"), FLOWSTUDIO_PASSWORD="",)
    srv = Server([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", flows, "--host", "127.0.0.1",
                  "--port", port], env, port, base / "server.log", base)
    srv.wait_ready(60)
    srv.flows = flows
    srv.store = Store(f"sqlite:///{(base / 'data' / 'flowstudio.db').resolve()}")
    yield srv
    srv.store.close()
    srv.kill()


def still_serves(server, contact="+15555550999") -> bool:
    """A healthy flow's webhook still answers with TwiML."""
    Texter.count = 0
    reply = Texter(server, HEALTHY, contact).text("help")
    return reply.status_code == 200 and bool(messages(reply)) and server.proc.poll() is None


# ---------------------------------------------------------------- documents that crashed or stalled


def test_hostile_flow_files_are_listed_with_their_problem(server):
    listing = requests.get(server.base + "/api/flows", timeout=HTTP_TIMEOUT)
    assert listing.status_code == 200
    flows = {f["id"]: f for f in listing.json()["flows"]}
    for name, code in EXPECTED_CODE.items():
        issues = [i["code"] for i in flows[name]["issues"]]
        assert attempt("hostile flow files", flows[name]["valid"] is False and code in issues), (name, issues)
        page = requests.get(f"{server.base}/api/flows/{name}", timeout=HTTP_TIMEOUT)
        assert attempt("hostile flow files", page.status_code == 200), (name, page.status_code)
        hook = Texter(server, name, "+15555550101").text("aaaa")
        assert attempt("hostile flow files", hook.status_code < 500 and server.proc.poll() is None), name
    assert still_serves(server)
    assert flows[HEALTHY]["valid"] is True


@pytest.mark.parametrize("name", ["deep-flow", "python-tag", "huge-int"])
def test_duplicating_a_hostile_file_is_422_naming_its_problem(server, name):
    r = requests.post(f"{server.base}/api/flows", json={"id": f"copy-of-{name}", "copy_of": name},
                      timeout=HTTP_TIMEOUT)
    ok = r.status_code == 422 and r.json()["error"]["field"] == "copy_of" and name in r.json()["error"]["message"]
    assert attempt("hostile flow files", ok and not (server.flows / f"copy-of-{name}.yaml").exists()), r.text[:300]


def test_validate_reports_them_and_does_not_crash(server):
    run = subprocess.run([sys.executable, "-m", "flowstudio.cli", "validate", str(server.flows)],
                         capture_output=True, text=True, timeout=120)
    assert attempt("hostile flow files", run.returncode == 1), (run.returncode, run.stderr[-2000:])
    for name, code in EXPECTED_CODE.items():
        assert f"{name}.yaml:" in run.stdout, name


@pytest.mark.parametrize("path, method", [
    ("/api/flows/{f}/validate", "post"), ("/api/flows/{f}/draft", "put"), ("/api/flows", "post"),
    ("/api/login", "post"), ("/api/flows/{f}/executions", "post"), ("/api/flows/{f}/rename", "post"),
    ("/api/flows/{f}/publish", "post"), ("/api/flows/{f}/revisions/1/restore", "post")])
@pytest.mark.parametrize("depth", [1_000, 2_000, 100_000])
def test_deep_json_bodies_are_400(server, path, method, depth):
    body = '{"document": ' + "[" * depth + "]" * depth + "}"
    r = requests.request(method, server.base + path.format(f=HEALTHY), data=body, headers=J, timeout=HTTP_TIMEOUT)
    assert attempt("deep JSON bodies", r.status_code == 400), (r.status_code, r.text[:200])


@pytest.mark.parametrize("pattern", ["a{99999999999}", "(" * 5000, "((((a{100}){100}){100}){100})", "(" * 900 + ")" * 900])
def test_hostile_regexes_in_drafts_and_validate_requests_are_problems(server, pattern):
    flow = requests.get(f"{server.base}/api/flows/{HEALTHY}", timeout=HTTP_TIMEOUT).json()
    doc = json.loads(REGEX_FLOW.replace("{{", "{").replace("}}", "}") and json.dumps(flow["document"]))
    split = next(w for w in doc["widgets"] if w["type"] == "split-based-on")
    split["transitions"]["match"][0]["conditions"] = [{"type": "regex", "value": pattern}]
    r = requests.post(f"{server.base}/api/flows/{HEALTHY}/validate", json={"document": doc}, timeout=HTTP_TIMEOUT)
    ok = r.status_code == 200 and "invalid_regex" in [i["code"] for i in r.json()["issues"]]
    assert attempt("hostile regexes", ok), r.text[:300]
    draft = requests.put(f"{server.base}/api/flows/{HEALTHY}/draft", timeout=HTTP_TIMEOUT,
                         json={"document": doc, "version": (flow["draft"] or {}).get("version", 0),
                               "base_revision": flow["published"]["id"]})
    assert attempt("hostile regexes", draft.status_code == 200), draft.text[:300]
    requests.delete(f"{server.base}/api/flows/{HEALTHY}/draft", timeout=HTTP_TIMEOUT)
    assert still_serves(server)


@pytest.mark.parametrize("body", ["{{" * 100_000, "{{" * 1_000 + "x" * 20_000, "{{ " + "(" * 5_000 + "1" + ")" * 5_000 + " }}"],
                         ids=["open-100k", "open-1000-then-text", "deep-parens"])
def test_liquid_that_stalled_the_parser_is_a_problem_at_once(server, body):
    """Before: more than a minute, 14 s and 0.6 s per value in python-liquid's lexer."""
    flow = requests.get(f"{server.base}/api/flows/{HEALTHY}", timeout=HTTP_TIMEOUT).json()
    doc = json.loads(json.dumps(flow["document"]))
    sender = next(w for w in doc["widgets"] if w["type"] == "send-message")
    sender["properties"]["body"] = body
    r = requests.post(f"{server.base}/api/flows/{HEALTHY}/validate", json={"document": doc}, timeout=HTTP_TIMEOUT)
    ok = r.status_code == 200 and "liquid_syntax" in [i["code"] for i in r.json()["issues"]]
    assert attempt("hostile Liquid", ok and r.elapsed.total_seconds() < 5), (r.status_code, r.elapsed)


# ---------------------------------------------------------------- web pages that drive the server


@pytest.mark.parametrize("method, path", [("post", "/api/flows"), ("get", f"/api/flows/{HEALTHY}/executions"),
                                          ("delete", f"/api/flows/{HEALTHY}"), ("get", "/"),
                                          ("get", "/socket.io/?EIO=4&transport=polling"),
                                          ("post", f"/webhooks/{HEALTHY}"), ("get", "/api/outbox")])
@pytest.mark.parametrize("host", ["rebind.attacker.example:{port}", "127.0.0.1.nip.example:{port}",
                                  "localhost.attacker.example", "x.y"])
def test_rebinding_host_names_are_refused(server, method, path, host):
    host = host.format(port=server.port)
    headers = {"Host": host, "Origin": f"http://{host}", "Sec-Fetch-Site": "same-origin"}
    r = requests.request(method, server.base + path, headers=headers, json={"id": "planted"}, timeout=HTTP_TIMEOUT)
    assert attempt("DNS rebinding", r.status_code == 400 and "FLOWSTUDIO_ALLOWED_HOSTS" in r.text), r.text[:200]
    assert not (server.flows / "planted.yaml").exists()
    assert (server.flows / f"{HEALTHY}.yaml").exists()


# ---------------------------------------------------------------- requests that answered 500


def raw(server, request: bytes) -> int:
    with socket.create_connection(("127.0.0.1", server.port), timeout=HTTP_TIMEOUT) as s:
        s.sendall(request)
        head = s.recv(4096).split(b"\r\n", 1)[0]
    return int(head.split()[1])


@pytest.mark.parametrize("path", ["/webhooks/" + HEALTHY, "/api/login", "/api/flows", "/nothing", "/healthz"])
@pytest.mark.parametrize("chunk", [b"zz", b"-1", b"0x10", b"5;ext=\x00", b"\xff", b"ffffffffffffffffffff"])
def test_malformed_chunked_bodies_are_400(server, path, chunk):
    status = raw(server, b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + chunk + b"\r\nabc\r\n0\r\n\r\n")
    assert attempt("malformed requests", 400 <= status < 500), status


@pytest.mark.parametrize("body", ["[1]", '"x"', "1", "null", "[]"])
def test_login_bodies_that_are_not_objects_are_400(server, body):
    r = requests.post(server.base + "/api/login", data=body, headers=J, timeout=HTTP_TIMEOUT)
    assert attempt("malformed requests", 400 <= r.status_code < 500), r.status_code


@pytest.mark.parametrize("widget", [{"name": {"a": 1}, "type": "send-message"}, {"name": "x", "type": ["a"]},
                                    {"name": ["n"], "type": {"t": 1}}, {"name": "y", "type": None},
                                    {"name": "z", "type": "send-message", "transitions": [[]]}, 7, None])
def test_malformed_widgets_are_problems_not_500(server, widget):
    flow = requests.get(f"{server.base}/api/flows/{HEALTHY}", timeout=HTTP_TIMEOUT).json()
    doc = {**flow["document"], "widgets": flow["document"]["widgets"] + [widget]}
    checks = [requests.post(f"{server.base}/api/flows/{HEALTHY}/validate", json={"document": doc}, timeout=HTTP_TIMEOUT)]
    saved = requests.put(f"{server.base}/api/flows/{HEALTHY}/draft", timeout=HTTP_TIMEOUT,
                         json={"document": doc, "version": (flow["draft"] or {}).get("version", 0),
                               "base_revision": flow["published"]["id"]})
    checks += [saved, requests.get(f"{server.base}/api/flows/{HEALTHY}", timeout=HTTP_TIMEOUT),
               requests.get(f"{server.base}/api/flows", timeout=HTTP_TIMEOUT),
               requests.get(f"{server.base}/api/flows/{HEALTHY}/diff?from=1&to=draft", timeout=HTTP_TIMEOUT),
               requests.post(f"{server.base}/api/flows/{HEALTHY}/publish", json={"version": 1, "message": "x"},
                             timeout=HTTP_TIMEOUT)]
    requests.delete(f"{server.base}/api/flows/{HEALTHY}/draft", timeout=HTTP_TIMEOUT)
    statuses = [r.status_code for r in checks]
    assert attempt("malformed requests", all(s < 500 for s in statuses)), statuses
    assert still_serves(server)


@pytest.mark.parametrize("path", [f"/api/flows/{HEALTHY}/revisions/99999999999999999999",
                                  f"/api/flows/{HEALTHY}/revisions/2147483648",
                                  f"/api/flows/{HEALTHY}/diff?from=99999999999999999999&to=1",
                                  f"/api/flows/{HEALTHY}/executions?limit=99999999999999999999",
                                  f"/api/flows/{HEALTHY}/executions/" + "x" * 5000,
                                  "/api/outbox?limit=-1"])
def test_out_of_range_numbers_and_ids_are_4xx(server, path):
    r = requests.get(server.base + path, timeout=HTTP_TIMEOUT)
    assert attempt("malformed requests", 400 <= r.status_code < 500), (r.status_code, r.text[:200])


def test_restoring_a_huge_revision_is_404(server):
    r = requests.post(f"{server.base}/api/flows/{HEALTHY}/revisions/99999999999999999999/restore",
                      json={"version": 0}, timeout=HTTP_TIMEOUT)
    assert attempt("malformed requests", r.status_code == 404), r.text


@pytest.mark.parametrize("field, value", [("From", "+1555\x00999"), ("MessageSid", "SM\x001"), ("Body", "hi\x00"),
                                          ("To", "+1\x00")])
def test_nul_in_webhook_fields_is_refused_and_not_stored(server, field, value):
    data = {"MessageSid": "SMnul" + field, "From": "+15555550777", "To": "+15555550100", "Body": "help",
            field: value}
    r = requests.post(f"{server.base}/webhooks/{HEALTHY}", data=data, timeout=HTTP_TIMEOUT)
    stored = [e.contact for e in server.store.executions(flow_id=HEALTHY) if "\x00" in e.contact]
    assert attempt("NUL bytes", r.status_code == 400 and not stored), (r.status_code, stored)


@pytest.mark.parametrize("query", ["execution=FN1%00&widget=x", "execution=%00", "widget=a%00b&execution=FN1"])
def test_nul_in_callback_parameters_is_refused(server, query):
    r = requests.post(f"{server.base}/webhooks/{HEALTHY}?{query}", timeout=HTTP_TIMEOUT,
                      data={"CallSid": "CA1", "From": "+15555550777", "To": "+15555550100"})
    assert attempt("NUL bytes", r.status_code == 400), r.status_code


def test_zz_the_server_survived_every_attack(server):
    """Last in this module: the same process answers, and the tally for the note."""
    assert still_serves(server, "+15555550998")
    assert server.proc.poll() is None
    rows = "\n".join(f"| {family} | {a} | {f} |" for family, (a, f) in ATTEMPTS.items())
    print(f"\n| attack family | attempts | failures |\n|---|---|---|\n{rows}")
    assert all(f == 0 for _, f in ATTEMPTS.values())
