"""`flowstudio twilio status/pull/push` (twilio_sync.py) against a Studio account.

Two Studio accounts stand in for Twilio's: a real `flowstudio serve` process answering
Studio's REST API v2 under /v2 (web/studio_api.py), and `tests/fake_studio.py`, a fake of
Twilio's Flows API written from Twilio's reference (paging, validation errors, 401, 429),
independent of FlowStudio's own. The commands talk to both through the official `twilio`
client over real HTTP exactly as to studio.twilio.com, with only `--studio-url` changed."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from twilio.rest import Client

from flowstudio import twilio_sync
from flowstudio.cli import main
from flowstudio.spec.sids import derived_flow_sid

from .fake_studio import TOO_MANY_REQUESTS, FakeStudio, error

from .web.test_server_process import REPO, clean_env, free_port, servers  # noqa: F401
from .web.test_studio_api import SURVEY

ACCOUNT = "AC" + "5" * 32
TOKEN = "sync-token"


@pytest.fixture
def studio(tmp_path, servers):  # noqa: F811 - the fixture imported above
    """A FlowStudio server standing in for a Studio account, holding the example flows."""
    remote = tmp_path / "remote"
    shutil.copytree(REPO / "flows", remote)
    port = free_port()
    env = clean_env(FLOWSTUDIO_DATA_DIR=str(tmp_path / "remote-data"), FLOWSTUDIO_STUDIO_ACCOUNT_SID=ACCOUNT,
                    FLOWSTUDIO_STUDIO_AUTH_TOKEN=TOKEN)
    server = servers([sys.executable, "-m", "flowstudio.cli", "serve", "--flows", remote, "--host", "127.0.0.1",
                      "--port", port], env, port)
    server.wait_ready()
    client = Client(ACCOUNT, TOKEN)
    client.studio.base_url = server.base
    server.client = client
    return server


@pytest.fixture
def local(tmp_path):
    folder = tmp_path / "local"
    folder.mkdir()
    return folder


def run(studio, local, *args, token=TOKEN):
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": token, "FLOWSTUDIO_TWILIO_STUDIO_URL": studio.base}
    return CliRunner().invoke(main, ["twilio", *args, "--flows", str(local)], env=env, catch_exceptions=False)


def states(studio, local) -> dict:
    result = run(studio, local, "status") if not isinstance(studio, FakeStudio) else on(studio, local, "status")
    assert result.exit_code == 0, result.output
    out = {}
    for line in result.stdout.splitlines():
        state, rest = line[:26].strip(), line[26:].split()
        out[rest[0] if rest[0] != "-" else rest[1]] = state
    return out


def test_pull_brings_every_published_flow_with_its_sid(studio, local):
    result = run(studio, local, "pull")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in local.glob("*.yaml"))
    assert files == sorted(p.name for p in (REPO / "flows").glob("*.yaml") if not p.name.endswith(".test.yaml"))
    router = yaml.safe_load((local / "keyword-router.yaml").read_text())
    assert router["sid"] == derived_flow_sid("keyword-router")
    # its Run Subflow names collect-email by the SID the pulled collect-email records: it resolves
    [subflow] = [w for w in router["widgets"] if w["type"] == "run-subflow"]
    assert subflow["properties"]["flow_sid"] == yaml.safe_load((local / "collect-email.yaml").read_text())["sid"]
    check = CliRunner().invoke(main, ["validate", str(local)])
    assert check.exit_code == 0, check.output
    assert set(states(studio, local).values()) == {"in sync"}
    record = json.loads((local / ".twilio-sync.json").read_text())
    assert derived_flow_sid("ivr-menu") in record["flows"]


def test_a_change_here_is_pushed_and_a_change_in_studio_is_pulled(studio, local):
    assert run(studio, local, "pull").exit_code == 0
    path = local / "appointment-confirmation.yaml"
    sid = derived_flow_sid("appointment-confirmation")
    path.write_text(path.read_text().replace("Bright Smile Dental", "Bright Smile Dentistry"))
    assert states(studio, local)["appointment-confirmation.yaml"] == "changed here"
    assert run(studio, local, "pull").exit_code == 1   # would overwrite the change: refused
    assert "Dentistry" in path.read_text()
    pushed = run(studio, local, "push")
    assert pushed.exit_code == 0, pushed.output
    remote = studio.client.studio.v2.flows(sid).fetch()
    assert "Bright Smile Dentistry" in json.dumps(remote.definition)
    assert states(studio, local)["appointment-confirmation.yaml"] == "in sync"

    # now Studio changes it
    changed = json.loads(json.dumps(remote.definition).replace("Bright Smile Dentistry", "Bright Smile Clinic"))
    studio.client.studio.v2.flows(sid).update(status="published", definition=changed)
    assert states(studio, local)["appointment-confirmation.yaml"] == "changed in Studio"
    assert run(studio, local, "push").exit_code == 1   # would overwrite Studio's change: refused
    assert run(studio, local, "pull", "appointment-confirmation").exit_code == 0
    assert "Bright Smile Clinic" in path.read_text()
    assert states(studio, local)["appointment-confirmation.yaml"] == "in sync"


def test_a_flow_changed_on_both_sides_needs_force(studio, local):
    assert run(studio, local, "pull").exit_code == 0
    sid = derived_flow_sid("sms-survey")
    path = local / "sms-survey.yaml"
    path.write_text(path.read_text().replace("Thank you", "Thanks a lot", 1))
    definition = studio.client.studio.v2.flows(sid).fetch().definition
    studio.client.studio.v2.flows(sid).update(status="published", definition=json.loads(
        json.dumps(definition).replace("Thank you", "Many thanks", 1)))
    assert states(studio, local)["sms-survey.yaml"] == "changed on both sides"
    refused = run(studio, local, "push", "sms-survey")
    assert refused.exit_code == 1 and "changed on both sides" in refused.stderr
    assert run(studio, local, "pull", sid).exit_code == 1
    forced = run(studio, local, "pull", "--force", sid)
    assert forced.exit_code == 0, forced.output
    assert "Many thanks" in path.read_text() and "Thanks a lot" not in path.read_text()


def test_push_creates_a_new_flow_and_records_its_sid_in_the_file(studio, local):
    from flowstudio.spec.studio import from_studio
    from flowstudio.spec.flowfile import dump_flow

    text = dump_flow(from_studio(SURVEY, "Wellness survey"))
    text = text.replace("spec_version: 1\n", "spec_version: 1\n# kept: a comment of ours\n", 1)
    (local / "wellness.yaml").write_text(text)
    assert states(studio, local)["wellness.yaml"] == "only here"
    result = run(studio, local, "push", "wellness")
    assert result.exit_code == 0, result.output
    saved = (local / "wellness.yaml").read_text()
    sid = yaml.safe_load(saved)["sid"]
    assert sid.startswith("FW") and "# kept: a comment of ours" in saved
    remote = studio.client.studio.v2.flows(sid).fetch()
    assert (remote.friendly_name, remote.status) == ("Wellness survey", "published")
    assert remote.definition["states"] == SURVEY["states"]
    assert states(studio, local)["wellness.yaml"] == "in sync"


def test_wrong_or_missing_credentials_say_what_to_set(studio, local):
    result = run(studio, local, "status", token="wrong")
    assert result.exit_code == 1 and "401" in result.output and "20003" in result.output
    bare = CliRunner().invoke(main, ["twilio", "status", "--flows", str(local)],
                              env={"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""})
    assert bare.exit_code == 1 and "TWILIO_ACCOUNT_SID" in bare.output


# ---------------------------------------------------------------- against a fake of Twilio's Studio API

API_KEY, API_SECRET = "SK" + "7" * 32, "key-secret"
DESCRIPTION = "description: |\n"


@pytest.fixture
def fake(httpserver):
    return FakeStudio(httpserver, ACCOUNT, TOKEN, api_key=API_KEY, api_secret=API_SECRET)


@pytest.fixture
def pauses(monkeypatch):
    """The pauses before retries, recorded instead of waited."""
    recorded = []
    monkeypatch.setattr(twilio_sync, "_pause", recorded.append)
    return recorded


@pytest.fixture
def project(tmp_path):
    """A flows folder with the example flows and their tests."""
    folder = tmp_path / "project" / "flows"
    shutil.copytree(REPO / "flows", folder)
    return folder


def on(fake, folder, *args, **env):
    base = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_KEY": "", "TWILIO_API_SECRET": "",
            "FLOWSTUDIO_TWILIO_STUDIO_URL": fake.base}
    return CliRunner().invoke(main, ["twilio", *args, "--flows", str(folder)], env={**base, **env},
                              catch_exceptions=False)


def sid_of(folder, flow_id):
    return yaml.safe_load((folder / f"{flow_id}.yaml").read_text()).get("sid")


def edit(folder, flow_id, words="Edited here."):
    """Change a flow's description (its tests still pass)."""
    path = folder / f"{flow_id}.yaml"
    path.write_text(path.read_text().replace(DESCRIPTION, f"{DESCRIPTION}  {words}\n", 1))


