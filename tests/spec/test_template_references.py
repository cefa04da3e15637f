"""The variables a template reads, as the validator's variable checks see them: the fast
reading of simple outputs agrees with python-liquid's static analysis."""
import pytest
from liquid import Environment

from flowstudio.spec.templates import references

TEMPLATES = [
    "{{widgets.ask.inbound.Body | downcase}}",
    "{{ flow.variables.count | plus: 1 }}",
    "a {{x}} b {{widgets.h.parsed.items[0].name}}",
    "{{-widgets.x.y-}}",
    "{{ trigger.message.Body | split: ',' | first }}",
    "{{ flow.data.a | default: \"none\" }}",
    "{{ flow.variables.a | replace: 'a', 'b' }}",
    "{{ true }} {{ nil }} {{ empty }}",
    "{{ 'now' | date: '%H:%M' }}",
    "{{ a | plus: b }}",
    "{{ widgets[\"x\"].y }}",
    "{% assign n = widgets.count.x %}{{ n }}{{ SpeechResult }}",
    "{% for i in widgets.list.parsed.items %}{{ i.name }}{{ forloop.index }}{% endfor %}",
    "{% if flow.variables.a == 'x' and Digits %}yes{% endif %}",
    "no template at all",
]


def analysed(source: str) -> tuple:
    found = [v for uses in Environment().from_string(source).analyze().globals.values() for v in uses]
    return tuple(tuple(v.segments) for v in sorted(found, key=lambda v: v.span.index))


@pytest.mark.parametrize("source", TEMPLATES)
def test_references_agree_with_liquid_static_analysis(source):
    assert references(source) == analysed(source)


def test_references_in_order_of_writing():
    assert references("{{ SpeechResult }}{{ Digits }}{{ widgets.a.b }}") == (
        ("SpeechResult",), ("Digits",), ("widgets", "a", "b"))
