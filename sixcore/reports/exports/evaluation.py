"""The evaluation dataset: one period's stored evaluation (``evaluation.read``) as tables."""

from __future__ import annotations

from sixcore.evaluation.read import evaluation_for

from .tables import Table, table_of


def evaluation_tables(period, user=None, *, published_only: bool = True) -> list[Table]:
    """One period's evaluation (the stored one, ``evaluation.read``) as tables."""
    e = evaluation_for(period, user, published_only=published_only)
    ratio = "（比率，0.9 = 90%）"
    return [
        table_of(
            "kpis",
            f"{e.period} 關鍵績效指標評估",
            [
                ("kpi", "指標編號"),
                ("measure", "措施代碼"),
                ("industry", "產業代碼"),
                ("text", "全期目標"),
                ("kind", "類型"),
                ("unit", "單位"),
                ("expected", "本季預期值"),
                ("actual", "實際值"),
                ("achievement", "達成率" + ratio),
                ("light", "燈號（green/yellow/red/white）"),
                ("reason", "判定說明"),
                ("forecast", "年底預測值"),
                ("year_end_target", "年底目標值"),
                ("reported_by", "填報機關代碼"),
            ],
            [vars(k) for k in e.kpis],
        ),
        table_of(
            "work_items",
            f"{e.period} 工作項目進度評估",
            [
                ("schedule", "表號"),
                ("code", "工作項目編號"),
                ("title", "工作項目"),
                ("industry", "產業代碼"),
                ("measures", "措施代碼"),
                ("agencies", "機關代碼"),
                ("planned", "預定進度（%）"),
                ("reported", "實際進度（%）"),
                ("lag", "落後（百分點）"),
                ("light", "燈號"),
                ("status", "狀態"),
                ("lag_reason", "落後原因"),
                ("remedy", "因應對策"),
                ("completed_on", "完成日期"),
            ],
            [vars(w) for w in e.work_items],
        ),
        table_of(
            "budget",
            f"{e.period} 措施預算執行（億元）",
            [
                ("key", "措施代碼"),
                ("industry", "產業代碼"),
                ("allocated", "累計分配數"),
                ("executed", "累計執行數"),
                ("annual_budget", "年度預算"),
                ("execution_rate", "執行率" + ratio),
                ("achievement_rate", "達成率" + ratio),
                ("light", "燈號"),
            ],
            [vars(b) for b in e.budget],
        ),
        table_of(
            "budget_by_industry",
            f"{e.period} 產業預算執行（億元）",
            [
                ("key", "產業代碼"),
                ("allocated", "累計分配數"),
                ("executed", "累計執行數"),
                ("annual_budget", "年度預算"),
                ("execution_rate", "執行率" + ratio),
                ("achievement_rate", "達成率" + ratio),
                ("light", "燈號"),
            ],
            [vars(b) for b in e.budget_by_industry],
        ),
        table_of(
            "rollups",
            f"{e.period} 燈號統計",
            [
                ("kind", "彙總層級"),
                ("key", "代碼"),
                ("label", "名稱"),
                ("green", "綠燈"),
                ("yellow", "黃燈"),
                ("red", "紅燈"),
                ("white", "白燈"),
                ("items", "項數"),
                ("weighted_achievement", "加權達成率" + ratio),
            ],
            [{"kind": kind, **vars(r), **r.counts} for kind, rows in e.rollups.items() for r in rows],
        ),
        table_of(
            "risks",
            f"{e.period} 措施風險等級",
            [
                ("measure", "措施代碼"),
                ("name", "措施名稱"),
                ("industry", "產業代碼"),
                ("tier", "風險等級（high/medium/low）"),
                ("signals", "預警訊號"),
                ("red", "紅燈項數"),
            ],
            [
                {**vars(r), "signals": "；".join(f"{s['ref']}：{s['label']}" for s in r.signals)}
                for r in e.risks
            ],
        ),
        table_of(
            "flags",
            f"{e.period} 資料品質檢核",
            [
                ("code", "檢核代碼"),
                ("label", "檢核"),
                ("kind", "類別"),
                ("ref", "項目"),
                ("industry", "產業代碼"),
                ("measure", "措施代碼"),
                ("message", "說明"),
            ],
            [vars(f) for f in e.flags],
        ),
    ]