def snapshot(folder) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_push_creates_every_flow_children_first_and_pull_pages_them_back(httpserver, project, tmp_path):
    fake = FakeStudio(httpserver, ACCOUNT, TOKEN, max_page_size=2)   # 6 flows: 3 pages
    pushed = on(fake, project, "push")
    assert pushed.exit_code == 0, pushed.output
    assert len(fake.flows) == 6 and {f.latest.status for f in fake.flows.values()} == {"published"}
    router = fake.flows[sid_of(project, "keyword-router")]
    [subflow] = [s for s in router.latest.definition["states"] if s["type"] == "run-subflow"]
    assert subflow["properties"]["flow_sid"] == sid_of(project, "collect-email")   # created before its parent
    assert set(states(fake, project).values()) == {"in sync"}

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pulled = on(fake, elsewhere, "pull")
    assert pulled.exit_code == 0, pulled.output
    listed = [r for r in fake.requests if r["path"] == "/v2/Flows" and r["method"] == "GET"]
    assert any("PageToken" in r["args"] for r in listed)   # it followed next_page_url
    assert sorted(p.name for p in elsewhere.glob("*.yaml")) == sorted(p.name for p in project.glob("*.yaml")
                                                                      if not p.name.endswith(".test.yaml"))
    assert sid_of(elsewhere, "keyword-router") == sid_of(project, "keyword-router")
    check = CliRunner().invoke(main, ["validate", str(elsewhere)])   # the Run Subflow resolves by SID
    assert check.exit_code == 0 and "0 errors, 0 warnings" in check.output, check.output


