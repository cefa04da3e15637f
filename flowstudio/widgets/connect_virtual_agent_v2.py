"""Connect Virtual Agent (v2): Studio's Dialogflow CX version of connect_virtual_agent.py,
with session parameters; it runs the same way."""
from .connect_virtual_agent import widget

WIDGET = widget("connect-virtual-agent-v2", "Connect Virtual Agent",
                "Let a Google Dialogflow CX virtual agent talk with the caller.", True)
