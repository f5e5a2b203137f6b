"""The proxy's quick paths say exactly what the plain ones say: a request is refused with the
same message whether the quick check or the explaining walk finds the problem, and a
streamed text delta is the same bytes as the generic event writer's."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrgen.common.limits import MAX_NESTING_DEPTH
from ccrgen.proxy import request
from ccrgen.proxy.request import RequestInvalid, parse_request
from ccrgen.proxy.translate import StreamTranslator


def reference(body) -> str | None:
    """Every check one by one, messages built as they go (what parse_request did before
    its quick paths): the message of the first problem, or None."""
    try:
        request._explain_tree(body, check_surrogates=True)
        messages = body.get("messages")
        if not isinstance(messages, list):
            raise RequestInvalid("messages: an Anthropic Messages request needs a list of messages")
        for index, message in enumerate(messages):
            request._need(message, dict, f"messages.{index}", "an object with `role` and `content`")
            request._need(message.get("role"), str, f"messages.{index}.role", "a string")
            content = message.get("content")
            if content is not None and not isinstance(content, str):
                blocks(content, f"messages.{index}.content")
        request._check_fields(body)
    except RequestInvalid as exc:
        return exc.message
    return None


def blocks(content, where: str) -> None:
    request._need(content, list, where, "a string or a list of content blocks")
    for index, block in enumerate(content):
        request._check_block(block, f"{where}.{index}")
        if isinstance(block.get("content"), list):
            blocks(block["content"], f"{where}.{index}.content")


def outcome(body) -> str | None:
    try:
        parse_request(json.dumps(body).encode())   # ensure_ascii: a lone surrogate becomes \udXXX
    except RequestInvalid as exc:
        return exc.message
    return None


LEAF = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["a", "é", "🙂"]),
                 st.sampled_from(["a", "é", "🙂", "🙂", "🙂", "🙂", "\ud800", "\udfff x"]))   # a lone surrogate now and then
TEXT = st.one_of(st.sampled_from(["a", "é", "🙂"]), st.sampled_from(["a", "é", "🙂"]), LEAF)   # mostly right
OBJECT = st.one_of(st.just({}), st.just({"type": "base64"}), LEAF)
BLOCK = st.fixed_dictionaries({"type": st.one_of(st.sampled_from(["text", "tool_result", "image"]), LEAF)}, optional={
    "text": TEXT, "id": TEXT, "name": TEXT, "tool_use_id": TEXT, "thinking": TEXT,
    "source": OBJECT, "cache_control": OBJECT, "k": LEAF})
INNER = st.recursive(BLOCK, lambda inner: st.builds(lambda b, c: {**b, "content": c}, BLOCK, st.lists(inner, max_size=3)),
                     max_leaves=6)
CONTENT = st.one_of(LEAF, st.lists(st.one_of(INNER, INNER, INNER, LEAF), max_size=4),
                    st.lists(INNER, max_size=4), st.lists(INNER, max_size=4))
MESSAGE = st.one_of(LEAF, *[st.fixed_dictionaries({"role": st.one_of(st.just("user"), st.just("user"), LEAF)},
                                                  optional={"content": CONTENT, "\udfff": LEAF})] * 4)


@settings(max_examples=600, deadline=None)
@given(st.lists(MESSAGE, max_size=4))
def test_a_request_is_refused_with_the_message_the_full_walk_gives(messages):
    body = {"model": "m", "messages": messages}
    assert outcome(body) == reference(body)


@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH - 1, MAX_NESTING_DEPTH, MAX_NESTING_DEPTH + 1])
def test_nesting_is_judged_at_the_same_depth_and_named_at_the_same_place(depth):
    deep = "x"
    for _ in range(depth - 2):
        deep = [deep]
    body = {"model": "m", "messages": [], "metadata": {"deep": deep}}
    assert outcome(body) == reference(body)
    assert (outcome(body) is None) == (depth <= MAX_NESTING_DEPTH)


@pytest.mark.parametrize("text", ["hello", 'a "quote" and \\ back', "\x00\x1f\x7f\n\t", "é世界🙂\u2028", "</script>"])
def test_a_text_delta_is_the_bytes_of_the_generic_event(text):
    translator = StreamTranslator("m")
    translator.index = 2
    for kind, key in (("text_delta", "text"), ("thinking_delta", "thinking")):
        assert translator._text_delta(kind, key, text) == translator._delta({"type": kind, key: text})


@settings(max_examples=300, deadline=None)
@given(st.lists(INNER, min_size=1, max_size=3))
def test_a_content_block_is_refused_with_the_message_the_full_walk_gives(blocks_):
    body = {"model": "m", "messages": [{"role": "user", "content": blocks_}]}
    assert outcome(body) == reference(body)


@pytest.mark.parametrize("model", ["m", 'a "quoted" model', "é世界🙂\u2028"])
def test_the_events_every_stream_has_are_the_bytes_of_the_generic_event(model):
    from ccrgen.proxy import translate
    from ccrgen.proxy.translate import sse_event, usage_to_anthropic

    translator = StreamTranslator(model)
    message = {"id": translator.message_id, "type": "message", "role": "assistant", "content": [], "model": model,
               "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 0, "output_tokens": 0}}
    assert translator.start() == sse_event("message_start", {"type": "message_start", "message": message})
    for index in (0, 7, 12345):
        assert translate._block_stop(index) == sse_event("content_block_stop",
                                                         {"type": "content_block_stop", "index": index})
        assert translate._text_block_start(index) == sse_event("content_block_start", {
            "type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})
    for usage in (None, {"prompt_tokens": 12, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 5}},
                  {"prompt_tokens": 2 ** 70, "completion_tokens": "x"}):
        for reason in ("end_turn", "tool_use", model):
            anthropic = usage_to_anthropic(usage)
            assert translate._message_delta(reason, anthropic) == sse_event("message_delta", {
                "type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None}, "usage": anthropic})
    assert translate._MESSAGE_STOP == sse_event("message_stop", {"type": "message_stop"})