def test_push_sends_nothing_when_a_flow_does_not_validate_or_a_flow_test_fails(fake, project):
    assert on(fake, project, "push").exit_code == 0
    sent = len(fake.writes())
    edit(project, "sms-survey")
    ivr = project / "ivr-menu.yaml"
    ivr.write_text(ivr.read_text().replace("next: ", "next: no_such_widget_", 1))
    tests = project / "appointment-confirmation.test.yaml"
    tests.write_text(tests.read_text().replace("Bright Smile Dental", "Another Practice", 1))
    edit(project, "appointment-confirmation")
    before = snapshot(project)
    refused = on(fake, project, "push")
    assert refused.exit_code == 1
    assert "ivr-menu.yaml: does not validate" in refused.stderr and "no_such_widget_" in refused.stderr
    assert "appointment-confirmation.test.yaml: test" in refused.stderr and "fails" in refused.stderr
    assert "nothing pushed" in refused.stderr
    assert len(fake.writes()) == sent and snapshot(project) == before   # not even sms-survey went


def test_push_runs_the_tests_of_the_flows_that_use_a_pushed_subflow(fake, project):
    assert on(fake, project, "push").exit_code == 0
    path = project / "collect-email.yaml"   # no tests of its own; keyword-router's tests run it
    path.write_text(path.read_text().replace("Hmm, that doesn''t look like", "Sorry, that is not", 1))
    refused = on(fake, project, "push", "collect-email")
    assert refused.exit_code == 1, refused.output
    assert "keyword-router.test.yaml: test 'the newsletter subflow collects an email' fails" in refused.stderr
    assert fake.flows[sid_of(project, "collect-email")].latest.number == 1


