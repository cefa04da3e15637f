"""Finding a Studio definition inside a file that is not JSON (spec/studiotext.py)."""
from flowstudio.spec.studiotext import LITERAL_MAX_CHARS, embedded_definition, literal_definition

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


def test_a_plain_javascript_object_is_read_and_code_is_not():
    text = "// asset\nconst flow = {\n  description: 'd', // why\n  states: [{name: 'Trigger', type: 'trigger',},],\n};"
    assert literal_definition(text) == ({"description": "d", "states": [{"name": "Trigger", "type": "trigger"}]}, 2)
    assert literal_definition("const flow = {states: [{name: base + 'x'}]};") is None
    assert literal_definition('definition = jsonencode({"states" : [{"name" : var.name}]})') is None


def test_braces_in_strings_and_comments_do_not_end_the_object():
    text = "x = {states: [{name: 'a}', say: \"{{flow.data.x}}\" /* } */}], // }\n initial_state: 'a'}"
    assert literal_definition(text)[0]["states"][0] == {"name": "a}", "say": "{{flow.data.x}}"}


def test_a_large_text_is_not_read_as_javascript():
    filler = "// " + "x" * LITERAL_MAX_CHARS + "\n"
    assert literal_definition(filler + "f = {states: []}") is None
