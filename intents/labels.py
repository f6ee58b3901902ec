"""The fixed intent ids (used by `madoguchi ask`, analytics and the dev set)."""

INTENTS = (
    "volunteer",
    "founding",
    "dissolution",
    "partnering",
    "booking",
    "human",
    "centre_info",
    "crisis",
    "out_of_scope",
    "greeting",
)
TOPIC_INTENTS = ("volunteer", "founding", "dissolution", "partnering", "centre_info")
# The knowledge-base topic whose entries answer an intent, where it is not the intent itself: where to turn
# elsewhere is a referral entry, and how consultations are booked is the centre's own information.
FITTING_TOPIC = {"out_of_scope": "referral", "booking": "centre_info"}


def topic_fits(intent: str, topic: str) -> bool:
    """Whether an entry of `topic` is the kind of answer a message of `intent` wants."""
    return topic == FITTING_TOPIC.get(intent, intent)