def test_push_draft_and_commit_message(fake, project):
    subprocess.run(["git", "init", "-q", str(project.parent)], check=True)
    subprocess.run(["git", "-C", str(project.parent), "add", "."], check=True)
    subprocess.run(["git", "-C", str(project.parent), "-c", "user.name=T", "-c", "user.email=t@example.com",
                    "commit", "-q", "-m", "Add the example flows\n\nA body that is not the subject."], check=True)
    assert on(fake, project, "push").exit_code == 0
    sid = sid_of(project, "sms-survey")
    assert fake.flows[sid].latest.commit_message == "Add the example flows"   # the last commit's subject
    edit(project, "sms-survey", "A draft.")
    drafted = on(fake, project, "push", "--draft", "-m", "Try a shorter survey", "sms-survey")
    assert drafted.exit_code == 0, drafted.output
    flow = fake.flows[sid]
    assert (flow.latest.status, flow.latest.commit_message) == ("draft", "Try a shorter survey")
    assert "A draft." in flow.latest.definition["description"]
    assert "A draft." not in flow.published().definition["description"]   # what runs is unchanged
    status = on(fake, project, "status")
    assert "pushed as a draft" in [line for line in status.stdout.splitlines() if "sms-survey" in line][0]
    assert json.loads((project / ".twilio-sync.json").read_text())["flows"][sid]["draft"] is True
    published = on(fake, project, "push", "sms-survey")
    assert published.exit_code == 0, published.output
    assert "A draft." in flow.published().definition["description"]
    assert "draft" not in json.loads((project / ".twilio-sync.json").read_text())["flows"][sid]
    assert states(fake, project)["sms-survey.yaml"] == "in sync"


def test_no_commit_message_outside_a_git_repository(fake, project):
    assert twilio_sync.last_commit_subject(project) is None
    assert on(fake, project, "push", "collect-email").exit_code == 0
    [create] = fake.writes()
    assert "CommitMessage" not in create["form"] and create["form"]["Status"] == "published"


def test_dry_run_shows_each_change_as_a_diff_and_sends_nothing(fake, project):
    from flowstudio.spec.flowfile import dump_flow
    from flowstudio.spec.studio import from_studio

    assert on(fake, project, "push").exit_code == 0
    sent = len(fake.writes())
    edit(project, "appointment-confirmation", "Now with a dry run.")
    (project / "wellness.yaml").write_text(dump_flow(from_studio(SURVEY, "Wellness survey")))
    before = snapshot(project)
    shown = on(fake, project, "push", "--dry-run")
    assert shown.exit_code == 0, shown.output
    sid = sid_of(project, "appointment-confirmation")
    assert f"--- Studio {sid} revision 1" in shown.stdout
    assert f"+++ {project / 'appointment-confirmation.yaml'}" in shown.stdout
    assert '+  "description": "Now with a dry run.\\nBright Smile Dental' in shown.stdout
    assert '-  "description": "Bright Smile Dental' in shown.stdout
    assert "new flow 'Wellness survey'" in shown.stdout
    assert "sms-survey" not in shown.stdout   # unchanged flows are not shown
    assert len(fake.writes()) == sent and snapshot(project) == before


def test_an_api_key_is_used_as_the_twilio_client_takes_it(fake, project):
    with_key = on(fake, project, "status", TWILIO_AUTH_TOKEN="", TWILIO_API_KEY=API_KEY, TWILIO_API_SECRET=API_SECRET)
    assert with_key.exit_code == 0, with_key.output
    assert {r["user"] for r in fake.requests} == {API_KEY}
    wrong = on(fake, project, "status", TWILIO_AUTH_TOKEN="", TWILIO_API_KEY=API_KEY, TWILIO_API_SECRET="nope")
    assert wrong.exit_code == 1 and "401" in wrong.output and "20003" in wrong.output
    half = on(fake, project, "status", TWILIO_API_KEY=API_KEY)
    assert half.exit_code == 1 and "TWILIO_API_SECRET" in half.output


