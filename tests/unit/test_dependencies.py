"""Dependencies the design forbids stay out (R31)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bleach_is_not_a_dependency():
    for name in ("requirements.in", "requirements.txt", "requirements-dev.in", "requirements-dev.txt"):
        lines = (ROOT / name).read_text().lower().splitlines()
        assert not any(line.strip().startswith("bleach") for line in lines), name
