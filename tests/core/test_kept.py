from prm.core.kept import Kept


def test_a_value_is_written_once_per_key():
    written = []
    kept = Kept(4)

    def write(key):
        written.append(key)
        return f"<{key}>"

    assert kept.get("a", lambda: write("a")) == "<a>"
    assert kept.get("a", lambda: write("again")) == "<a>"
    assert kept.get("b", lambda: write("b")) == "<b>"
    assert written == ["a", "b"]


def test_it_forgets_every_key_once_full():
    kept = Kept(2)
    kept.get(1, lambda: "one")
    kept.get(2, lambda: "two")
    assert len(kept) == 2
    assert kept.get(3, lambda: "three") == "three"
    assert len(kept) == 1
    assert kept.get(1, lambda: "one again") == "one again"
