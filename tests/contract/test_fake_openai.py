"""The fake OpenAI server keeps its word, checked with the real openai client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from tests.fakes.openai_server import FakeOpenAI, Reply, fake_openai


@pytest.fixture
def api() -> Iterator[FakeOpenAI]:
    yield from fake_openai()


def client(api: FakeOpenAI, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test", base_url=api.base_url, timeout=timeout, max_retries=0
    )


def ask(c: openai.OpenAI) -> str | None:
    out = c.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hello there"}]
    )
    return out.choices[0].message.content


def test_scripted_replies_come_back_in_order_and_requests_are_recorded(
    api: FakeOpenAI,
) -> None:
    api.script(Reply.chat("first"), Reply.advice({"a": 1}))
    c = client(api)
    assert ask(c) == "first"
    assert json.loads(ask(c) or "") == {"a": 1}
    assert [r.path for r in api.received] == ["/v1/chat/completions"] * 2
    assert api.received[0].messages() == [{"role": "user", "content": "hello there"}]
    assert api.received[0].headers["authorization"] == "Bearer sk-test"


def test_status_and_headers_reach_the_client(api: FakeOpenAI) -> None:
    api.script(Reply.error(429, {"Retry-After": "7"}))
    with pytest.raises(openai.RateLimitError) as e:
        ask(client(api))
    assert e.value.response.headers["retry-after"] == "7"


def test_a_slow_reply_times_the_client_out(api: FakeOpenAI) -> None:
    api.script(Reply.chat("late", delay_s=2.0))
    with pytest.raises(openai.APITimeoutError):
        ask(client(api, timeout=0.3))


def test_an_unscripted_request_gets_a_500(api: FakeOpenAI) -> None:
    with pytest.raises(openai.InternalServerError):
        ask(client(api))
    assert api.left() == 0 and len(api.received) == 1


def test_the_always_reply_answers_once_the_script_is_done(api: FakeOpenAI) -> None:
    api.script(Reply.chat("scripted"))
    api.always(Reply.chat("again"))
    c = client(api)
    assert [ask(c), ask(c), ask(c)] == ["scripted", "again", "again"]
    api.always(None)
    with pytest.raises(openai.InternalServerError):
        ask(c)


def test_a_responder_answers_what_is_not_scripted_from_the_request(
    api: FakeOpenAI,
) -> None:
    api.responder = lambda got: Reply.chat(got.messages()[0]["content"].upper())
    api.script(Reply.chat("scripted first"))
    c = client(api)
    assert ask(c) == "scripted first"
    assert ask(c) == "HELLO THERE"