def test_failures_are_reported_per_flow_and_the_others_go_on(fake, project, pauses):
    assert on(fake, project, "push").exit_code == 0
    record = json.loads((project / ".twilio-sync.json").read_text())
    collect, survey, appointment = (sid_of(project, i) for i in ("collect-email", "sms-survey",
                                                                  "appointment-confirmation"))
    for flow_id in ("collect-email", "sms-survey", "appointment-confirmation"):
        edit(project, flow_id)
    fake.fail(TOO_MANY_REQUESTS, times=2, method="POST", path=collect)          # retried, then it goes through
    fake.fail(error(401, 20003, "Authenticate"), method="POST", path=survey)     # this flow only
    fake.max_widgets = 11   # appointment-confirmation has 12: Studio refuses its definition
    result = on(fake, project, "push")
    assert result.exit_code == 1
    assert pauses == [1.0, 2.0]
    assert "published collect-email" in result.stdout
    assert "sms-survey.yaml: Studio answered 401 (code 20003)" in result.stderr
    assert "appointment-confirmation.yaml: Studio answered 400 (code 81022): Invalid Flow Definition: Flow has 12 " \
           "widgets, more than the limit of 11 (at #/states)" in result.stderr
    after = json.loads((project / ".twilio-sync.json").read_text())
    assert after["flows"][collect] != record["flows"][collect]   # recorded: it went through
    assert after["flows"][survey] == record["flows"][survey] and \
        after["flows"][appointment] == record["flows"][appointment]
    assert (fake.flows[survey].latest.number, fake.flows[appointment].latest.number) == (1, 1)
    status = on(fake, project, "status")
    assert "6 flows: 4 in sync (equal), 2 changed here (ahead of Studio), 0 changed in Studio (behind it)" \
        in status.stderr
    fake.change(collect, fake.flows[collect].latest.definition | {"description": "Changed in the Console."})
    status = on(fake, project, "status")
    assert "3 in sync (equal), 2 changed here (ahead of Studio), 1 changed in Studio (behind it)" in status.stderr


def test_a_rate_limit_that_lasts_is_reported_after_the_retries(fake, project, pauses):
    assert on(fake, project, "push").exit_code == 0
    edit(project, "sms-survey")
    fake.fail(TOO_MANY_REQUESTS, times=10, method="POST", path=sid_of(project, "sms-survey"))
    result = on(fake, project, "push", "sms-survey")
    assert result.exit_code == 1
    assert "Studio answered 429 (code 20429): Too Many Requests, still after 3 retries" in result.stderr
    assert pauses == [1.0, 2.0, 4.0]


def test_a_flow_that_cannot_be_read_is_reported_and_the_others_are_pulled(fake, tmp_path, pauses):
    from .web.test_studio_api import SURVEY as survey

    fake.add("Wellness survey", survey)
    broken = fake.add("Broken", survey)
    fake.fail(error(403, 20403, "Forbidden"), times=1, path=f"/Flows/{broken}/Revisions")
    folder = tmp_path / "pulled"
    folder.mkdir()
    result = on(fake, folder, "pull")
    assert result.exit_code == 1
    assert f"Broken ({broken}): Studio answered 403 (code 20403): Forbidden" in result.stderr
    assert [p.name for p in folder.glob("*.yaml")] == ["wellness-survey.yaml"]
    assert list(json.loads((folder / ".twilio-sync.json").read_text())["flows"]) != [broken]


