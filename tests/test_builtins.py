"""Unit tests of what ccrgen serve does with CCR 2.0.0's built-in transformers and `fallback`
lists, without a server (the differential tests against the real CCR are
test_builtins_vs_ccr.py and test_fallback_vs_ccr.py)."""

from __future__ import annotations

from ccrgen.ccr import facts
from ccrgen.proxy import builtins, fallback
from ccrgen.proxy.translate import request_to_openai
from ccrgen.proxy.upstream import plan, request_headers, upstreams_of


def config(*providers, **extra) -> dict:
    return {"Providers": list(providers), "Router": {"default": "p,m"}, **extra}


def provider(name="p", **transformer) -> dict:
    out = {"name": name, "api_base_url": "http://127.0.0.1:9/v1/chat/completions", "api_key": "k", "models": ["m"]}
    if transformer:
        out["transformer"] = transformer
    return out


def sent(transformer: dict, body: dict, model: str = "m") -> dict:
    upstream = upstreams_of(config(provider(**transformer)))["p"]
    _, chain = upstream.headers_and_steps(model, {})
    return chain.apply(request_to_openai(body, model))


def test_every_transformer_a_bundled_preset_uses_is_implemented():
    from ccrgen.spec import loader
    from ccrgen.spec.presets import all_presets

    for ref in all_presets():
        if ref.origin == "bundled":
            built = loader.load(preset=ref.name)
            checked = plan(built.config, built.config, {"X": "1"}, None)
            assert checked.unverified == {}, ref.name


def test_a_builtin_not_implemented_is_listed_as_unverified_per_provider():
    checked = plan(config(provider("p", use=["tooluse", "vertex-gemini"]),
                          provider("q", use=[], m={"use": ["vertex-claude"]}),
                          provider("r", use=["deepseek", "vercel", "groq", "gemini", "openai-responses"])), {}, {}, None)
    assert checked.unverified == {"p": ["vertex-gemini"], "q": ["vertex-claude"]}
    assert any("'vertex-gemini'" in n and "not verified" in n for n in checked.notes)


def test_options_for_an_instance_builtin_leave_the_provider_unregistered():
    checked = plan(config(provider("p", use=[["tooluse", {}]]), provider("q", use=[["maxtoken", {"max_tokens": 5}]])),
                   {}, {}, None)
    assert set(checked.upstreams) == {"q"}
    assert any("provider 'p' is not registered" in n and '"tooluse"' in n for n in checked.notes)
    assert "tooluse" in facts.INSTANCE_BUILTINS and "maxtoken" not in facts.INSTANCE_BUILTINS


def test_fallback_lists_are_no_longer_said_to_be_ignored():
    checked = plan(config(provider(), fallback={"default": ["p,m"]}), {"fallback": {"default": ["p,m"]}}, {}, None)
    assert not any("fallback" in n for n in checked.notes)


def test_headers_are_merged_by_exact_name_as_ccr_does():
    assert request_headers("k", None) == {"authorization": "Bearer k"}
    assert request_headers("k", {"api-key": "k", "Authorization": None}) == {"api-key": "k"}
    # only the exact name replaces CCR's `Authorization`: a lower-case undefined leaves it
    assert request_headers("k", {"api-key": "k", "authorization": None}) == {"api-key": "k", "authorization": "Bearer k"}
    assert request_headers("k", {"Authorization": "undefined", "x-empty": ""}) == {}


def test_customparams_cannot_set_a_key_ccr_holds_as_undefined():
    body = {"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    out = sent({"use": [["customparams", {"temperature": 0.5, "seed": 1, "reasoning": {"x": 1}}]]},
               dict(body, thinking={"type": "enabled", "budget_tokens": 100}))
    assert "temperature" not in out and out["seed"] == 1
    assert out["reasoning"] == {"effort": "low", "enabled": True, "x": 1}


def test_tooluse_adds_exit_tool_only_with_tools_and_deepseek_caps_max_tokens():
    body = {"model": "c", "max_tokens": 20000, "messages": [{"role": "user", "content": "hi"}]}
    plain = sent({"use": ["deepseek"], "m": {"use": ["tooluse"]}}, body)
    assert plain["max_tokens"] == 8192 and plain["messages"][-1]["role"] == "system"
    assert "tools" not in plain and "tool_choice" not in plain
    tools = sent({"use": ["tooluse"]}, dict(body, tools=[{"name": "Bash", "input_schema": {"type": "object"}}]))
    assert tools["tool_choice"] == "required" and tools["tools"][-1]["function"]["name"] == "ExitTool"


def test_openrouter_drops_cache_control_except_for_claude_models():
    body = {"model": "c", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}]}
    assert "cache_control" not in sent({"use": ["openrouter"]}, body, "gpt-4")["messages"][0]["content"][0]
    assert "cache_control" in sent({"use": ["openrouter"]}, body, "anthropic/claude-x")["messages"][0]["content"][0]


