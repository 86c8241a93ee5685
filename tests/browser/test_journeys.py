"""The four journeys of issue #17, end to end in Debian's chromium, each at 1366 px and at 390 px.

- the public reads the program, a dashboard, why a light is what it is, and a published report;
- an agency officer fills the quarterly report (KPI actuals, work-item progress, budget), meets two
  errors with every typed value kept, saves and sends it to the agency's supervisor (陳核), who submits;
- the industry lead consolidates;
- NDC returns the report with a comment, the officer sees 已退回 and the comment, fixes and resubmits,
  NDC approves, and the public then sees the figure.

On every page a journey visits: axe-core (npm, package.json devDependencies) finds no serious or critical
violation, the page does not scroll sideways, the visible words of the controls are the reviewed terms
(tests/ui_terms.yaml), and no console error is logged. Screenshots go to var/screenshots/journeys/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from sixcore.progress.choices import SubmissionStatus
from sixcore.progress.models import Submission
from tests.factories import PASSWORD, editor, industry_lead, make_user, ndc_reviewer, open_period

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots" / "journeys"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
TERMS = {
    (t["msgid"], t.get("context")): t["zh"]
    for t in yaml.safe_load((ROOT / "tests" / "ui_terms.yaml").read_text(encoding="utf-8"))["terms"]
}
# The report of 國家通訊傳播委員會 for 資安卓越產業 (led by 數位發展部): one measure, KPIs and work items.
PERIOD, INDUSTRY, AGENCY, LEAD = "111Q2", "2", "ncc", "dcs"
AS_OF = "2022-07-05"  # 111Q2 open; the live server reads the same environment


def term(msgid: str, context: str | None = None) -> str:
    """The reviewed zh-TW word for a control (a KeyError if the table lacks it: add it there)."""
    return TERMS[(msgid, context)]


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: `npm ci` installs axe-core (package.json devDependencies)")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE.read_text(encoding="utf-8")


class Journey:
    """One person in one browser context: visits pages and checks each one as it is reached."""

    def __init__(self, browser, base: str, viewport: str, axe: str, name: str) -> None:
        self.base, self.viewport, self.name = base, viewport, name
        self.context = browser.new_context(locale="zh-TW", viewport=VIEWPORTS[viewport])
        # Injected by the browser itself: the site's Content-Security-Policy forbids inline scripts.
        self.context.add_init_script(script=axe)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", lambda dialog: dialog.accept())  # 送出審查 and 核定 ask first
        self.shots = 0
        for old in (SCREENSHOTS / viewport).glob(f"{name}-*.png"):  # a previous run's, maybe other steps
            old.unlink()

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def check(self, label: str, doc: str = "", show: str = "") -> None:
        """The page as reached: accessible, no sideways scroll, no console error; a screenshot kept.

        ``doc`` also keeps, at 1366 px, what the screen shows (``show`` scrolled into view) under
        var/screenshots/journeys/guide/, the candidates for docs/USER_GUIDE.md's pictures."""
        page = self.page
        page.wait_for_load_state("load")
        for chart in page.query_selector_all("[data-chart]"):
            chart.wait_for_selector("svg", state="attached")
        result = page.evaluate(
            "axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', "
            "values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]} {v['help']}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, (page.url, bad)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, (page.url, "scrolls sideways", width, inner)
        assert self.errors == [], (page.url, self.errors)
        self.shots += 1
        folder = SCREENSHOTS / self.viewport
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True)
        if doc and self.viewport == "desktop":
            # The top of the page, or ``show`` at the top of the screen (a focused error list scrolls).
            page.evaluate(
                "s => s ? document.querySelector(s).scrollIntoView({block: 'start'}) : window.scrollTo(0, 0)",
                show,
            )
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            (SCREENSHOTS / "guide").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "guide" / f"{doc}.png"))

    def log_in(self, username: str) -> None:
        self.go("/accounts/login/")
        self.check("login")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("#login-button")
        self.page.wait_for_url(re.compile(r"/todo/$"))  # 待辦事項 is the landing page
        self.check("todo", doc=f"todo-{self.name}")

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector).strip()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def journey(browser, live_server, viewport, axe_source):
    opened: list[Journey] = []

    def start(name: str) -> Journey:
        opened.append(Journey(browser, live_server.url, viewport, axe_source, name))
        return opened[-1]

    yield start
    for j in opened:
        j.close()


@pytest.fixture
def quarter(cycle_data, monkeypatch):
    """111Q2 open for reports, with the completeness rules NDC sets switched on."""
    monkeypatch.setenv("SIXCORE_AS_OF", AS_OF)
    period = open_period(PERIOD, completeness=True)
    return Submission.objects.get(period=period, industry__code=INDUSTRY, agency__code=AGENCY)


