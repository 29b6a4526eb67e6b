"""PyRIT's side of bench/peer_tools.py: runs in PyRIT's own venv, not redline's.

Sends every line of a prompts file (one prompt per line) to an OpenAI-compatible
endpoint with PyRIT's single-turn PromptSendingAttack, at most C at a time through
its AttackExecutor (the successor of PromptSendingOrchestrator's batch_size), and
keeps the conversations in PyRIT's persistent SQLite memory (its default store),
then prints how many results came back.

    python pyrit_send.py PROMPTS_FILE BASE_URL CONCURRENCY DB_PATH
"""

import asyncio
import sys

from pyrit.executor.attack import AttackExecutor, PromptSendingAttack
from pyrit.prompt_target import OpenAIChatTarget
from pyrit.setup import SQLITE, initialize_pyrit_async


async def send(prompts: list[str], base_url: str, concurrency: int, db_path: str) -> int:
    # No default initializers (technique catalogue, env-configured targets): the bench
    # needs none of them, and leaving them out only shortens PyRIT's start-up.
    await initialize_pyrit_async(SQLITE, load_defaults=False, silent=True, db_path=db_path)
    target = OpenAIChatTarget(endpoint=base_url, api_key="bench-key", model_name="stub")
    attack = PromptSendingAttack(objective_target=target)
    executor = AttackExecutor(max_concurrency=concurrency)
    result = await executor.execute_attack_async(attack=attack, objectives=prompts)
    return len(result.completed_results)


def main() -> None:
    prompts_file, base_url, concurrency, db_path = sys.argv[1:5]
    with open(prompts_file, encoding="utf-8") as handle:
        prompts = [line.rstrip("\n") for line in handle if line.strip()]
    completed = asyncio.run(send(prompts, base_url, int(concurrency), db_path))
    print(f"pyrit completed {completed} of {len(prompts)}")


if __name__ == "__main__":
    main()
