from __future__ import annotations

from redline.core import Attempt, Completion, GenerationParams, Message, TargetResponseError, Usage
from redline.engine import Executor, ResponseCache, cache_key


async def test_second_run_is_served_from_the_cache(tmp_path, fake, jobs):
    path = tmp_path / "cache.sqlite"
    first_target = fake()
    with ResponseCache(path) as cache:
        first: list[Attempt] = []
        stats = await Executor(first_target, concurrency=4, cache=cache).run(jobs(25), first.append)
        assert stats.cache_hits == 0 and first_target.calls == 25

    second_target = fake()
    with ResponseCache(path) as cache:  # reopened: the answers were persisted
        second: list[Attempt] = []
        stats = await Executor(second_target, concurrency=4, cache=cache).run(
            jobs(25), second.append
        )
    assert second_target.calls == 0
    assert stats.cache_hits == 25 and stats.requests_sent == 0
    assert stats.completion_tokens == 0  # cache hits cost nothing
    assert all(a.cached and a.latency_s is None for a in second)
    assert {a.id: a.response for a in second} == {a.id: a.response for a in first}
    assert {a.id: a.usage for a in second} == {a.id: a.usage for a in first}


async def test_errors_are_not_cached(tmp_path, fake, jobs):
    def flaky(call, messages):
        if messages[-1].content.endswith("3"):
            raise TargetResponseError("bad")

    with ResponseCache(tmp_path / "c.sqlite") as cache:
        await Executor(fake(behaviour=flaky), cache=cache).run(jobs(5), lambda a: None)
        healthy = fake()
        results: list[Attempt] = []
        await Executor(healthy, cache=cache).run(jobs(5), results.append)
    assert healthy.calls == 1
    assert [a.id for a in results if not a.cached] == ["a00003"]


def test_cache_key_separates_what_changes_the_answer():
    msgs = [Message(role="user", content="hi")]
    params = GenerationParams(max_tokens=10)
    base = cache_key("t", msgs, params, 0, 0)
    assert base == cache_key("t", [Message(role="user", content="hi")], params, 0, 0)
    assert base != cache_key("u", msgs, params, 0, 0)
    assert base != cache_key("t", [Message(role="user", content="hi!")], params, 0, 0)
    assert base != cache_key("t", msgs, GenerationParams(max_tokens=11), 0, 0)
    assert base != cache_key("t", msgs, params, 1, 0)
    assert base != cache_key("t", msgs, params, 0, 1)


def test_puts_are_visible_before_and_after_flush(tmp_path):
    completion = Completion(text="x", usage=Usage(prompt_tokens=1, completion_tokens=2))
    cache = ResponseCache(tmp_path / "c.sqlite", flush_every=1000, flush_interval_s=3600)
    cache.put("k", completion)
    assert cache.get("k") == completion  # served from the write buffer
    assert len(cache) == 1  # len flushes
    cache.close()
    with ResponseCache(tmp_path / "c.sqlite") as reopened:
        assert reopened.get("k") == completion
        assert reopened.get("missing") is None


def test_lookups_without_the_key_set_still_hit(tmp_path):
    completion = Completion(text="y")
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        cache.put("a", completion)
    # max_keys_in_memory=0: every lookup goes to sqlite.
    with ResponseCache(tmp_path / "c.sqlite", max_keys_in_memory=0) as cache:
        assert cache.get("a") == completion and cache.get("b") is None
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        assert cache.get("a") == completion and cache.get("b") is None
