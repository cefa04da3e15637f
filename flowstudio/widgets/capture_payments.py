"""Capture Payments: takes a card (or bank account) payment on the call with TwiML
`<Pay>`, through the account's Pay connector.

`<Pay>`'s action callback says how it went (`Result`); every parameter it posts becomes
an output (`widgets.<name>.PaymentConfirmationCode`, `.PaymentCardNumber`...). Twilio
posts card numbers masked (`xxxx-xxxx-xxxx-1111`) and never the security code; a
parameter that still looks like a full card number is masked here before it is stored
or logged, so step contexts and logs never hold one.
"""
import re

from ..engine import effects as fx
from ..engine.api import Outcome, Wait
from ..engine.state import WAIT_CALL
from ._speech import language
from .base import VOICE, VOICE_CATEGORY, Event, WidgetType, boolean, choice, integer, obj, text

# <Pay>'s Result -> the widget's event.
RESULTS = {
    "success": "success",
    "too-many-failed-attempts": "maxFailedAttempts",
    "payment-connector-error": "providerError",
    "internal-error": "providerError",
    "caller-interrupted-with-star": "payInterrupted",
    "caller-hung-up": "hangup",
    "validation-error": "validationError",
}
_CARD = re.compile(r"(?<![0-9])(?:[0-9][ -]?){12,19}(?![0-9])")


def mask(value: str) -> str:
    """A text with any run of 12-19 digits (a card or account number) masked but its
    last four digits."""
    def hide(match):
        digits = re.sub(r"[^0-9]", "", match.group(0))
        return "x" * (len(digits) - 4) + digits[-4:]
    return _CARD.sub(hide, value) if isinstance(value, str) else value


def enter(run) -> Outcome:
    """Answer `<Pay>` with the widget's settings and wait for its action callback."""
    security = run.properties.get("security_code")
    effect = fx.Pay(run.name, connector=run.text("payment_connector"), charge_amount=run.text("payment_amount"),
                    currency=run.text("currency"), payment_method=run.text("payment_method"),
                    token_type=run.text("payment_token_type"), valid_card_types=run.text("valid_card_types"),
                    security_code=None if security in (None, "") else run.flag("security_code", True),
                    postal_code=run.text("postal_code"), timeout=run.number("timeout", None),
                    max_attempts=run.number("max_attempts", None), language=run.text("language"),
                    description=run.text("description"), bank_account_type=run.text("bank_account_type"))
    return Outcome(effects=(effect,), wait=Wait(WAIT_CALL))


def resume(run, event) -> Outcome:
    """By `Result` (see RESULTS); a call that ended first is `hangup`."""
    params = {k: mask(v) for k, v in dict(getattr(event, "params", {})).items()}
    if getattr(event, "kind", "") == "callEnded":
        return Outcome(event="hangup", outputs=params)
    result = params.get("Result", "")
    return Outcome(event=RESULTS.get(result, "providerError"), outputs=params,
                   notes=() if result in RESULTS else (f"<Pay> ended with an unknown Result {result!r}",))


WIDGET = WidgetType(
    enter=enter,
    resume=resume,
    type="capture-payments",
    title="Capture Payments",
    category=VOICE_CATEGORY,
    channels=(VOICE,),
    description="Take a card or bank payment on the call through your Pay connector (Stripe...), or keep a "
                "token of the card for later.",
    properties=obj({
        "payment_connector": text("Pay connector", "The unique name of the Pay connector.", liquid=False,
                                  default="Default"),
        "payment_amount": text("Amount", "The amount to charge (e.g. 19.99); 0 or empty keeps a token only."),
        "currency": text("Currency", "e.g. usd.", default="usd"),
        "payment_method": choice("Payment method", ["credit-card", "ach-debit"], default="credit-card"),
        "payment_token_type": choice("Token type", ["one-time", "reusable", "payment-method"]),
        "valid_card_types": text("Card types", "Space-separated: visa mastercard amex...", liquid=False),
        "security_code": boolean("Ask for the security code", default=True),
        "postal_code": text("Ask for the postal code", "true, false, or the postal code itself.", liquid=False),
        "timeout": integer("Timeout", "Seconds to wait for the next key.", minimum=1, unit="seconds"),
        "max_attempts": integer("Max attempts", "Tries for each piece of information.", minimum=1, maximum=3),
        "language": language(description="The language of the card prompts."),
        "description": text("Description", "Sent to the connector with the payment."),
        "bank_account_type": choice("Bank account type", ["consumer-checking", "consumer-savings",
                                                          "commercial-checking"]),
    }),
    events=(
        Event("success", "Success", "The payment (or token) went through."),
        Event("maxFailedAttempts", "Max Failed Attempts", "The caller entered bad details too many times."),
        Event("providerError", "Provider Error", "The payment provider refused or failed."),
        Event("payInterrupted", "Pay Interrupted", "The caller pressed * to stop."),
        Event("hangup", "Hangup", "The caller hung up."),
        Event("validationError", "Validation Error", "The widget's settings were refused."),
    ),
    waits=True,
    # What <Pay> posts to its action URL (card number masked by Twilio).
    outputs=("Result", "PaymentConfirmationCode", "PaymentCardNumber", "PaymentCardType", "ExpirationDate",
             "PaymentToken", "ConnectorError", "PaymentError"),
    example={"name": "take_payment", "type": "capture-payments",
             "properties": {"payment_connector": "Default", "payment_amount": "19.99", "currency": "usd"},
             "transitions": {"success": None, "maxFailedAttempts": None, "providerError": None,
                             "payInterrupted": None, "hangup": None, "validationError": None}},
)
