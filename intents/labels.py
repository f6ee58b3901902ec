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