def test_an_exit_tool_call_becomes_the_answers_text():
    chain = builtins.ResponseChain(["tooluse"])
    completion = {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": "1", "type": "function", "function": {"name": "ExitTool", "arguments": '{"response": "done"}'}}]}}]}
    message = chain.completion(completion)["choices"][0]["message"]
    assert message == {"role": "assistant", "content": "done"}


def test_fallback_candidates_follow_the_routes_scenario():
    table = {"fallback": {"default": ["q,m2", "bad-entry", "r,a,b"], "think": ["q,t"]}}
    explicit = fallback.candidates("explicit", "p", "m", table)
    assert [(c.provider, c.model, c.position) for c in explicit] == [
        ("p", "m", 0), ("q", "m2", 1), ("bad-entry", "", 2), ("r", "a,b", 3)]
    assert [c.model for c in fallback.candidates("think", "p", "m", table)] == ["m", "t"]
    assert [c.model for c in fallback.candidates("background", "p", "m", table)] == ["m"]
    assert fallback.scenario_of("subagent") == "default"


def test_only_an_http_error_status_starts_the_fallback_list():
    assert fallback.starts_fallback(500) and fallback.starts_fallback(429) and fallback.starts_fallback(400)
    assert not fallback.starts_fallback(None)   # network error or timeout
    assert not fallback.starts_fallback(200)


# -- reasoning, forcereasoning, enhancetool, groq, cerebras, vercel ---------------------------

THINKING = {"model": "c", "max_tokens": 100, "thinking": {"type": "enabled", "budget_tokens": 2000},
            "messages": [{"role": "user", "content": "hi"}]}


def test_reasoning_turns_thinking_on_or_off_as_configured():
    on = sent({"use": ["reasoning"]}, THINKING)
    assert on["thinking"] == {"type": "enabled"} and on["enable_thinking"] is True   # no budget unless set
    budget = sent({"use": [["customparams", {"reasoning": {"max_tokens": 64}}], "reasoning"]}, THINKING)
    assert budget["thinking"] == {"type": "enabled", "budget_tokens": 64}
    plain = dict(THINKING)
    del plain["thinking"]
    assert "thinking" not in sent({"use": ["reasoning"]}, plain)
    off = sent({"use": [["reasoning", {"enable": False}]]}, plain)
    assert off["thinking"] == {"type": "disabled", "budget_tokens": -1} and off["enable_thinking"] is False


def _turn(number: int) -> list[dict]:
    return [{"role": "user", "content": f"q{number}"},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": f"t{number}", "signature": "s"},
                                              {"type": "text", "text": f"a{number}"}]}]


