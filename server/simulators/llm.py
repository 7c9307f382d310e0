"""OpenAI-compatible chat completions simulator (the DeepSeek / OpenAI wire format).

POST /v1/chat/completions (also /chat/completions) with `Authorization: Bearer <key>`;
`stream: true` answers as server-sent events in the real `chat.completion.chunk` format ending
with `data: [DONE]`. The answer is composed deterministically from the 【...】 articles in the
system prompt, so tests can check it cites them. With `response_format: {"type": "json_object"}`
(DeepSeek's JSON Output) the content is a json object shaped like the example the prompt carries
after "json 示例：" (answer/draft/summary filled with that text, cited_articles with the prompt's
articles). `stream_options.include_usage` adds the usage chunk before `[DONE]`.
Faults: POST /_sim/fault {"mode": "ok"|"slow"|"fail"|"invalid", "status"?: 500|503, "delay"?: seconds,
"chunk_delay"?: seconds between stream chunks, "count"?: answers in that mode before it returns to ok};
mode "invalid" answers content that is not the requested json. GET /_sim/requests lists the bodies received.
"""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any

from flask import Flask, Response, jsonify, request

ARTICLE_LINE_RE = re.compile(r"【(《[^》]+》第[零〇一二三四五六七八九十百千]+条)】([^\n]*)")
SIM_MARK = "（模型回答）"


def compose_answer(messages: list[dict[str, Any]]) -> str:
    """A deterministic answer citing every article the system prompt carries."""
    system = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    question = next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")
    articles = ARTICLE_LINE_RE.findall(system)
    if not articles:
        return f"{SIM_MARK}关于“{question[:40]}”，提供的条文中没有直接规定，无法确定，建议咨询当地消费者协会。本回答仅供参考，不构成法律意见。"
    lines = [f"{SIM_MARK}结论：关于“{question[:40]}”，可以依据以下条文主张权利。", "依据："]
    for ref, text in articles:
        lines.append(f"- {ref}：{text[:60]}")
    lines.append("建议：先与商家协商并保留证据，协商不成可在平台提交投诉或申请调解。本回答仅供参考，不构成法律意见。")
    return "\n".join(lines)


EXAMPLE_MARK = "json 示例："
TEXT_KEYS = ("answer", "draft", "summary")


def compose_json(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The object a JSON-mode request asks for: the prompt's example with its text fields written."""
    system = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    example: dict[str, Any] = {"answer": ""}
    at = system.find(EXAMPLE_MARK)
    if at >= 0:
        try:
            found, _end = json.JSONDecoder().raw_decode(system[at + len(EXAMPLE_MARK):].lstrip())
            if isinstance(found, dict):
                example = found
        except ValueError:
            pass
    cited = []
    for ref, _text in ARTICLE_LINE_RE.findall(system):
        law, _, rest = ref[1:].partition("》")
        cited.append({"law": law, "article": rest})
    out: dict[str, Any] = {}
    for key, value in example.items():
        if key in TEXT_KEYS:
            out[key] = compose_answer(messages)
        elif key == "cited_articles":
            out[key] = cited
        else:
            out[key] = value
    return out


def _error(status: int, message: str, type_: str, code: str) -> Response:
    resp = jsonify({"error": {"message": message, "type": type_, "param": None, "code": code}})
    resp.status_code = status
    return resp


def create_llm_simulator(api_key: str = "sim-llm-key", slow_seconds: float = 30.0) -> Flask:
    """Flask app speaking the chat completions protocol; `app.config["SIM_STATE"]` holds its state."""
    app = Flask("llm_simulator")
    state: dict[str, Any] = {"mode": "ok", "status": 503, "delay": slow_seconds, "requests": [], "wake": threading.Event(),
                             "chunk_delay": 0.0, "count": None}
    app.config["SIM_STATE"] = state
    lock = threading.Lock()

    @app.post("/_sim/fault")
    def set_fault():
        body = request.get_json(silent=True) or {}
        mode = body.get("mode", "ok")
        if mode not in ("ok", "slow", "fail", "invalid"):
            return _error(400, "mode must be ok, slow, fail or invalid", "invalid_request_error", "invalid_mode")
        with lock:
            state["mode"] = mode
            state["status"] = int(body.get("status", 503))
            state["delay"] = float(body.get("delay", slow_seconds))
            state["chunk_delay"] = float(body.get("chunk_delay", 0))
            state["count"] = int(body["count"]) if body.get("count") is not None else None
            # Wake requests still sleeping in slow mode so a test can shut down promptly.
            state["wake"].set()
            state["wake"] = threading.Event()
        return jsonify({"mode": mode})

    @app.get("/_sim/requests")
    def list_requests():
        return jsonify({"items": state["requests"][-50:]})

    @app.post("/v1/chat/completions")
    @app.post("/chat/completions")
    def completions():
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("model"):
            return _error(400, "model and messages are required", "invalid_request_error", "invalid_request")
        with lock:
            state["requests"].append(body)
            mode, status, delay, wake = state["mode"], state["status"], state["delay"], state["wake"]
            chunk_delay = state["chunk_delay"]
            if state["count"] is not None:
                state["count"] -= 1
                if state["count"] <= 0:
                    state["mode"], state["count"] = "ok", None
        if mode == "slow":
            wake.wait(delay)
        elif mode == "fail":
            if status == 500:
                return _error(500, "The server had an error while processing your request.", "server_error", "internal_error")
            return _error(status, "The engine is currently overloaded, please try again later.", "server_error", "service_unavailable")
        json_mode = (body.get("response_format") or {}).get("type") == "json_object"
        if mode == "invalid":
            answer = "好的，以下是回答：" + compose_answer(body["messages"])[:40]  # prose, not the json asked for
        elif json_mode:
            answer = json.dumps(compose_json(body["messages"]), ensure_ascii=False)
        else:
            answer = compose_answer(body["messages"])
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body["messages"])
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(answer),
                 "total_tokens": prompt_tokens + len(answer)}
        model = body["model"]
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if body.get("stream"):
            def events():
                def chunk(delta: dict, finish: str | None = None) -> str:
                    obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                           "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
                    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

                yield chunk({"role": "assistant", "content": ""})
                for i in range(0, len(answer), 16):
                    if chunk_delay:
                        time.sleep(chunk_delay)
                    yield chunk({"content": answer[i:i + 16]})
                yield chunk({}, "stop")
                if (body.get("stream_options") or {}).get("include_usage"):
                    obj = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                           "choices": [], "usage": usage}
                    yield f"data: {json.dumps(obj)}\n\n"
                yield "data: [DONE]\n\n"

            return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})
        return jsonify({
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": usage,
        })

    return app
