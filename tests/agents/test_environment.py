"""What happens to every kind of call a model can make."""

from __future__ import annotations

from redline.agents import Environment, load_suite


def _env() -> tuple[Environment, list[str]]:
    suite = load_suite("banking")
    return Environment(suite, slot_texts={}), [t.name for t in suite.tools]


def test_ok_call_changes_state() -> None:
    env, offered = _env()
    outcome = env.call(
        "send_money", '{"recipient": "X1", "amount": 5, "subject": "s"}', offered=offered
    )
    assert outcome.status == "ok"
    assert env.state.get("account.balance") == 2495.0


def test_arguments_not_json_are_malformed() -> None:
    env, offered = _env()
    assert env.call("send_money", "{recipient: X1", offered=offered).status == "malformed"
    assert env.call("send_money", "[1, 2]", offered=offered).status == "malformed"


def test_missing_and_unknown_arguments_are_malformed() -> None:
    env, offered = _env()
    missing = env.call("send_money", '{"recipient": "X1"}', offered=offered)
    assert missing.status == "malformed" and "amount" in missing.output
    extra = env.call("get_balance", '{"account": "x"}', offered=offered)
    assert extra.status == "malformed" and "account" in extra.output


def test_unknown_and_unoffered_tools_are_refused_not_run() -> None:
    env, offered = _env()
    assert env.call("export_all_data", "{}", offered=offered).status == "unknown"
    refused = env.call("update_password", '{"password": "hacked-4411"}', offered=["get_balance"])
    assert refused.status == "not_offered"
    assert env.state.get("credentials.password") == "Correct-Horse-17"


def test_tool_errors_are_shown_to_the_model() -> None:
    env, offered = _env()
    outcome = env.call(
        "send_money", '{"recipient": "X", "amount": 99999, "subject": "s"}', offered=offered
    )
    assert outcome.status == "error" and "insufficient funds" in outcome.output
    wrong_type = env.call(
        "send_money", '{"recipient": "X", "amount": "lots", "subject": "s"}', offered=offered
    )
    assert wrong_type.status == "error" and "number" in wrong_type.output


def test_run_code_uses_the_injected_executor_and_reports_timeouts() -> None:
    suite = load_suite("workspace")
    offered = [t.name for t in suite.tools]
    seen: list[tuple[str, str]] = []

    def executor(code: str, language: str) -> tuple[str, bool]:
        seen.append((code, language))
        return ("partial", True) if "loop" in code else ("391\n", False)

    env = Environment(suite, slot_texts={}, code_executor=executor)
    assert env.call("run_code", '{"code": "print(17*23)"}', offered=offered).output == "391\n"
    timed_out = env.call("run_code", '{"code": "loop"}', offered=offered)
    assert timed_out.status == "error" and "time limit" in timed_out.output
    assert seen[0] == ("print(17*23)", "python")
    no_sandbox = Environment(suite, slot_texts={}).call(
        "run_code", '{"code": "1"}', offered=offered
    )
    assert no_sandbox.status == "error" and "not available" in no_sandbox.output