def test_forcereasoning_writes_back_the_ten_latest_thoughts_and_asks_for_tags():
    turns = [m for n in range(12) for m in _turn(n)] + [{"role": "user", "content": "last"}]
    out = sent({"use": ["forcereasoning"]}, {"model": "c", "messages": turns})
    answers = [m["content"] for m in out["messages"] if m["role"] == "assistant"]
    assert answers[:2] == ["a0", "a1"]
    assert answers[2] == "<reasoning_content>t2</reasoning_content>\na2" and len(answers) == 12
    assert not any("thinking" in m for m in out["messages"])
    assert out["messages"][-1]["content"][0]["text"] == builtins.REASONING_PROMPT
    assert out["messages"][-1]["content"][1] == {"type": "text", "text": "last"}
    after_tool = sent({"use": ["forcereasoning"]}, {"model": "c", "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]}]})
    assert [m["role"] for m in after_tool["messages"]][-2:] == ["tool", "user"]


def _stream(filter_, pieces: list[str]) -> tuple[str, str]:
    thinking = answer = ""
    for piece in pieces:
        delta = filter_({"choices": [{"delta": {"content": piece}}]})["choices"][0]["delta"]
        thinking += delta.get("reasoning_content", "")
        answer += delta.get("content", "")
    return thinking, answer


def test_forcereasoning_streams_the_tagged_text_as_thinking_and_drops_untagged_text():
    cut = ["intro <reason", "ing_content>one ", "two</reasoning_con", "tent>", "\n", "  ", "Final", " answer"]
    assert _stream(builtins.ForceReasoningStream(), cut) == ("one two", "\n  Final answer")
    assert _stream(builtins.ForceReasoningStream(), ["no tags ", "at all"]) == ("", "")


def _call(index, arguments, name=None, call_id=None, finish=None) -> dict:
    call = {"index": index, "function": {"arguments": arguments}}
    if name:
        call.update(id=call_id, type="function")
        call["function"]["name"] = name
    return {"choices": [{"delta": {"tool_calls": [call]}, "finish_reason": finish}]}


def test_enhancetool_sends_each_calls_arguments_whole_and_loses_one_never_finished():
    def run(chunks):
        keep = builtins.EnhanceToolStream()
        calls = {}
        for chunk in chunks:
            out = keep(chunk)
            for call in builtins._delta_tool_calls(out) if out else []:
                held = calls.setdefault(call["index"], {"name": call["function"].get("name"), "arguments": ""})
                held["arguments"] += call["function"].get("arguments") or ""
        return calls

    finish = {"choices": [{"delta": {}, "finish_reason": "tool_calls"}]}
    two = [_call(0, "", "Bash", "c1"), _call(0, '{"cmd"'), _call(0, ': "ls"}'),
           _call(1, '{"pa', "Read", "c2"), _call(1, 'th": "a"}'), finish]
    assert run(two) == {0: {"name": "Bash", "arguments": '{"cmd": "ls"}'},
                        1: {"name": "Read", "arguments": '{"path": "a"}'}}
    stopped = two[:3] + [{"choices": [{"delta": {}, "finish_reason": "stop"}]}]
    assert run(stopped) == {0: {"name": "Bash", "arguments": ""}}


def test_cerebras_headers_replace_the_set_so_far_and_at_model_level_its_answer_is_the_body():
    from ccrgen.ccr.transformers import CustomTransformer

    upstream = upstreams_of(config(provider(use=["hdr", "cerebras"])))["p"]
    custom = CustomTransformer("/x.js", "hdr", {"api-key": "k", "Authorization": None})
    headers, _ = upstream.headers_and_steps("m", {"hdr": custom})
    assert headers == {"authorization": "Bearer k", "content-type": "application/json"}
    out = sent({"use": ["cerebras", ["customparams", {"temperature": 0.5}]]}, dict(THINKING))
    assert "reasoning" not in out and out["temperature"] == 0.5   # the JSON copy has no unset keys
    assert sent({"use": ["cerebras"]}, {"model": "c", "messages": []})["disable_reasoning"] is False
    wrapped = sent({"use": [], "m": {"use": ["cerebras"]}}, dict(THINKING))
    assert set(wrapped) == {"body", "config"} and "reasoning" not in wrapped["body"]
    assert wrapped["config"] == {"headers": {"Authorization": "Bearer k", "Content-Type": "application/json"}}
    assert plan(config(provider(use=[], m={"use": ["cerebras"]})), {}, {}, None).unverified == {}


def test_groq_and_vercel_clean_the_request_as_ccr_does():
    tool = {"name": "Bash", "input_schema": {"$schema": "x", "type": "object"}}
    body = {"model": "c", "tools": [tool], "messages": [{"role": "user", "content": [
        {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
        {"type": "image", "source": {"type": "url", "url": "file.png"}, "cache_control": {"type": "ephemeral"}}]}]}
    grouped = sent({"use": ["groq"]}, body)
    assert grouped["tools"][0]["function"]["parameters"] == {"type": "object"}
    assert all("cache_control" not in part for part in grouped["messages"][0]["content"])
    vercel = sent({"use": [["vercel", {"providerOptions": {"x": 1}}]]}, body, "gpt-4")
    assert vercel["messages"][0]["content"][1]["image_url"]["url"] == "data:undefined;base64,file.png"
    assert vercel["providerOptions"] == {"x": 1}
    openrouter = sent({"use": ["openrouter"]}, body, "gpt-4")
    assert openrouter["messages"][0]["content"][1]["image_url"]["url"] == "file.png"


def test_gemini_goes_to_the_models_url_with_its_key_header_and_gemini_body():
    upstream = upstreams_of(config(dict(provider(use=["gemini"]), api_base_url="https://g.test/v1beta/models/",
                                        models=["gemini-2.5-pro"])))["p"]
    headers, chain = upstream.headers_and_steps("gemini-2.5-pro", {})
    assert headers == {"x-goog-api-key": "k"}
    body = {"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    whole = chain.apply(request_to_openai(body, "gemini-2.5-pro"))
    assert str(upstream.url_for(whole)) == "https://g.test/v1beta/models/gemini-2.5-pro:generateContent"
    assert whole == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": {}}
    streamed = chain.apply(request_to_openai(dict(body, stream=True), "gemini-2.5-pro"))
    assert str(upstream.url_for(streamed)).endswith("/models/gemini-2.5-pro:streamGenerateContent?alt=sse")
    plain = upstreams_of(config(provider(use=["deepseek"])))["p"]
    assert upstream.url_for({}) == upstream.parsed_url and plain.url_for(plain.headers_and_steps("m", {})[1].apply(
        request_to_openai(body, "m"))) == plain.parsed_url


def test_the_models_answer_side_runs_only_while_the_sent_body_names_the_model():
    def answers(transformer: dict) -> list[str]:
        return upstreams_of(config(provider(**transformer)))["p"].response_chain("m", {}).names

    assert answers({"use": ["groq"], "m": {"use": ["tooluse"]}}) == ["groq", "tooluse"]
    assert answers({"use": ["gemini"], "m": {"use": ["enhancetool"]}}) == ["gemini"]
    assert answers({"use": ["groq"], "m": {"use": ["cerebras", "enhancetool"]}}) == ["groq"]
    assert answers({"use": ["groq"], "m": {"use": ["cerebras", ["customparams", {"model": "x"}], "tooluse"]}}) == [
        "groq", "tooluse", "customparams", "cerebras"]
