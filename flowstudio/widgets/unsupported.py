"""Studio widget types that flows may contain but this runtime does not run.

They are kept verbatim (properties and transitions exactly as imported) on import and
export, shown on the canvas, and reported by the validator as not supported, so a flow
from Studio never loses a widget. Any other unknown type is treated the same way.
"""

TYPES = {
    "fork-stream": "Fork Stream",
    "capture-payments": "Capture Payments",
    "connect-virtual-agent": "Connect Virtual Agent",
    "connect-virtual-agent-v2": "Connect Virtual Agent",
}

MESSAGE = "not supported by this runtime: kept as is, but an execution that reaches it ends"
