"""Redaction against a corpus of realistic complaints: nothing personal may leak, little else may go."""
import pytest

from server.core.privacy import is_valid_id_number, luhn_ok, redact

from .helpers import load_corpus, render

SEEDS = range(5)  # each entry is rendered with five different generated ids and cards
CORPUS = load_corpus()
SECTORS = {e["sector"] for e in CORPUS}


def test_corpus_is_large_and_varied():
    assert len(CORPUS) >= 60
    assert len(SECTORS) >= 15
    assert len({e["id"] for e in CORPUS}) == len(CORPUS)
    assert all(e["must_remove"] and e["must_keep"] for e in CORPUS)


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_values_have_the_intended_check_digits(seed):
    for entry in CORPUS:
        values = render(entry, seed)["values"]
        for key, value in values.items():
            compact = value.replace(" ", "")
            if key.startswith(("ID", "IDX")):
                assert is_valid_id_number(compact), (entry["id"], key, value)
            elif key.startswith("CARD"):
                assert luhn_ok(compact) and 16 <= len(compact) <= 19, (entry["id"], key, value)
            elif key in ("BAD_ID",):
                assert not is_valid_id_number(value) and not luhn_ok(value)
            elif key == "BAD_CARD":
                assert not luhn_ok(value)
            elif key in ("ORDER", "ORDER18"):
                assert not luhn_ok(value) and not is_valid_id_number(value)
            elif key == "ORDER_LUHN":
                assert luhn_ok(value)


def _run(seed):
    leaks, kept, total_keep, lost = [], 0, 0, []
    for entry in CORPUS:
        r = render(entry, seed)
        out = redact(r["text"], r["names"])
        for s in r["must_remove"]:
            assert s in r["text"], f"{entry['id']}: must_remove {s!r} is not in the text"
            if s in out:
                leaks.append((entry["id"], s, out))
        for s in r["must_keep"]:
            assert s in r["text"], f"{entry['id']}: must_keep {s!r} is not in the text"
            total_keep += 1
            if s in out:
                kept += 1
            else:
                lost.append((entry["id"], s, out))
    return leaks, kept, total_keep, lost


@pytest.mark.parametrize("seed", SEEDS)
def test_no_personal_data_leaks_and_little_else_is_removed(seed, record_property):
    leaks, kept, total_keep, lost = _run(seed)
    rate = kept / total_keep
    record_property("must_keep_rate", rate)
    print(f"\nseed {seed}: leaks {len(leaks)}, kept {kept}/{total_keep} = {rate:.1%}, lost {lost}")
    assert leaks == []
    assert rate >= 0.95, lost
