"""The monitored items as the program document states them (chapter 六、民生及戰備產業, KPIs 6.1–6.10).

Every item and every minimum carries the seed line it comes from (``/work/shared/seed/000_…txt``;
sixcore/supplies/tests/test_supplies_rules.py checks the quoted words are on those lines). Where the document leaves a
parameter open (how often sand and gravel or PPE are reported, the price-warning threshold, the
trailing window), the choice is marked ``assumed`` in ``notes`` and is editable in the registry.

:func:`seed_registry` creates what is missing and never overwrites an edited item, so NDC's and the
agencies' edits survive a re-seed; it is called by ``sixcore supplies seed``, ``status``, ``demo``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from .choices import Basis, Frequency, MinimumKind

# Agencies the items need, in case the plan (which registers every agency) is not loaded yet.
AGENCIES = {
    "moea": ("經濟部", "經濟部"),
    "mohw": ("衛福部", "衛生福利部"),
    "ndc": ("國發會", "國家發展委員會"),
}

PROGRAM_START = date(2021, 1, 1)  # 110/1, the program's first month


@dataclass(frozen=True)
class MinimumSeed:
    effective_from: date
    value: Decimal
    line: int
    basis_text: str


@dataclass(frozen=True)
class ItemSeed:
    code: str
    name: str
    group: str
    unit: str
    frequency: str
    agency: str
    line: int
    source: str
    minimum_kind: str = MinimumKind.DAYS
    basis: str = Basis.TRAILING
    window_days: int = 90
    grace_days: int = 7
    extra_lines: tuple[int, ...] = ()
    minimums: tuple[MinimumSeed, ...] = ()
    price_unit: str = ""
    price_warning_pct: Decimal | None = None
    notes: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


def _m(start: date, value: str, line: int, text: str) -> MinimumSeed:
    return MinimumSeed(start, Decimal(value), line, text)


ENERGY = "穩定能源自主"
LIVELIHOOD = "強化民生物資"
MEDICAL = "完備醫療物資"
DISASTER = "健全救災及砂石水泥調度"
INDUSTRY = "確保 15 項重要工業物資供應"

ITEMS: list[ItemSeed] = [
    ItemSeed(
        code="oil",
        name="石油",
        group=ENERGY,
        unit="公秉",
        frequency=Frequency.TWICE_WEEKLY,
        agency="moea",
        line=1889,
        extra_lines=(2494,),
        source="石油：透過業者每週提報 2 次石油安全存量資訊，並執行儲油查核作業，確保我國石油安全存量符合 90 天之法定規範。",
        window_days=90,
        grace_days=3,
        minimums=(_m(PROGRAM_START, "90", 1889, "90 天之法定規範"),),
        notes="Trailing window of 90 days: assumed (the document states the 90-day minimum, not its basis).",
    ),
    ItemSeed(
        code="natural-gas",
        name="天然氣",
        group=ENERGY,
        unit="公噸",
        frequency=Frequency.MONTHLY,
        agency="moea",
        line=1890,
        extra_lines=(2494, 2048),
        source="天然氣：建置數位存量資料庫，適時掌握業者每月天然氣安全存量，確保我國天然氣安全存量符合現行至少 7 天之法定規範。",
        grace_days=10,
        minimums=(
            _m(PROGRAM_START, "7", 1890, "現行至少 7 天之法定規範；KPI 6.2.2 110 年 (90天、30天、7天)"),
            _m(date(2022, 1, 1), "8", 2494, "KPI 6.2.2 111–113 年 (90天、30天、8天)"),
            _m(date(2025, 1, 1), "11", 2048, "114 年天然氣安全存量達到 11 天"),
        ),
    ),
    ItemSeed(
        code="coal",
        name="煤炭",
        group=ENERGY,
        unit="公噸",
        frequency=Frequency.MONTHLY,
        agency="moea",
        line=1891,
        extra_lines=(2494,),
        source="煤炭：「能源管理法」相關規定，持續督導台電公司及民營電廠每月定期申報煤量安全存量，確保燃煤電廠儲存上一年度燃煤用量 30 天以上之存量",
        basis=Basis.PREVIOUS_YEAR,
        grace_days=10,
        minimums=(_m(PROGRAM_START, "30", 1891, "上一年度燃煤用量 30 天以上之存量"),),
    ),
    ItemSeed(
        code="meltblown",
        name="熔噴布",
        group=LIVELIHOOD,
        unit="公噸",
        frequency=Frequency.QUARTERLY,
        agency="moea",
        line=1897,
        extra_lines=(1913, 2125, 2496),
        source="除每季彙整產業公會提供之熔噴布產銷存資料 … 口罩所需關鍵原料(熔噴布)安全庫存至少約 1 個月",
        minimum_kind=MinimumKind.MONTHS,
        window_days=185,
        grace_days=30,
        minimums=(_m(PROGRAM_START, "1", 1913, "熔噴布安全庫存至少約 1 個月"),),
        notes="Trailing window of two quarters: assumed, so that a quarterly report has a previous one.",
    ),
    ItemSeed(
        code="pulp",
        name="紙漿",
        group=LIVELIHOOD,
        unit="公噸",
        frequency=Frequency.MONTHLY,
        agency="moea",
        line=1897,
        extra_lines=(1915, 2496),
        source="每月彙整紙漿產銷存紙本資料及海關進口統計資料 … 生產衛生紙所需原料紙漿安全庫存至少約 1 個月",
        minimum_kind=MinimumKind.MONTHS,
        grace_days=15,
        minimums=(_m(PROGRAM_START, "1", 1915, "紙漿安全庫存至少約 1 個月"),),
    ),
    ItemSeed(
        code="soybean",
        name="黃豆",
        group=LIVELIHOOD,
        unit="公噸",
        frequency=Frequency.MONTHLY,
        agency="moea",
        line=1899,
        extra_lines=(2125, 2496),
        source="將持續每月彙整產業公會提供之黃豆、小麥產銷存紙本資料 … 維持原料庫存至少1個月",
        minimum_kind=MinimumKind.MONTHS,
        grace_days=15,
        minimums=(
            _m(PROGRAM_START, "1", 2125, "掌握安全庫存，維持原料庫存至少1個月 (熔噴布、紙漿、黃豆、小麥)"),
        ),
    ),
    ItemSeed(
        code="wheat",
        name="小麥",
        group=LIVELIHOOD,
        unit="公噸",
        frequency=Frequency.MONTHLY,
        agency="moea",
        line=1899,
        extra_lines=(1917, 2496),
        source="將持續每月彙整產業公會提供之黃豆、小麥產銷存紙本資料 … 掌握麵粉及速食麵原料小麥安全庫存至少約 1 個月",
        minimum_kind=MinimumKind.MONTHS,
        grace_days=15,
        minimums=(_m(PROGRAM_START, "1", 1917, "小麥安全庫存至少約 1 個月"),),
    ),
    # The finished goods of 6.2.3: reported as the document says, with no minimum (it states one only
    # for their raw materials, above).
    *(
        ItemSeed(
            code=code,
            name=name,
            group=LIVELIHOOD,
            unit=unit,
            frequency=frequency,
            agency="moea",
            line=2128,
            extra_lines=(2130, 2502),
            source="每季盤點非醫療用口罩產銷存資料；每月盤點衛生紙、黃豆油及麵粉之產銷存狀況，確保產品供應能力",
            grace_days=30 if frequency == Frequency.QUARTERLY else 15,
            window_days=185 if frequency == Frequency.QUARTERLY else 90,
            notes=(
                "No minimum in the document (it gives one for the raw material only). The unit is assumed: "
                "the document names none."
            ),
        )
        for code, name, unit, frequency in (
            ("mask-nonmedical", "非醫療用口罩", "片", Frequency.QUARTERLY),
            ("toilet-paper", "衛生紙", "公噸", Frequency.MONTHLY),
            ("soybean-oil", "黃豆油", "公噸", Frequency.MONTHLY),
            ("flour", "麵粉", "公噸", Frequency.MONTHLY),
        )
    ),
    ItemSeed(
        code="cement",
        name="水泥",
        group=DISASTER,
        unit="公噸",
        frequency=Frequency.MONTHLY,
        agency="moea",
        line=2168,
        extra_lines=(1999, 2545),
        source="3.1 監控水泥產銷存情形，確保生產量能 … 3.1.1 初期每月彙整產業公會提供之水泥產銷存紙本資料",
        grace_days=15,
        notes="No minimum in the document (水泥及其原料可自給自足): production, sales and stock are watched.",
    ),
    ItemSeed(
        code="sand-gravel",
        name="砂石",
        group=DISASTER,
        unit="立方公尺",
        price_unit="元/立方公尺",
        frequency=Frequency.MONTHLY,
        agency="moea",
        line=1991,
        extra_lines=(1990, 2162),
        source="導入大數據分析模型，以建立砂石市場供需及價格預警機制",
        grace_days=15,
        price_warning_pct=Decimal("10"),
        notes=(
            "Monthly reporting and the price warning (10% above the moving average of the last 6 reports) "
            "are assumed: the document asks for 產銷價量資料調查 and a 價格預警機制 without figures."
        ),
    ),
    ItemSeed(
        code="ppe",
        name="個人防護裝備",
        group=MEDICAL,
        unit="件",
        frequency=Frequency.MONTHLY,
        agency="mohw",
        line=2519,
        extra_lines=(2523, 1940),
        source="6.3.7 落實個人防護裝備於醫療院所、地方政府及中央政府三級庫存，全國三級庫存安全儲備量達成率 100 %",
        minimum_kind=MinimumKind.PERCENT,
        basis=Basis.SAFETY_LEVEL,
        grace_days=15,
        minimums=(_m(PROGRAM_START, "100", 2523, "全國三級庫存安全儲備量達成率 100 %"),),
        notes="Monthly reporting assumed; each tier's safety level is set on its assignment.",
    ),
    ItemSeed(
        code="war-reserve-drugs",
        name="戰備藥物",
        group=MEDICAL,
        unit="人份",
        frequency=Frequency.QUARTERLY,
        agency="mohw",
        line=1838,
        source=(
            "公、民營醫院依照「藥品醫材儲備動員管制辦法」儲備戰備藥物，全國現有 200 家醫院配合辦理，"
            "戰備藥物共計儲備 1 萬 7,100 人份"
        ),
        grace_days=30,
        window_days=185,
        notes=(
            "The document states the reserve held (1 萬 7,100 人份 at 200 hospitals), not a statutory minimum "
            "in days or months: no minimum is recorded. Quarterly reporting is assumed (the document asks "
            "for 資訊化 management of the hospitals' reserves without a frequency)."
        ),
    ),
]

# Footnote 9 (seed line 1880) and KPI 6.9.1 (line 2553): 產品現有存量、原料存量、可使用日份, surveyed yearly.
INDUSTRIES = [
    ("steel", "鋼鐵", "公噸"),
    ("copper", "製銅", "公噸"),
    ("aluminium", "製鋁", "公噸"),
    ("shipbuilding", "造船", "千元"),
    ("machinery", "機械", "千元"),
    ("electrical", "電機", "千元"),
    ("automobile", "汽車", "千元"),
    ("electronics", "通信電子", "千元"),
    ("food", "食品", "公噸"),
    ("cement-industry", "水泥", "公噸"),
    ("chemicals", "化工原料", "公噸"),
    ("rubber", "橡膠", "公噸"),
    ("plastics", "塑膠製品", "公噸"),
    ("daily-goods", "日用品", "千元"),
    ("aviation", "航空", "千元"),
]
ITEMS += [
    ItemSeed(
        code=f"industry-{code}",
        name=f"{name}業原料存量",
        group=INDUSTRY,
        unit=unit,
        frequency=Frequency.ANNUAL,
        agency="moea",
        line=2553,
        extra_lines=(1880, 2028),
        source="6.9.1 針對 15 項重要工業，調查當年度其產品現有存量、原料存量、可使用日份等動態資料，以利戰備整備積儲",
        window_days=400,
        grace_days=60,
        notes=(
            "No minimum in the document. Stock is the raw-material stock, consumption its use since the "
            "last survey, so days of cover is 可使用日份. The unit (公噸 or 千元 for assembled products) is assumed."
        ),
    )
    for code, name, unit in INDUSTRIES
]


def ensure_agencies() -> dict[str, Any]:
    """The agencies the items refer to, created minimal if the plan has not been loaded."""
    from sixcore.accounts.models import Agency

    found = {a.code: a for a in Agency.objects.filter(code__in=AGENCIES)}
    for code, (name, full_name) in AGENCIES.items():
        if code not in found:
            found[code], _ = Agency.objects.get_or_create(
                code=code, defaults={"name": name, "full_name": full_name}
            )
    return found


@transaction.atomic
def seed_registry() -> int:
    """Create the items and minimums of :data:`ITEMS` that do not exist yet; returns how many were created.

    Existing items are left as they are (edits by NDC or the agency win); a missing minimum step of
    an existing item is not re-added either, so a deliberate deletion sticks.
    """
    from .models import Minimum, SupplyItem

    agencies = ensure_agencies()
    existing = set(SupplyItem.objects.values_list("code", flat=True))
    created = 0
    for order, seed in enumerate(ITEMS, start=1):
        if seed.code in existing:
            continue
        item = SupplyItem.objects.create(
            code=seed.code,
            name=seed.name,
            group=seed.group,
            unit=seed.unit,
            price_unit=seed.price_unit,
            frequency=seed.frequency,
            grace_days=seed.grace_days,
            responsible_agency=agencies[seed.agency],
            minimum_kind=seed.minimum_kind,
            basis=seed.basis,
            window_days=seed.window_days,
            price_warning_pct=seed.price_warning_pct,
            line=seed.line,
            extra_lines=list(seed.extra_lines),
            source=seed.source,
            notes=seed.notes,
            order=order * 10,
            **seed.fields,
        )
        for minimum in seed.minimums:
            Minimum.objects.create(
                item=item,
                effective_from=minimum.effective_from,
                value=minimum.value,
                line=minimum.line,
                basis_text=minimum.basis_text,
            )
        created += 1
    return created


def ensure_seeded() -> None:
    """Seed the registry once (when it is empty); cheap to call before every status computation."""
    from .models import SupplyItem

    if not SupplyItem.objects.exists():
        seed_registry()
