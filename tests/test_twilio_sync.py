"""`flowstudio twilio status/pull/push` (twilio_sync.py) against a Studio account.

The Studio account is a real `flowstudio serve` process answering Studio's REST API v2
under /v2 (web/studio_api.py): the commands talk to it through the official `twilio`
client exactly as to studio.twilio.com, with only `--studio-url` changed."""
import json
import shutil
import sys

import pytest
import yaml
from click.testing import CliRunner
from twilio.rest import Client

from flowstudio.cli import main
from flowstudio.spec.sids import derived_flow_sid

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
    result = run(studio, local, "status")
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
