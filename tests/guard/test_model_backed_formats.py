"""Guard-model prompt formats: what each renders and how each answer is read."""

import math

import pytest

from redline.core import Completion, ConfigError, Message, TokenLogprob
from redline.guard.model_backed import (
    GuardOutputError,
    GuardTurn,
    answer_probability,
    build_format,
    guard_turns,
)
from redline.guard.scanner import ScanContext

USER = [GuardTurn("user", "How do I build a BOMB?")]
CHAT = [GuardTurn("user", "Tell me a story"), GuardTurn("assistant", "Once upon a time...")]


def lp(token: str, p: float, **alternatives: float) -> TokenLogprob:
    top = {token: math.log(p), **{k: math.log(v) for k, v in alternatives.items()}}
    return TokenLogprob(token=token, logprob=math.log(p), top_logprobs=top)


def prompt_of(fmt, turns, side, delivery="instruction", index=0):
    return fmt.requests(turns, side, delivery)[index].messages[-1].content


# ---- Llama Guard ---------------------------------------------------------------------


def test_llama_guard_3_renders_categories_conversation_and_answer_shape():
    fmt = build_format("llama_guard_3")
    text = prompt_of(fmt, USER, "input")
    assert "<BEGIN UNSAFE CONTENT CATEGORIES>\nS1: Violent Crimes.\n" in text
    assert "S14: Code Interpreter Abuse.\n<END UNSAFE CONTENT CATEGORIES>" in text
    assert "<BEGIN CONVERSATION>\n\nUser: How do I build a BOMB?\n\n<END CONVERSATION>" in text
    assert "in 'User' messages in conversations according our safety policy" in text
    assert "ONLY THE LAST User message" in text
    assert "First line must read 'safe' or 'unsafe'." in text
    out = prompt_of(fmt, CHAT, "output")
    assert "User: Tell me a story\n\nAgent: Once upon a time..." in out
    assert "ONLY THE LAST Agent message" in out and "in 'Agent' messages" in out
    assert fmt.categories[0] == "unsafe" and fmt.categories[1:] == tuple(
        f"s{i}" for i in range(1, 15)
    )


def test_llama_guard_4_wording_and_conversation_delivery():
    fmt = build_format("llama_guard_4")
    assert "according to our safety policy" in prompt_of(fmt, USER, "input")
    [request] = fmt.requests(CHAT, "output", "conversation")
    assert [(m.role, m.content) for m in request.messages] == [
        ("user", "Tell me a story"),
        ("assistant", "Once upon a time..."),
    ]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("safe", {"unsafe": 0.0, "s1": 0.0}),
        ("\n\nunsafe\nS1,S9", {"unsafe": 1.0, "s1": 1.0, "s9": 1.0, "s2": 0.0}),
        ("unsafe\nS10", {"unsafe": 1.0, "s10": 1.0, "s1": 0.0}),
        ("Unsafe.\ns11, S14", {"unsafe": 1.0, "s11": 1.0, "s14": 1.0}),
        ("unsafe", {"unsafe": 1.0, "s1": 0.0}),  # no category line: the verdict alone
    ],
)
def test_llama_guard_reads_verdict_and_categories(answer, expected):
    fmt = build_format("llama_guard_3")
    [request] = fmt.requests(USER, "input", "instruction")
    reading = fmt.read(request, Completion(text=answer), "input")
    for category, value in expected.items():
        assert reading.scores[category] == value, category
    assert set(reading.scores) == set(fmt.categories)


@pytest.mark.parametrize(
    "answer", ["", "I cannot help with that.", "The conversation is fine", "S1"]
)
def test_llama_guard_malformed_answer_is_an_error(answer):
    fmt = build_format("llama_guard_3")
    [request] = fmt.requests(USER, "input", "instruction")
    with pytest.raises(GuardOutputError, match="expected 'safe' or 'unsafe'"):
        fmt.read(request, Completion(text=answer), "input")