def fill_report(page, *, kpi_value: str = "3", percent: str = "50") -> None:
    """Everything 送出審查 requires: narratives, a KPI actual, work-item progress, the budget."""
    texts = {
        "progress": "完成 5G 資安檢測平台建置。",
        "highlights": "平台通過國際認證。",
        "next_quarter": "擴充檢測項目。",
    }
    for name, text in texts.items():
        for field in page.query_selector_all(f"#lines-form textarea[name$='|{name}']"):
            field.fill(text)
    for field in page.query_selector_all("#kpi-table input[name$='|value']"):
        field.fill(kpi_value)
    for field in page.query_selector_all("#kpi-table select[name$='|done']"):  # milestone KPIs
        field.select_option("1")
    for field in page.query_selector_all("#work-item-table input[name$='|percent']"):
        field.fill(percent)
    for field in page.query_selector_all("#work-item-table textarea[name$='|lag_reason']"):
        field.fill("設備採購延後。")
    for field in page.query_selector_all("#work-item-table textarea[name$='|remedy']"):
        field.fill("已協調廠商提前交貨。")
    for field in page.query_selector_all("#budget-table input"):
        field.fill("0.5")


def submitted(submission: Submission) -> Submission:
    """The officer's journey done through the services (the other journeys start from it)."""
    from sixcore.progress import workflow
    from sixcore.progress.services import save_lines

    officer = editor(AGENCY)
    changes = {
        "measures": {
            r.measure.code: {
                "progress": "完成平台建置。",
                "highlights": "取得認證。",
                "next_quarter": "擴充項目。",
            }
            for r in submission.measure_reports.select_related("measure")
        },
        "kpis": {
            r.kpi.code: {"value": "3", "done": "1"} for r in submission.kpi_reports.select_related("kpi")
        },
        "work_items": {
            f"{r.work_item.schedule.code}/{r.work_item.code}": {
                "percent": "50",
                "lag_reason": "設備採購延後。",
                "remedy": "已協調廠商提前交貨。",
            }
            for r in submission.work_item_reports.select_related("work_item__schedule")
        },
    }
    save_lines(submission, officer, submission.version, changes)
    submission.refresh_from_db()
    return workflow.submit(submission, officer)


