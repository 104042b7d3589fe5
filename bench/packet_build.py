"""The inspection packet's builders at volume: a 5,000-row Packet to DOCX and CSV, seconds per format.

Run by hand, never by the tests:  .venv/bin/python bench/packet_build.py  (``--help`` for the knobs).

Builds one ``Packet`` untimed: ``--rows`` rows over ``--consultations`` consultations, Japanese gists of
100 to 400 characters and responses of 100 to 300 made of sentences from the seed minutes
(../shared/seed/*.txt, beside the project), one row in ten with one to three inquiries, 2 % carried over with a reason,
one in twenty a same-purport group. Then times ``packet_docx`` and ``packet_csv`` ``--runs`` times each
and prints every run, the median and the output size; it reopens the last DOCX with python-docx
(untimed) and exits 1 if its tables do not hold every row.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))

SEED_DIR = PROJECT_DIR.parent / "shared" / "seed"
FALLBACK = "暗号化の方式について質問します。鍵の管理は誰が行いますか。委託先の監督はどのように行いますか。"
BODIES = ("総務省", "J-LIS", "広域連合", "厚生労働省")
KINDS = ("意見", "質問", "要望")
SUBMITTERS = ("市民", "部会委員", "事業者", "団体")
CATEGORIES = ("反映", "既に記載", "参考", "反映しない", "回答")
SECTIONS = (
    "",
    "I-1 特定個人情報ファイルを取り扱う事務",
    "II-3 特定個人情報の入手",
    "III-2 特定個人情報の使用",
    "III-7 リスク対策",
    "IV-1 監査",
)


def sentences(directory: Path) -> list[str]:
    text = "\n".join(path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.txt"))) or FALLBACK
    found = [part.strip() + "。" for part in re.split(r"[。\n]", text) if 8 <= len(part.strip()) <= 120]
    return found or [FALLBACK]


def japanese(rng: random.Random, pool: list[str], low: int, high: int) -> str:
    """Whole sentences from the pool until the drawn length is reached, cut to exactly that length."""
    target = rng.randint(low, high)
    parts: list[str] = []
    length = 0
    while length < target:
        sentence = rng.choice(pool)
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)[:target]


def build_packet(rows: int, consultations: int, seed: int):
    from comments import create_app
    from comments.domain.packet import Packet, PacketConsultation, PacketInquiry, PacketRow, packet_labels
    from config import TestingConfig

    # The words come from the translation catalog (`make translations`); the app opens no database.
    with create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://").app_context():
        labels = packet_labels("ja")

    rng = random.Random(seed)
    pool = sentences(SEED_DIR)
    per_consultation: list[tuple[list, list]] = [([], []) for _ in range(consultations)]
    for number in range(1, rows + 1):
        inquiries = ()
        if rng.random() < 0.10:
            inquiries = tuple(
                PacketInquiry(
                    body_name=rng.choice(BODIES),
                    question=japanese(rng, pool, 40, 120),
                    answer=japanese(rng, pool, 40, 200) if rng.random() < 0.7 else "",
                    answered_on=date(2015, 8, 1) + timedelta(days=rng.randint(0, 60)),
                )
                for _ in range(rng.randint(1, 3))
            )
        category = rng.choice(CATEGORIES)
        row = PacketRow(
            number=str(number) if rng.random() < 0.9 else f"{number}-{rng.randint(1, 3)}",
            section=rng.choice(SECTIONS),
            page=rng.randint(1, 60) if rng.random() < 0.8 else None,
            submitter_kind=rng.choice(SUBMITTERS),
            kind=rng.choice(KINDS),
            gist=japanese(rng, pool, 100, 400),
            response=japanese(rng, pool, 100, 300),
            category=category,
            change=japanese(rng, pool, 20, 120) if category == "反映" else "",
            group_count=rng.randint(2, 12) if rng.random() < 0.05 else 1,
            inquiries=inquiries,
        )
        rows_of, carried_of = per_consultation[(number - 1) % consultations]
        if rng.random() < 0.02:
            carried_of.append((row, "国へ照会中のため、次回の部会で説明します。"))
        else:
            rows_of.append(row)
    return Packet(
        meeting_id=1,
        meeting_title="平成27年度第3回 特定個人情報保護評価部会",
        meeting_date="2015年10月1日",
        organisation="千葉市",
        consultations=tuple(
            PacketConsultation(
                title=f"評価書（案）{index + 1}：後期高齢者医療事務",
                period="2015年6月22日〜7月21日",
                rows=tuple(rows_of),
                carried_over=tuple(carried_of),
            )
            for index, (rows_of, carried_of) in enumerate(per_consultation)
        ),
        draft=True,
        language="ja",
        labels=labels,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--consultations", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20151001)
    args = parser.parse_args()

    import docx

    from comments.exports.packet_csv import packet_csv
    from comments.exports.packet_docx import packet_docx

    started = time.perf_counter()
    packet = build_packet(args.rows, args.consultations, args.seed)
    carried = sum(len(c.carried_over) for c in packet.consultations)
    with_inquiries = sum(1 for c in packet.consultations for row in c.rows if row.inquiries)
    print(
        f"packet: {args.rows} rows in {args.consultations} consultations, {carried} carried over, "
        f"{with_inquiries} tabled rows with inquiries (built in {time.perf_counter() - started:.2f} s, untimed)"
    )

    outputs: dict[str, bytes] = {}
    for name, build in (("DOCX", packet_docx), ("CSV", packet_csv)):
        seconds = []
        for _ in range(args.runs):
            started = time.perf_counter()
            outputs[name] = build(packet)
            seconds.append(time.perf_counter() - started)
        runs = ", ".join(f"{value:.2f}" for value in seconds)
        print(
            f"{name:5} runs: {runs} s   median {statistics.median(seconds):.2f} s   "
            f"{len(outputs[name]) / 1_000_000:.1f} MB"
        )

    document = docx.Document(io.BytesIO(outputs["DOCX"]))
    table_rows = sum(len(table.rows) - 1 for table in document.tables)  # less each header row
    if table_rows != args.rows:
        print(f"FAILED: the DOCX tables hold {table_rows} rows, expected {args.rows}")
        return 1
    print(f"check: the DOCX reopens with {len(document.tables)} tables holding all {table_rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
