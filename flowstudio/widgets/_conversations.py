"""Where an execution's Conversation is (not a widget: the registry skips `_` modules)."""


def _outputs(state):
    for frame in state.frames:
        for outputs in (frame.context.get("widgets") or {}).values():
            if isinstance(outputs, dict):
                yield outputs


def conversation_of(state) -> str:
    """The Conversation this execution runs in: the trigger's, or one Start
    Conversation created (its `ConversationSid` output)."""
    trigger = state.frames[0].context.get("trigger") or {} if state.frames else {}
    sid = (trigger.get("conversation") or {}).get("ConversationSid")
    if sid:
        return str(sid)
    return next((o["ConversationSid"] for o in _outputs(state) if str(o.get("ConversationSid", "")).startswith("CH")),
                "")


def conversation_service(state) -> str:
    """The Conversation service (IS…) of the execution's Conversation, when it is not the
    account's default one: the trigger's `ChatServiceSid`, or Start Conversation's."""
    trigger = state.frames[0].context.get("trigger") or {} if state.frames else {}
    sid = (trigger.get("conversation") or {}).get("ChatServiceSid")
    if sid:
        return str(sid)
    return next((o["ChatServiceSid"] for o in _outputs(state) if o.get("ChatServiceSid")), "")
