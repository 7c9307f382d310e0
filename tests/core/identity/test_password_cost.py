"""The cheap hasher of the test suite must never reach production: a fresh interpreter's hasher has
Argon2id's recommended cost (RFC 9106 low-memory profile, argon2-cffi's defaults)."""
from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher, extract_parameters


def test_production_password_hashes_have_full_cost():
    out = subprocess.run([sys.executable, "-c", "from server.core.identity.accounts import hash_password; "
                          "print(hash_password('a-password-1'))"], capture_output=True, text=True, check=True)
    params = extract_parameters(out.stdout.strip())
    default = PasswordHasher()
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        default.time_cost, default.memory_cost, default.parallelism)
    assert params.memory_cost >= 65536
