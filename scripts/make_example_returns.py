"""Script the demo's example returns: what each partner "typed" in July, August and September 2023.

Writes `etl/demo/examples_data/returns/portfolio.json` (format: `etl.demo.examples`) for every project due in
each demo month by the example portfolio's reporting plan, except CPCA-001..CPCA-012 (the
Most Complex projects and the Improvement Plan workstreams, scripted in their own files).
The RAG of each project follows a storyline (`STORIES`) so the register shows every
direction of travel and some escalations; a few returns arrive after the due date, a few
are missing in September, a few are typed messily but validly (` amber `, `A/G`,
`31.03.2025`, `£1.2m`, non-breaking spaces), and two September returns are rejected (a RAG
of `Purple`; a blank project manager update) so there is something to chase and feed back.

Deterministic: run `python scripts/make_example_returns.py` after changing it; a test
checks the committed JSON is what this script writes.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.config import Settings  # noqa: E402
from etl.demo.runner import DEMO_PERIODS  # noqa: E402
from etl.rules.periods import FULL, Period  # noqa: E402
from etl.cycle.portfolio import load_portfolio, reporting_plan  # noqa: E402

TARGET = ROOT / "etl" / "demo" / "examples_data" / "returns" / "portfolio.json"
PERIODS = DEMO_PERIODS  # the months the demo runs through
#: Scripted elsewhere (issues on the Most Complex report and the programme highlight report).
SCRIPTED_ELSEWHERE = {f"CPCA-{n:03d}" for n in range(1, 13)}

# RAG per period (None: no return that month although due). Projects not listed report Green
# in their first month and repeat their last RAG after that.
STORIES: dict[str, dict[str, str | None]] = {
    "CPCA-013": {"2023-07": "Green", "2023-08": "Green", "2023-09": "Green/Amber"},
    "CPCA-016": {"2023-07": "Amber", "2023-08": "Amber/Red", "2023-09": "Red"},
    "CPCA-019": {"2023-07": "Amber", "2023-08": "Green/Amber", "2023-09": "Green"},
    "CPCA-020": {"2023-07": "Green", "2023-08": "Green", "2023-09": "Green"},
    "CPCA-028": {"2023-07": "Amber/Red", "2023-08": "Amber", "2023-09": "Amber"},
    "CPCA-032": {"2023-07": "Green/Amber", "2023-08": "Amber", "2023-09": None},
    "CPCA-049": {"2023-07": "Red", "2023-08": "Amber/Red", "2023-09": "Amber"},
    "CPCA-017": {"2023-08": "Amber"},
    "CPCA-022": {"2023-08": "Green"},
    "CPCA-023": {"2023-08": "Green/Amber"},
    "CPCA-025": {"2023-08": "Amber/Red"},
    "CPCA-030": {"2023-08": "Green"},
    "CPCA-031": {"2023-08": "Amber"},
    "CPCA-037": {"2023-08": "Red"},
    "CPCA-039": {"2023-08": "Green"},
    "CPCA-040": {"2023-08": "Green/Amber"},
    "CPCA-041": {"2023-08": "Amber"},
    "CPCA-051": {"2023-08": "Green"},
    "CPCA-053": {"2023-08": "Green/Amber"},
    "CPCA-056": {"2023-08": "Green"},
    "CPCA-057": {"2023-08": "Amber"},
    "CPCA-058": {"2023-08": "Green/Amber"},
    "CPCA-018": {"2023-09": "Green"},
    "CPCA-021": {"2023-09": "Green/Amber"},
    "CPCA-029": {"2023-09": "Green"},
    "CPCA-034": {"2023-09": "Amber"},
    "CPCA-035": {"2023-09": "Green"},
    "CPCA-036": {"2023-09": "Green"},
    "CPCA-038": {"2023-09": "Green/Amber"},
    "CPCA-042": {"2023-09": "Green"},
    "CPCA-043": {"2023-09": None},
    "CPCA-044": {"2023-09": "Purple"},
    "CPCA-045": {"2023-09": "Amber/Red"},
    "CPCA-046": {"2023-09": "Green"},
    "CPCA-048": {"2023-09": "Red"},
    "CPCA-050": {"2023-09": None},
    "CPCA-054": {"2023-09": "Green"},
    "CPCA-059": {"2023-09": "Amber"},
    "CPCA-061": {"2023-09": "Green"},
}

#: (project, period) → days after the due date the return arrived (late), default 3 to 8 days before.
LATE = {("CPCA-016", "2023-07"): 2, ("CPCA-028", "2023-08"): 5, ("CPCA-037", "2023-08"): 3,
        ("CPCA-045", "2023-09"): 5, ("CPCA-048", "2023-09"): 4}

#: In `MESSY`: the field's date typed as dd/mm/yyyy text; its amount typed as `£1.2m` or `£250k`.
UK_DATE, IN_MILLIONS, IN_THOUSANDS = object(), object(), object()

#: (project, period) → field values typed messily but validly (what is normalised on ingest).
MESSY: dict[tuple[str, str], dict[str, object]] = {
    ("CPCA-020", "2023-08"): {"rag_this_period": " green ", "budget_approved": "£5,000,001",
                              "forecast_completion_date": "31.03.2025"},
    ("CPCA-023", "2023-08"): {"rag_this_period": "A/G", "spend_to_date": IN_MILLIONS,
                              "next_key_milestone_date": "31st October 2023"},
    ("CPCA-013", "2023-09"): {"rag_this_period": "Green / Amber", "completed_by": "Graham\u00a0Ransome "},
    ("CPCA-028", "2023-09"): {"rag_this_period": "amber", "spend_to_date": IN_MILLIONS},
    ("CPCA-035", "2023-09"): {"spend_to_date": IN_THOUSANDS},
    ("CPCA-042", "2023-09"): {"forecast_outturn": "850,000", "completed_date": UK_DATE},
}

#: (project, period) → fields left blank (a rejected return: required fields missing).
BLANK = {("CPCA-059", "2023-09"): ("pm_update",)}

SERVICE_TEXT = {
    "Transport": ("to improve journey times, reliability and safety on the local network",
                  "Shorter and more reliable journeys, better access to jobs and a shift to sustainable travel."),
    "Market Towns": ("to revitalise the town centre in line with the market town masterplan",
                     "Higher footfall, fewer vacant units and a public realm residents are proud of."),
    "Regeneration": ("to set out a deliverable regeneration framework for the area",
                     "A pipeline of investable schemes, new homes and jobs on under-used land."),
    "Business Growth": ("to provide affordable, flexible workspace for small and start-up businesses",
                        "New businesses established locally and jobs created for Fenland residents."),
    "Digital Connectivity": ("to bring gigabit-capable broadband to rural premises the market will not reach",
                             "More rural homes and businesses with gigabit-capable connections."),
    "Net Zero": ("to cut carbon emissions from homes and energy use across the area",
                 "Lower energy bills for residents and measurable reductions in carbon emissions."),
    "Housing": ("to deliver affordable homes for local people",
                "Affordable homes completed and let to households on the local housing register."),
    "Skills": ("to help residents gain the skills local employers need",
               "More residents into work or better-paid work; employers' skills gaps filled."),
    "Finance": ("to replace the authority's finance system before support for the current one ends",
                "A supported, cloud-based finance system with better budget reporting for managers."),
    "Corporate Performance": ("to give officers and members up-to-date project and performance information",
                              "Monthly performance reporting produced in days rather than weeks."),
    "Policy and Insight": ("to provide an evidence base on the economy, people and places of the region",
                           "An agreed evidence base informing the authority's strategy and funding bids."),
}

MILESTONES = {
    "Transport": ["Outline business case submitted", "Traffic modelling complete", "Public consultation closes",
                  "Preliminary design complete", "Land negotiations concluded", "Detailed design approved",
                  "Contractor appointed", "Main works start"],
    "Housing": ["Planning permission granted", "Registered provider appointed", "Site start",
                "Foundations complete", "First homes handed over", "Grant claim submitted",
                "Nomination agreement signed", "Roofing complete"],
    "Skills": ["Delivery partners contracted", "First cohort enrolled", "Employer engagement events held",
               "Mid-year performance review", "Second cohort enrolled", "Outcome data returned to DfE"],
    "Net Zero": ["Installer framework procured", "Householder applications open", "First installations complete",
                 "Retrofit assessments complete", "Funding claim submitted to DESNZ", "Monitoring report issued"],
}
DEFAULT_MILESTONES = ["Project board meeting held", "Procurement strategy approved", "Supplier appointed",
                      "Design workshop held", "Stakeholder engagement complete", "Business case approved",
                      "Implementation plan agreed", "Benefits realisation plan agreed"]

RISKS = {
    "Transport": [("Statutory undertakers' diversions cost more and take longer than estimated",
                   "Early C4 estimates requested; diversion works in the programme's critical path review", "High"),
                  ("Construction inflation erodes the budget", "Quarterly cost review; value engineering options held", "Medium"),
                  ("Objections at consultation delay the scheme", "Engagement plan with parish councils and ward members", "Low")],
    "Housing": [("Build cost inflation makes the scheme unviable", "Fixed-price contract; viability reviewed at each gateway", "High"),
                ("Registered provider appetite falls", "Soft-market testing with three providers", "Medium"),
                ("Nutrient neutrality rules delay planning", "Mitigation credits reserved with the local scheme", "Medium")],
    "Skills": [("Enrolments fall short of the contracted target", "Targeted marketing through Jobcentre Plus and employers", "Medium"),
               ("Delivery partner underperforms", "Monthly contract meetings; improvement plan where needed", "Medium"),
               ("Funding rules change at short notice", "Regular contact with the DfE account manager", "Low")],
    "Net Zero": [("Installer capacity is not enough to meet demand", "Framework extended to additional installers", "High"),
                 ("Low take-up by eligible households", "Door-knocking campaign with the district councils", "Medium"),
                 ("Grant deadline cannot be met", "Extension request submitted to the funder", "Medium")],
}
DEFAULT_RISKS = [("Key staff leave the project team", "Handover notes and deputies named for each workstream", "Medium"),
                 ("Supplier cannot deliver to the agreed timetable", "Contract milestones with remedies; weekly progress calls", "Medium"),
                 ("Scope creep from stakeholder requests", "Change control through the project board", "Low")]

UPDATES = {
    "Green": "Delivery is on track against the agreed plan. {activity} No issues need escalating this period; "
             "the next period's milestones are in hand.",
    "Green/Amber": "Delivery is broadly on track. {activity} One issue is being watched: {risk_lower} The team is "
                   "managing this within existing resources and tolerances.",
    "Amber": "Progress has slowed this period. {activity} {risk} The project board has agreed actions to recover "
             "the position; the forecast completion date is under review.",
    "Amber/Red": "Delivery is at risk. {activity} {risk} A recovery plan goes to the project board next month and "
                 "the sponsor has been briefed.",
    "Red": "Delivery of the project as approved is not achievable without intervention. {activity} {risk} The "
           "sponsor is asked to escalate this to the Director for Resources and Performance and a re-profiled plan "
           "will come to the next board.",
}
SPONSOR = {
    "Green": "Content with progress.",
    "Green/Amber": "Content; I have asked for the watched issue to be reported on next period.",
    "Amber": "Agree the rating. I will chair a recovery meeting with the delivery partner.",
    "Amber/Red": "Concerned at the slippage; recovery plan to come to me before the board.",
    "Red": "The project needs re-profiling. I will raise it at CMT.",
}
BUDGET_FACTOR = {"Green": 1.0, "Green/Amber": 1.0, "Amber": 1.03, "Amber/Red": 1.08, "Red": 1.15}
SLIP_MONTHS = {"Green": 0, "Green/Amber": 0, "Amber": 3, "Amber/Red": 6, "Red": 12}


def _month_end(day: dt.date, months: int) -> dt.date:
    return Period.of(day).shift(months).last_day


def _typed(how: object, value: object, received: dt.date) -> object:
    """A value as a partner typed it (see `MESSY`)."""
    if how is UK_DATE:
        return (received - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    if how is IN_MILLIONS:
        return f"£{value / 1e6:.1f}m"
    if how is IN_THOUSANDS:
        return f"£{value / 1e3:,.0f}k"
    return how


def _where(district: str) -> str:
    return "area-wide" if district == "Area-wide" else district


def _service_key(service: str) -> str:
    return service if service in SERVICE_TEXT else "Transport"


def _rag_story(project_id: str, period: str, previous: str | None) -> str | None:
    story = STORIES.get(project_id, {})
    if period in story:
        return story[period]
    return previous or "Green"


def script_return(row: dict, period: Period, rag: str, index: int) -> dict:
    """One project's return for a month: what its project manager would type."""
    service = _service_key(row["service"])
    purpose, outcomes = SERVICE_TEXT[service]
    milestones = MILESTONES.get(service, DEFAULT_MILESTONES)
    risks = RISKS.get(service, DEFAULT_RISKS)
    step = period.month - 7
    done = milestones[step % len(milestones)]
    doing = milestones[(step + 1) % len(milestones)]
    upcoming = milestones[(step + 2) % len(milestones)]
    top = risks[0]
    scale = rag if rag in UPDATES else "Amber"
    activity = (f"This period the team achieved '{done}' and progressed '{doing}'"
                f"{' with ' + row['delivery_organisation'] if row.get('delivery_organisation') else ''}.")
    update = UPDATES[scale].format(activity=activity, risk=f"{top[0]}.", risk_lower=top[0].lower() + ".")
    end = period.last_day
    agreed = row.get("agreed_completion_date") or _month_end(end, 24)
    values: dict[str, object] = {
        "project_description": f"{row['project_name']} ({_where(row['district'])}): a scheme {purpose}.",
        "project_outcomes": outcomes,
        "forecast_completion_date": _month_end(agreed, SLIP_MONTHS[scale]).isoformat(),
        "rag_this_period": rag,
        "pm_update": update,
        "sponsor_comments": SPONSOR[scale],
        "completed_by": row["project_manager"],
        "completed_date": None,  # set from the day it was sent
    }
    tables: dict[str, list[list[object]]] = {
        "milestones_this_period": [[done, "Completed", (end - dt.timedelta(days=9 + index % 7)).isoformat()],
                                   [doing, "On track" if scale in ("Green", "Green/Amber") else "Delayed",
                                    (end + dt.timedelta(days=20)).isoformat()]],
        "milestones_next_period": [[doing, (end + dt.timedelta(days=20)).isoformat()],
                                   [upcoming, (end + dt.timedelta(days=50)).isoformat()]],
        "risks": [[r, m, rating] for r, m, rating in risks],
    }
    if row["report_type"] == FULL:
        cost = float(row["delivery_cost"])
        months_in = 6 + step + int(row['project_id'][-3:]) % 12  # spend grows month by month
        values.update({
            "budget_approved": round(cost),
            "spend_to_date": int(round(cost * min(0.9, months_in / 30), -3)),
            "forecast_outturn": int(round(cost * BUDGET_FACTOR[scale], -3)),
            "next_key_milestone": upcoming,
            "next_key_milestone_date": (end + dt.timedelta(days=50)).isoformat(),
            "outcomes_and_impacts": outcomes,
            "top_risk": top[0],
            "top_risk_mitigation": top[1],
        })
    return {"values": values, "tables": tables}


