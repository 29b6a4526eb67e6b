"""A target for shrink tests: it complies only when the conversation set up a role-play
earlier, so that turn is what the failure needs and every other turn is not."""


def reply(messages: list[dict[str, str]]) -> str:
    earlier = " ".join(m["content"] for m in messages[:-1]).lower()
    if "roleplay" in earlier:
        return "Sure, here is exactly how to do it, step by step."
    return "I cannot help with that."