def test_the_readme_ci_script_tests_then_pushes(fake, project):
    import os
    import re

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Keep running on Twilio, develop here"):]
    script = re.search(r"or the same as a plain script:\n\n```sh\n(.*?)```", section, re.S).group(1)
    job = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))   # the GitHub Actions job
    runs = [step.get("run", "") for step in job["jobs"]["flows"]["steps"]]
    assert runs.index("flowstudio test flows") < runs.index("flowstudio twilio push")
    assert {"fetch-depth": 0} == job["jobs"]["flows"]["steps"][0]["with"]
    env = {**os.environ, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_KEY": "",
           "TWILIO_API_SECRET": "", "FLOWSTUDIO_TWILIO_STUDIO_URL": fake.base,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["sh", "-e", "-c", script], cwd=project.parent, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed, 0 failed" in done.stdout and len(fake.flows) == 6
    tests = project / "sms-survey.test.yaml"   # a failing flow test stops the script before the push
    tests.write_text(tests.read_text().replace("How would you rate", "How do you rate", 1))
    edit(project, "sms-survey")
    sent = len(fake.writes())
    failed = subprocess.run(["sh", "-e", "-c", script], cwd=project.parent, env=env, capture_output=True, text=True,
                            timeout=300)
    assert failed.returncode == 1 and "FAIL" in failed.stdout
    assert len(fake.writes()) == sent


def test_a_name_that_is_no_flow_is_reported_and_a_rate_limited_list_is_retried(fake, project, pauses):
    fake.fail(TOO_MANY_REQUESTS, times=1, method="GET", path="/v2/Flows")
    result = on(fake, project, "push", "collect-email", "colect-email")
    assert result.exit_code == 1
    assert pauses == [1.0]   # the list was answered 429 once, then again
    assert "colect-email: no flow of that id or name here nor of that SID or name in Studio" in result.stderr
    assert "created collect-email" in result.stdout
    pulled = on(fake, project, "pull", "FW" + "0" * 32)
    assert pulled.exit_code == 1 and f"FW{'0' * 32}: no flow of that id" in pulled.stderr


def test_a_studio_that_does_not_answer_in_time_is_reported(fake, project, monkeypatch):
    monkeypatch.setattr(twilio_sync, "TIMEOUT", 0.2)
    fake.delay = 1.0
    result = on(fake, project, "status")
    assert result.exit_code == 1 and "cannot reach Studio" in result.output and "timed out" in result.output


def git(folder, *args):
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


def test_a_push_from_a_checkout_whose_record_was_not_committed_is_no_change_in_studio(fake, project):
    """CI pushes from a fresh checkout and throws its workspace away: the record it wrote is
    lost. Studio then holds an earlier committed version of the file, which is no change in Studio."""
    git(project.parent, "init", "-q")
    assert on(fake, project, "push").exit_code == 0
    git(project.parent, "add", ".")
    git(project.parent, "commit", "-q", "-m", "Flows pushed to Studio")
    sid = sid_of(project, "sms-survey")
    record = project / ".twilio-sync.json"

    edit(project, "sms-survey", "First change.")
    git(project.parent, "commit", "-q", "-am", "First change")
    first = on(fake, project, "push")                       # CI, run 1
    assert first.exit_code == 0 and "published sms-survey" in first.stdout, first.output
    git(project.parent, "checkout", "-q", "--", str(record))   # its workspace is gone

    edit(project, "sms-survey", "Second change.")
    git(project.parent, "commit", "-q", "-am", "Second change")
    line = [x for x in on(fake, project, "status").stdout.splitlines() if "sms-survey" in x][0]
    assert line.startswith("changed here") and "earlier committed version" in line
    second = on(fake, project, "push")                      # CI, run 2
    assert second.exit_code == 0, second.output
    assert "Second change." in fake.flows[sid].published().definition["description"]
    git(project.parent, "checkout", "-q", "--", str(record))

    fake.change(sid, fake.flows[sid].latest.definition | {"description": "Changed in the Console."})
    edit(project, "sms-survey", "Third change.")
    git(project.parent, "commit", "-q", "-am", "Third change")
    third = on(fake, project, "push")                       # a real change in Studio is still seen
    assert third.exit_code == 1 and "sms-survey.yaml: changed on both sides" in third.stderr
    assert fake.flows[sid].published().definition["description"] == "Changed in the Console."


def test_push_does_not_create_a_second_flow_of_a_name_studio_has(fake, project):
    assert on(fake, project, "push", "collect-email").exit_code == 0
    [sid] = fake.flows
    path = project / "collect-email.yaml"
    path.write_text(path.read_text().replace(f"sid: {sid}\n", ""))   # a checkout that never got the SID
    (project / ".twilio-sync.json").unlink()
    refused = on(fake, project, "push", "collect-email")
    assert refused.exit_code == 1
    assert f"Studio already has a flow named 'collect-email' ({sid})" in refused.stderr
    assert list(fake.flows) == [sid] and sid not in path.read_text()
    forced = on(fake, project, "push", "--force", "collect-email")
    assert forced.exit_code == 0 and len(fake.flows) == 2


def test_pull_takes_studio_names(fake, tmp_path):
    from .web.test_studio_api import SURVEY as survey

    fake.add("Wellness survey", survey)
    other = fake.add("Other survey", survey)
    folder = tmp_path / "pulled"
    folder.mkdir()
    result = on(fake, folder, "pull", "Wellness survey")
    assert result.exit_code == 0, result.output
    assert [p.name for p in folder.glob("*.yaml")] == ["wellness-survey.yaml"]
    assert on(fake, folder, "pull", other).exit_code == 0
    assert sorted(p.name for p in folder.glob("*.yaml")) == ["other-survey.yaml", "wellness-survey.yaml"]
