"""The demo consultation: the draft assessment for 後期高齢者医療事務 of the former welfare system.

Built from the pre-inspection meeting of 22 June 2015 (shared/seed/): the sections follow the draft as
the department explained it, page numbers included. The period is moved to start today, so the demo
is always open: 31 days, the publication day counted as day 1.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from comments import clock
from comments.domain.audit import Actor, record_event
from comments.domain.consultations import open_consultation
from comments.domain.deadlines import end_of_day, start_of_day
from comments.domain.departments import department_named
from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, Material, MaterialKind, Section
from comments.storage import BlobStore

DEMO_SLUG = "kouki-koureisha-iryo-kyu-fukushi"
# The department that owns the affair; the demo's department-staff account belongs to it.
DEMO_DEPARTMENT = "保健福祉局健康部健康保険課"
DEMO_TITLE = "特定個人情報保護評価書（全項目評価書）（案）後期高齢者医療事務（（旧）福祉システム）"

SECTIONS = [
    (
        "I-1",
        "特定個人情報ファイルを取り扱う事務",
        3,
        "後期高齢者医療制度は、高齢者と現役世代の負担を明確にし、社会全体で高齢者の医療費を支え合うための制度であり、"
        "都道府県単位で全ての市町村が加入する千葉県後期高齢者医療広域連合（以下「広域連合」）が保険者となる。\n"
        "広域連合は保険料の賦課決定及び給付を行い、本市は申請書の受付、窓口業務、保険料の徴収等の15事務を行う。"
        "このうち、被保険者の資格管理に関する申請及び届出の受付、医療給付に関する申請及び届出の受付並びに証明書の引渡し、"
        "保険料に関する申請書の受付、保険料の徴収、保険料の徴収猶予及び減免に係る申請書の受付、申告書の受付並びに"
        "これらに付随する事務において特定個人情報を取り扱う。",
    ),
    (
        "I-2",
        "特定個人情報ファイルを取り扱う事務において使用するシステム",
        4,
        "システム1：福祉総合情報システム。保健・福祉に関する17事務に用いる。資格機能、賦課機能、徴収機能を有し、"
        "住民基本台帳システム、税務システム、標準システム、介護保険システム、国民健康保険システム等と接続する。\n"
        "システム2：千葉県後期高齢者医療広域連合電算処理システム（標準システム）。広域連合に設置されたサーバー群と"
        "各市町村に設置された窓口端末で構成され、資格管理業務、賦課・収納業務、給付業務の機能を有する。",
    ),
    ("I-3", "特定個人情報ファイル名", 6, "後期高齢者医療ファイル"),
    (
        "I-4",
        "特定個人情報ファイルを取り扱う理由",
        6,
        "被保険者資格や給付の情報等を個人番号により正確かつ効率的に検索・照会するため、住民基本台帳関連情報、"
        "宛名番号及び広域連合が付番する被保険者番号を個人番号と紐付けて管理する必要がある。\n"
        "法令上の根拠：番号法第9条及び同法に基づく厚生労働省令。情報提供ネットワークシステムによる情報連携は、"
        "現在のところ実施の予定はない。",
    ),
    (
        "I-5",
        "事務の流れ（業務全体図）",
        7,
        "本市の福祉総合情報システムは、住民基本情報、個人住民税、介護保険の情報をもとに整理したデータを、"
        "標準システムの窓口端末から専用線で広域連合へ送信する。広域連合が確定した年額保険料を窓口端末で受け取り、"
        "福祉総合情報システムに取り込んで納付の請求を行う。",
    ),
    (
        "III-2",
        "特定個人情報の入手",
        21,
        "リスク1 目的外の入手が行われるリスク：氏名、生年月日等を一つひとつ個人番号と確認する。本市の様式では個人番号を"
        "記載させる欄を減らし、必要性の低い個人情報を記載させない。\n"
        "リスク2 不適切な方法で入手が行われるリスク：事務を取り扱える職員を限定する。\n"
        "リスク3 入手した特定個人情報が不正確であるリスク：個人番号カードの提示等により本人確認を強化する。\n"
        "リスク4 入手の際の漏えい・紛失のリスク：紙媒体は施錠できる場所で保管し、速やかに広域連合に送付する。"
        "窓口端末と広域連合の標準システムとの通信には認証・通信内容の暗号化を実施している。",
    ),
    (
        "III-3",
        "特定個人情報の使用",
        24,
        "リスク1 目的を超えた紐付けのリスク：特定の職員のみが使用できるようにし、委託契約で収集の制限及び目的外提供の制限を定める。\n"
        "リスク2 権限のない者（元職員、アクセス権限のない職員等）による不正使用のリスク：アクセス制限を行い、アクセスログを"
        "取得して管理する。定期的にユーザーID及びアクセス権限を再確認し、異動・退職した職員のIDは速やかに変更・削除する。\n"
        "リスク3 従業者が事務外で使用するリスク：情報システム管理者が定期的に記録を確認する。\n"
        "リスク4 特定個人情報ファイルが不正に複製されるリスク：データを抽出して表計算ソフトで編集できる機能は設けない。",
    ),
    (
        "III-4",
        "特定個人情報ファイルの取扱いの委託",
        26,
        "個人情報取扱特記事項を明記した契約書により契約を締結する。システムの操作ログは公文書管理規則により5年間保存する。"
        "再委託は本市が承認した場合に限り例外的に認め、委託終了時には返還、消去又は廃棄を報告させ、職員が確認する。",
    ),
    (
        "III-5",
        "特定個人情報の提供・移転",
        27,
        "窓口端末へのログイン時に職員認証を行い、ログインした職員、時刻、操作内容を記録する。窓口端末から標準システムへの"
        "データ転送の記録を確認し、不正なデータ配信がないか点検する。",
    ),
    (
        "III-6",
        "情報提供ネットワークシステムとの接続",
        28,
        "本評価の対象では情報提供ネットワークシステムと接続しないため、記載を省略する。",
    ),
    (
        "III-7",
        "特定個人情報の保管・消去",
        29,
        "サーバー室は監視カメラで監視し、非常用自家発電機及びガス系消火設備を備えた建物にある。執務室の端末はセキュリティ"
        "ワイヤーで固定する。遠隔地にデータを保存する。住民基本台帳システムと連携して常に最新の情報に更新される。",
    ),
]


def seed_demo(blob_store: BlobStore, actor: Actor) -> tuple[Consultation, bool]:
    """Create the demo consultation unless it exists; return it and whether it was created."""
    existing = db.session.execute(select(Consultation).where(Consultation.slug == DEMO_SLUG)).scalar_one_or_none()
    if existing is not None:
        return existing, False
    today = clock.japan_today()
    opens_at = start_of_day(today)
    closes_at = end_of_day(today + timedelta(days=30))
    consultation = Consultation(
        slug=DEMO_SLUG,
        title=DEMO_TITLE,
        affair="後期高齢者医療事務",
        system_name="（旧）福祉システム（福祉総合情報システム）",
        department=department_named(DEMO_DEPARTMENT),
        evaluation_group="第1グループ",
        summary=(
            "番号法第28条に基づき、後期高齢者医療事務の特定個人情報保護評価書（全項目評価書）の案を公表し、"
            "市民の皆さまのご意見を募集します。いただいたご意見は、情報公開・個人情報保護審議会特定個人情報保護評価部会"
            "による第三者点検に付したうえで、市の考え方とともに公表します。個人の氏名や連絡先は公表しません。"
        ),
        status=ConsultationStatus.draft,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    for position, (number, heading, page, body) in enumerate(SECTIONS, start=1):
        consultation.sections.append(Section(position=position, number=number, heading=heading, page=page, body=body))
    pdf = build_pdf_for(consultation)
    sha256, _created = blob_store.put(pdf)
    consultation.materials.append(
        Material(
            kind=MaterialKind.original,
            title="評価書（案）原本",
            filename="hyokasho-an.pdf",
            content_type="application/pdf",
            size=len(pdf),
            sha256=sha256,
            public=True,
        )
    )
    db.session.add(consultation)
    db.session.flush()
    record_event(actor, "consultation.seeded", consultation, sections=len(SECTIONS))
    open_consultation(consultation, actor)
    db.session.flush()
    return consultation, True


def build_pdf_for(consultation: Consultation) -> bytes:
    from comments.demo.pdf import build_demo_pdf

    return build_demo_pdf(
        "評価書（案）後期高齢者医療事務",
        [f"{section.number} {section.heading}（{section.page}ページ）" for section in consultation.sections],
    )