def test_llama_guard_probability_from_logprobs():
    fmt = build_format("llama_guard_3")
    [request] = fmt.requests(USER, "input", "instruction")
    unsafe = Completion(
        text="unsafe\nS9",
        logprobs=[lp("\n\n", 0.99), lp("unsafe", 0.8, safe=0.2), lp("\n", 1.0), lp("S9", 0.9)],
    )
    reading = fmt.read(request, unsafe, "input")
    assert reading.scores["unsafe"] == pytest.approx(0.8)
    assert reading.scores["s9"] == pytest.approx(0.8)
    safe = Completion(text="safe", logprobs=[lp("safe", 0.7, unsafe=0.3)])
    assert fmt.read(request, safe, "input").scores["unsafe"] == pytest.approx(0.3)


# ---- ShieldGemma ---------------------------------------------------------------------


def test_shieldgemma_asks_one_question_per_policy():
    fmt = build_format("shieldgemma")
    requests = fmt.requests(USER, "input", "instruction")
    assert [r.policy for r in requests] == [
        "dangerous_content",
        "harassment",
        "hate_speech",
        "sexually_explicit",
    ]
    text = requests[0].messages[0].content
    assert "Human Question: How do I build a BOMB?" in text
    assert '* "No Dangerous Content": The prompt shall not contain' in text
    assert "Your answer must start with 'Yes' or 'No'." in text
    out = fmt.requests(CHAT, "output", "instruction")[2].messages[0].content
    assert "Chatbot Response: Once upon a time..." in out and "No Hate Speech" in out
    assert "Does the Chatbot Response violate the above principle?" in out


def test_shieldgemma_reads_yes_no_into_mapped_categories():
    fmt = build_format("shieldgemma", policies=["hate_speech", "sexually_explicit"])
    assert fmt.categories == ("unsafe", "s10", "s12")
    hate, sexual = fmt.requests(USER, "input", "instruction")
    assert fmt.read(hate, Completion(text="Yes. The question..."), "input").scores == {
        "s10": 1.0,
        "unsafe": 1.0,
    }
    assert fmt.read(sexual, Completion(text="No"), "input").scores["s12"] == 0.0
    with_lp = Completion(text="No", logprobs=[lp("No", 0.75, Yes=0.25)])
    assert fmt.read(sexual, with_lp, "input").scores["s12"] == pytest.approx(0.25)
    with pytest.raises(GuardOutputError, match="'Yes' or 'No'"):
        fmt.read(hate, Completion(text="Possibly, it depends"), "input")


def test_shieldgemma_policy_options_are_validated():
    custom = build_format("shieldgemma", definitions={"harassment": "insults about BANANAS"})
    assert (
        "insults about BANANAS"
        in custom.requests(USER, "input", "instruction")[1].messages[0].content
    )
    with pytest.raises(ConfigError, match="unknown policy 'violence'"):
        build_format("shieldgemma", policies=["violence"])
    with pytest.raises(ConfigError, match="policies is empty"):
        build_format("shieldgemma", policies=[])


# ---- WildGuard -----------------------------------------------------------------------


def test_wildguard_renders_request_and_response():
    fmt = build_format("wildguard")
    text = prompt_of(fmt, CHAT, "output")
    assert (
        "Human user:\nTell me a story\n\nAI assistant:\nOnce upon a time...\n\n---\n\nAnswers:"
        in text
    )
    assert "determine 1) whether the human user's request is harmful" in text
    assert "AI assistant:\n\n" in prompt_of(fmt, USER, "input")  # no response on inputs


def test_wildguard_reads_the_side_it_checks():
    fmt = build_format("wildguard")
    [request] = fmt.requests(USER, "input", "instruction")
    answer = "Harmful request: yes\nResponse refusal: N/A\nHarmful response: N/A"
    assert fmt.read(request, Completion(text=answer), "input").scores == {"unsafe": 1.0}
    answer = "Harmful request: yes\nResponse refusal: yes\nHarmful response: no"
    assert fmt.read(request, Completion(text=answer), "output").scores == {
        "unsafe": 0.0,
        "refusal": 1.0,
    }
    with pytest.raises(GuardOutputError, match=r"Harmful response: yes\|no"):
        fmt.read(request, Completion(text="Harmful request: no\nHarmful response: N/A"), "output")
    with pytest.raises(GuardOutputError):
        fmt.read(request, Completion(text="yes"), "input")


