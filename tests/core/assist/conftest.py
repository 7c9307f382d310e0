"""An LLM simulator served on a real socket, so the openai client runs its real HTTP code."""
from __future__ import annotations

import pytest
import requests

from server.simulators.llm import create_llm_simulator
from server.simulators.runner import start_in_thread

SIM_KEY = "test-llm-key"


@pytest.fixture(scope="module")
def llm_sim():
    base_url, shutdown = start_in_thread(create_llm_simulator(api_key=SIM_KEY, slow_seconds=10))
    yield base_url
    requests.post(f"{base_url}/_sim/fault", json={"mode": "ok"}, timeout=5)
    shutdown()


@pytest.fixture
def llm_settings(llm_sim):
    requests.post(f"{llm_sim}/_sim/fault", json={"mode": "ok"}, timeout=5)
    yield {"LLM_BASE_URL": f"{llm_sim}/v1", "LLM_API_KEY": SIM_KEY, "LLM_MODEL": "deepseek-flash", "LLM_TIMEOUT_SECONDS": 1.0}
    requests.post(f"{llm_sim}/_sim/fault", json={"mode": "ok"}, timeout=5)


def set_fault(base_url: str, mode: str, **extra) -> None:
    requests.post(f"{base_url}/_sim/fault", json={"mode": mode, **extra}, timeout=5).raise_for_status()
