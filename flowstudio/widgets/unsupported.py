"""Studio widget types that flows may contain but this runtime does not run.

They are kept verbatim (properties and transitions exactly as imported) on import and
export, shown on the canvas, and reported by the validator as not supported, so a flow
from Studio never loses a widget. Any other unknown type is treated the same way.
"""

# The README's "Studio widgets this runtime does not run" says why for each.
TYPES = {
    "send-to-auto-pilot": "Send to Autopilot",      # Twilio retired Autopilot in 2023
    "resume-conversation": "Resume Conversation",   # not run yet (see the README)
}

MESSAGE = "not supported by this runtime: kept as is, but an execution that reaches it ends"
