"""JSON text from outside (an HTTP answer, a webhook's field, a rendered template),
nested past Python's recursion limit: kept as the text it is, or the widget's error,
never a RecursionError that fails the whole turn (and answers the webhook 500)."""
from types import SimpleNamespace

import pytest

from flowstudio.engine import jsontext
from flowstudio.engine.api import WidgetError
from flowstudio.engine.context import webhook_fields
from flowstudio.widgets import _http, connect_virtual_agent, send_to_flex, set_variables

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a": ' + DEEP + "}"
SHALLOW = '{"a": ' + "[" * 200 + "]" * 200 + "}"


def test_loads_outside_refuses_deep_json_as_a_value_error():
    for text in (DEEP, DEEP_OBJECT, "[" * 300 + "]" * 300):
        with pytest.raises(ValueError, match="levels deep"):
            jsontext.loads_outside(text)
    assert isinstance(jsontext.loads_outside(SHALLOW)["a"][0][0], list)   # 201 levels: fine


def test_an_http_answer_nested_thousands_deep_is_a_body_without_parsed():
    outcome = _http.http_outcome({"status_code": 200, "content_type": "application/json", "body": DEEP_OBJECT},
                                 "success", "failed")
    assert outcome.event == "success" and "parsed" not in outcome.outputs
    assert outcome.outputs["body"] == DEEP_OBJECT


def test_webhook_json_fields_nested_thousands_deep_stay_text():
    assert webhook_fields({"Attributes": DEEP_OBJECT, "Media": DEEP})["Media"] == DEEP


def test_set_variables_keeps_deep_json_as_text():
    assert set_variables.parsed(DEEP) == DEEP


def test_virtual_agent_data_nested_thousands_deep_stays_text():
    event = SimpleNamespace(params={"VirtualAgentProviderData": DEEP_OBJECT, "VirtualAgentStatus": "completed"})
    outcome = connect_virtual_agent.resume(SimpleNamespace(), event)
    assert outcome.outputs["VirtualAgentProviderData"] == DEEP_OBJECT


def test_flex_attributes_nested_thousands_deep_are_the_widgets_error():
    run = SimpleNamespace(text=lambda name: DEEP_OBJECT)
    with pytest.raises(WidgetError, match="levels deep"):
        send_to_flex.attributes(run)