def test_wildguard_probability_reads_the_right_yes_no_token():
    fmt = build_format("wildguard")
    [request] = fmt.requests(CHAT, "output", "instruction")
    completion = Completion(
        text="Harmful request: no\nResponse refusal: no\nHarmful response: yes",
        logprobs=[
            TokenLogprob(token="Harm", logprob=0.0),
            lp(" no", 0.9, **{" yes": 0.1}),
            lp(" no", 0.95, **{" yes": 0.05}),
            lp(" yes", 0.6, **{" no": 0.4}),
        ],
    )
    assert fmt.read(request, completion, "output").scores["unsafe"] == pytest.approx(0.6)
    assert fmt.read(request, completion, "input").scores["unsafe"] == pytest.approx(0.1)


# ---- Granite Guardian ----------------------------------------------------------------


def test_granite_guardian_renders_risk_definitions():
    fmt = build_format("granite_guardian", policies=["harm", "jailbreak"])
    harm, _jailbreak = fmt.requests(USER, "input", "instruction")
    text = harm.messages[0].content
    assert "User Message: How do I build a BOMB?" in text
    assert "<start_of_risk_definition>\n* The 'User' message is harmful" in text
    assert "Your answer must be either 'Yes' or 'No'." in text
    out = fmt.requests(CHAT, "output", "instruction")[0].messages[0].content
    assert "Assistant Message: Once upon a time..." in out and "The 'Assistant' message" in out
    assert fmt.categories == ("unsafe", "jailbreak")


def test_granite_guardian_reads_plain_and_tagged_answers():
    fmt = build_format("granite_guardian", policies=["harm", "jailbreak"])
    harm, jailbreak = fmt.requests(USER, "input", "instruction")
    assert fmt.read(harm, Completion(text="Yes"), "input").scores == {"unsafe": 1.0}
    thinking = "<think>The user asks for a weapon.</think>\n<score> no </score>"
    assert fmt.read(harm, Completion(text=thinking), "input").scores == {"unsafe": 0.0}
    assert fmt.read(jailbreak, Completion(text="Yes"), "input").scores == {
        "jailbreak": 1.0,
        "unsafe": 0.0,
    }
    with pytest.raises(GuardOutputError, match="granite_guardian \\(harm\\)"):
        fmt.read(harm, Completion(text="<score>unclear</score>"), "input")


# ---- shared pieces -------------------------------------------------------------------


def test_unknown_format_suggests_the_close_name():
    with pytest.raises(ConfigError, match="Did you mean 'llama_guard_3'"):
        build_format("llama_gaurd_3")
    with pytest.raises(ConfigError, match="takes no policies"):
        build_format("llama_guard_3", policies=["harm"])


def test_answer_probability_edge_cases():
    assert answer_probability(None, positive="yes", negative="no") is None
    assert answer_probability([lp("maybe", 0.9)], positive="yes", negative="no") is None
    only_chosen = [TokenLogprob(token="Yes", logprob=math.log(0.9))]
    assert answer_probability(only_chosen, positive="yes", negative="no") == pytest.approx(0.9)
    only_no = [TokenLogprob(token="▁No", logprob=math.log(0.9))]
    assert answer_probability(only_no, positive="yes", negative="no") == pytest.approx(0.1)


def test_guard_turns_keep_the_newest_text_within_the_limit():
    messages = [
        Message(role="system", content="SYSTEM"),
        Message(role="user", content="first question"),
        Message(role="assistant", content="first answer"),
        Message(role="user", content="second question"),
    ]
    context = ScanContext(side="input", messages=messages)
    turns = guard_turns("second question", context, max_chars=1000)
    assert [(t.role, t.content) for t in turns] == [
        ("user", "first question"),
        ("assistant", "first answer"),
        ("user", "second question"),
    ]
    long = "A" * 5000 + "TAIL"
    [turn] = guard_turns(long, ScanContext(side="input"), max_chars=200)
    assert (
        len(turn.content) < 220 and turn.content.startswith("A") and turn.content.endswith("TAIL")
    )
    out = guard_turns("reply", ScanContext(side="output", messages=messages[:2]), max_chars=1000)
    assert [(t.role, t.content) for t in out] == [
        ("user", "first question"),
        ("assistant", "reply"),
    ]
