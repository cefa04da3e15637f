"""Finding a Studio definition inside a file that is not JSON (spec/studiotext.py)."""
from flowstudio.spec.studiotext import embedded_definition

DEFINITION = '{"description": "d", "states": [{"name": "Trigger", "type": "trigger"}], "initial_state": "Trigger"}'


def test_the_first_object_holding_states_is_read_with_its_line():
    text = 'const a = {"b": 1};\n// {not json}\nconst flow = ' + DEFINITION + ";\n"
    assert embedded_definition(text) == ({"description": "d", "states": [{"name": "Trigger", "type": "trigger"}],
                                          "initial_state": "Trigger"}, 3)


def test_a_flow_resource_stays_whole_and_other_wrappers_give_the_definition():
    resource = embedded_definition('update({"sid": "FW1", "definition": ' + DEFINITION + "})")[0]
    assert resource["sid"] == "FW1" and resource["definition"]["initial_state"] == "Trigger"
    nested = embedded_definition('x = {"flows": [{"spec": ' + DEFINITION + "}]}")[0]
    assert nested["initial_state"] == "Trigger"


def test_javascript_literals_and_hcl_are_not_guessed_at():
    assert embedded_definition("module.exports = {states: [], initial_state: 'Trigger'}") is None
    assert embedded_definition('definition = jsonencode({"states" : [{"name" : var.name}]})') is None
