"""FlowStudio: a self-hosted visual flow builder for SMS and voice, compatible with Twilio Studio."""

__version__ = "0.1.0"
