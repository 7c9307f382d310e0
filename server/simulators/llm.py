"""OpenAI-compatible chat completions simulator (the DeepSeek / OpenAI wire format).

POST /v1/chat/completions (also /chat/completions) with `Authorization: Bearer <key>`;
`stream: true` answers as server-sent events in the real `chat.completion.chunk` format ending
with `data: [DONE]`. The answer is composed deterministically from the 【...】 articles in the
system prompt, so tests can check it cites them. Faults: POST /_sim/fault {"mode": "ok"|"slow"|
"fail", "status"?: 500|503, "delay"?: seconds}; GET /_sim/requests lists the bodies received.
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


def _error(status: int, message: str, type_: str, code: str) -> Response:
    resp = jsonify({"error": {"message": message, "type": type_, "param": None, "code": code}})
    resp.status_code = status
    return resp


def create_llm_simulator(api_key: str = "sim-llm-key", slow_seconds: float = 30.0) -> Flask:
    """Flask app speaking the chat completions protocol; `app.config["SIM_STATE"]` holds its state."""
    app = Flask("llm_simulator")
    state: dict[str, Any] = {"mode": "ok", "status": 503, "delay": slow_seconds, "requests": [], "wake": threading.Event()}
    app.config["SIM_STATE"] = state
    lock = threading.Lock()

    @app.post("/_sim/fault")
    def set_fault():
        body = request.get_json(silent=True) or {}
        mode = body.get("mode", "ok")
        if mode not in ("ok", "slow", "fail"):
            return _error(400, "mode must be ok, slow or fail", "invalid_request_error", "invalid_mode")
        with lock:
            state["mode"] = mode
            state["status"] = int(body.get("status", 503))
            state["delay"] = float(body.get("delay", slow_seconds))
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
        if mode == "slow":
            wake.wait(delay)
        elif mode == "fail":
            if status == 500:
                return _error(500, "The server had an error while processing your request.", "server_error", "internal_error")
            return _error(status, "The engine is currently overloaded, please try again later.", "server_error", "service_unavailable")
        answer = compose_answer(body["messages"])
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
                    yield chunk({"content": answer[i:i + 16]})
                yield chunk({}, "stop")
                yield "data: [DONE]\n\n"

            return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body["messages"])
        return jsonify({
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(answer),
                      "total_tokens": prompt_tokens + len(answer)},
        })

    return app