def test_the_public_reads_the_program(journey, cycle_data):
    call_command("demo", "--until", "110Q3", "--password", PASSWORD)  # 110Q1 published
    public = journey("a-public")
    public.go("/")
    assert term("Industries and visions") in public.page.locator("main h2").all_inner_texts()
    public.check("overview")

    public.go("/dashboard/?period=110Q2")
    assert term("Program dashboard") in public.text("h1")
    assert public.page.locator("#light-legend").is_visible()  # 燈號說明, thresholds in force
    public.check("dashboard", doc="public-dashboard")

    public.page.click("#lights-table tbody tr:first-child a")
    public.page.wait_for_url(re.compile(r"/dashboard/industries/"))
    public.check("industry")
    reasons = [r.strip() for r in public.page.locator("main .reason").all_inner_texts()]
    assert reasons and all(reasons), "each light's reason is visible text"

    public.go("/dashboard/measures/1.2/kpis/1.2.2/")
    assert public.page.locator("#history-table tbody tr").count() > 0
    public.check("kpi")

    public.go("/reports/")
    public.check("reports")
    link = public.page.locator("a[href$='/reports/quarterly/110Q1.ods']")
    response = public.page.request.get(public.base + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"


def test_an_officer_fills_and_submits(journey, quarter):
    from sixcore.accounts.choices import Role
    from sixcore.accounts.models import Agency
    from sixcore.progress.models import CycleSettings

    supervisor = make_user(Role.AGENCY_EDITOR, AGENCY, f"{AGENCY}_supervisor")
    settings = CycleSettings.get()
    settings.internal_review_agencies.add(Agency.objects.get(code=AGENCY))
    settings.internal_reviewers.add(supervisor)
    officer = journey("b-officer")
    editor(AGENCY)
    officer.log_in(f"{AGENCY}_editor")
    page = officer.page
    page.click(f"#to-fill a[href='/progress/submissions/{quarter.pk}/']")
    officer.check("form")
    assert officer.text("#save-button") == term("Save")

    narrative = "本季完成 5G 資安檢測平台建置，並取得國際認證 1 項。"
    fill_report(page)
    page.fill("textarea[name$='|progress']", narrative)
    page.fill("#kpi-table input[name$='|value']", "abc")  # two mistakes
    page.fill("#work-item-table input[name$='|percent']", "150")
    page.click("#save-button")
    page.wait_for_selector("#errors")
    officer.check("two-errors", doc="editor-two-errors")
    assert len(page.query_selector_all(".field-error")) == 2
    assert page.input_value("textarea[name$='|progress']") == narrative  # nothing typed is lost
    assert page.input_value("#kpi-table input[name$='|value']") == "abc"
    assert page.input_value("#budget-table input >> nth=0") == "0.5"
    assert Submission.objects.get(pk=quarter.pk).version == quarter.version  # nothing half-written

    page.fill("#kpi-table input[name$='|value']", "3")
    page.fill("#work-item-table input[name$='|percent']", "50")
    page.click("#save-button")
    page.wait_for_selector(".messages")
    officer.check("saved")
    assert quarter.measure_reports.get().progress == narrative

    # 陳核: this agency's reports go to its supervisor (主管), who submits them.
    page.click("#internal-review-button")  # 儲存並陳核, after a confirmation
    page.wait_for_selector(".status-internal-review, #errors, .messages .error")
    assert page.query_selector("#errors, .messages .error") is None, officer.text("main")
    assert officer.text(".status-internal-review") == term("In internal review (陳核中)")
    assert page.query_selector("#save-button") is None  # nobody edits it meanwhile
    officer.check("internal-review")

    boss = journey("b-supervisor")
    boss.log_in(supervisor.username)
    boss.page.click(f"#internal-review a[href='/progress/submissions/{quarter.pk}/']")  # 待辦: 陳核中
    assert boss.text("#internal-return-button") == term("Send back to the officer")
    boss.check("with-supervisor")
    boss.page.click("#submit-button")  # 送出審查, after a confirmation
    boss.page.wait_for_selector(".status-submitted")
    assert boss.text(".status-submitted") == term("Submitted")
    boss.check("submitted", doc="supervisor-submitted")
    submission = Submission.objects.get(pk=quarter.pk)
    assert submission.status == SubmissionStatus.SUBMITTED and submission.submitted_by == supervisor


def test_the_industry_lead_consolidates(journey, quarter):
    submitted(quarter)
    industry_lead(LEAD)
    lead = journey("c-lead")
    lead.log_in(f"{LEAD}_lead")
    page = lead.page
    page.click(f"#to-consolidate a[href='/progress/submissions/{quarter.pk}/']")
    assert lead.text(".status-submitted") == term("Submitted")
    assert lead.text("#consolidate-button") == term("Consolidate")
    lead.check("submitted-report")
    page.click("#consolidate-button")
    page.wait_for_selector(".status-consolidated")
    assert lead.text(".status-consolidated") == term("Consolidated")
    lead.check("consolidated", doc="lead-consolidated", show="#workflow")
    assert Submission.objects.get(pk=quarter.pk).status == SubmissionStatus.CONSOLIDATED


def test_ndc_returns_the_officer_resubmits_ndc_approves(journey, quarter):
    from sixcore.progress import workflow

    workflow.consolidate(submitted(quarter), industry_lead(LEAD))
    ndc_reviewer()
    comment = "請補充國際認證之佐證資料，並修正實際值。"
    report = f"/progress/submissions/{quarter.pk}/"

    ndc = journey("d-ndc")
    ndc.log_in("ndc_reviewer")
    ndc.page.click(f"#to-review a[href='{report}']")
    assert ndc.text("#return-button") == term("Return for revision")
    ndc.page.fill("#return-comment-input", comment)
    ndc.check("returning", doc="ndc-returning", show="#workflow")
    ndc.page.click("#return-button")
    ndc.page.wait_for_selector(".status-returned")
    assert ndc.text(".status-returned") == term("Returned")
    ndc.check("returned")

    officer = journey("d-officer")
    officer.log_in(f"{AGENCY}_editor")
    assert comment in officer.text("#returned")  # the 待辦 list shows the reviewer's comment
    officer.page.click(f"#returned a[href='{report}']")
    box = officer.text("#return-comment")
    assert term("Returned") in box and term("Reviewer's comment") in box and comment in box
    officer.check("sees-returned", doc="editor-sees-returned")
    fix = "已取得 ISO/IEC 17025 國際認證，佐證資料已上傳。"
    officer.page.fill("#lines-form textarea[name$='|highlights']", fix)
    officer.page.click("#submit-button")  # 儲存並送出審查
    officer.page.wait_for_selector(".status-submitted")
    officer.check("resubmitted")

    ndc.go(report)
    assert ndc.text("#approve-button") == term("Approve")
    ndc.page.click("#approve-button")
    ndc.page.wait_for_selector(".status-approved")
    assert ndc.text(".status-approved") == term("Approved")
    ndc.check("approved")
    assert Submission.objects.get(pk=quarter.pk).status == SubmissionStatus.APPROVED

    # The public now sees the approved figures and finds the officer's words.
    kpi = quarter.kpi_reports.select_related("kpi__measure").first().kpi
    public = journey("d-public")
    public.go(f"/dashboard/measures/{kpi.measure.code}/kpis/{kpi.code}/")
    row = public.page.locator("#history-table tbody tr", has_text="111 年第 2 季")
    assert "尚未填報" not in row.inner_text() and row.locator(".light").count() == 1
    public.check("published-figure", doc="public-kpi", show="#history-table")
    public.go("/search/?q=ISO/IEC 17025")
    assert fix in public.text("main")
    public.check("search")
