import json

import openai
import pytest
import requests

from tests.core.assist.conftest import SIM_KEY, set_fault

SYSTEM = "法律条文：\n【《中华人民共和国消费者权益保护法》第二十五条】经营者采用网络方式销售商品，消费者有权自收到商品之日起七日内退货。"


def test_non_streaming_answer_cites_the_prompt_articles(llm_sim):
    client = openai.OpenAI(base_url=f"{llm_sim}/v1", api_key=SIM_KEY, max_retries=0, timeout=5)
    r = client.chat.completions.create(model="m", messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "能退吗"}])
    assert r.object == "chat.completion" and r.choices[0].finish_reason == "stop"
    assert "《中华人民共和国消费者权益保护法》第二十五条" in r.choices[0].message.content
    assert r.usage.total_tokens > 0


def test_stream_uses_the_openai_sse_chunk_format(llm_sim):
    resp = requests.post(f"{llm_sim}/chat/completions", headers={"Authorization": f"Bearer {SIM_KEY}"},
                         json={"model": "m", "stream": True, "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "能退吗"}]},
                         timeout=5, stream=True)
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    lines = [x for x in resp.iter_lines(decode_unicode=True) if x]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(x[len("data: "):]) for x in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "第二十五条" in text


def test_wrong_key_is_401_with_openai_error(llm_sim):
    client = openai.OpenAI(base_url=f"{llm_sim}/v1", api_key="nope", max_retries=0, timeout=5)
    with pytest.raises(openai.AuthenticationError) as exc:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert exc.value.body["code"] == "invalid_api_key"


def test_fail_mode_returns_openai_style_5xx(llm_sim):
    set_fault(llm_sim, "fail", status=503)
    try:
        resp = requests.post(f"{llm_sim}/v1/chat/completions", headers={"Authorization": f"Bearer {SIM_KEY}"},
                             json={"model": "m", "messages": [{"role": "user", "content": "x"}]}, timeout=5)
        assert resp.status_code == 503 and resp.json()["error"]["type"] == "server_error"
    finally:
        set_fault(llm_sim, "ok")