def build() -> dict[str, dict[str, dict]]:
    """Period → project → scripted return, for every due project not scripted elsewhere."""
    settings = Settings()
    portfolio = load_portfolio(ROOT / "inputs" / "portfolio.xlsx", settings)
    scripted: dict[str, dict[str, dict]] = {}
    last_rag: dict[str, str] = {}
    for period in PERIODS:
        plan = reporting_plan(portfolio, period, settings)
        month: dict[str, dict] = {}
        for index, (project_id, row) in enumerate(plan[plan["due"]].iterrows()):
            if project_id in SCRIPTED_ELSEWHERE:
                continue
            key = (project_id, str(period))
            rag = _rag_story(project_id, str(period), last_rag.get(project_id))
            if rag is None:
                continue  # due, but the partner never sent it
            last_rag[project_id] = rag
            item = script_return(dict(row), period, rag, index)
            due = row["due_date"]
            received = due + dt.timedelta(days=LATE[key]) if key in LATE else due - dt.timedelta(days=3 + index % 6)
            item["values"]["completed_date"] = (received - dt.timedelta(days=1)).isoformat()
            for name, value in MESSY.get(key, {}).items():
                item["values"][name] = _typed(value, item["values"].get(name), received)
            for name in BLANK.get(key, ()):
                item["values"][name] = None
            month[project_id] = {"received": received.isoformat(), **item}
        scripted[str(period)] = month
    return scripted


def render() -> str:
    """The JSON text, as committed."""
    return json.dumps(build(), indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
