#!/usr/bin/env python3
"""Generates the demo "app database": the daily growth aggregates of a made-up SaaS product.

The tocsin demo (config/demo/tocsin.yaml) polls this file through the sqlite source plugin and
the rules in rules/growth/ alert on it. The data is shaped so that the demo shows a mix at once:

    activation rate (7 days)   ~24%   below 30%              -> ActivationRateLow, warning
    D7 retention (7 days)      ~14%   below 15%              -> D7RetentionLow, critical
    D30 retention (7 days)     ~13%   target 15%, above 12%  -> ok
    churn rate (30 days), pro  ~8%    above 7%               -> ChurnRateHigh{plan=pro}, warning
    churn rate, free and team  ~3%                           -> ok
    LTV:CAC                    ~3.6   above 3                -> ok

The story: an onboarding change shipped about two weeks before --end made activation and early
retention fall; D30 retention measures cohorts that signed up before it, so it still looks fine.

Schema (one row per day; `day` is an ISO date, UTC):
    signups_daily(day, signups, activated, activated_24h)
        signups: accounts created that day; activated: those of them that finished onboarding;
        activated_24h: those that finished it within 24 hours
    accounts_daily(day, active, invited_signups)
        accounts with an active subscription; signups that day that came from an invitation
    retention_daily(day, d7_cohort, d7_retained, d30_cohort, d30_retained)
        measured on `day`: d7_cohort = accounts created 7 days earlier, d7_retained = those of
        them active on `day`; likewise for 30 days
    subscriptions_daily(day, plan, active_start, started, churned)   plan: free | pro | team
        active_start: subscriptions active at the start of the day; started / churned that day
    revenue_daily(day, mrr, ltv, cac)
        the finance team's daily estimates: monthly recurring revenue, customer lifetime value,
        customer acquisition cost (both in EUR)

Deterministic: every day's random draws come from a generator seeded with (--seed, days before
--end), so the same arguments always give the same rows, and the recent weeks do not depend on
--days. The file is written to a temporary name next to --out and renamed over it, so a running
daemon never reads a half-written database.

Usage: scripts/gen-demo-db.py [--out build/demo/app.db] [--days 42] [--end YYYY-MM-DD] [--seed N]
"""

import argparse
import datetime as dt
import os
import random
import sqlite3
import sys
import tempfile

SCHEMA = """
CREATE TABLE signups_daily (
    day           TEXT PRIMARY KEY,   -- ISO date, UTC
    signups       INTEGER NOT NULL,   -- accounts created that day
    activated     INTEGER NOT NULL,   -- of those, accounts that finished onboarding
    activated_24h INTEGER NOT NULL    -- of those, accounts that finished it within 24 hours
);
CREATE TABLE accounts_daily (
    day             TEXT PRIMARY KEY,
    active          INTEGER NOT NULL,  -- accounts with an active subscription, all plans
    invited_signups INTEGER NOT NULL   -- signups that day that came from an invitation
);
CREATE TABLE retention_daily (
    day          TEXT PRIMARY KEY,  -- the day retention was measured
    d7_cohort    INTEGER NOT NULL,  -- accounts created 7 days before `day`
    d7_retained  INTEGER NOT NULL,  -- of those, accounts active on `day`
    d30_cohort   INTEGER NOT NULL,  -- accounts created 30 days before `day`
    d30_retained INTEGER NOT NULL   -- of those, accounts active on `day`
);
CREATE TABLE subscriptions_daily (
    day          TEXT NOT NULL,
    plan         TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'team')),
    active_start INTEGER NOT NULL,  -- active subscriptions at the start of the day
    started      INTEGER NOT NULL,  -- subscriptions started that day
    churned      INTEGER NOT NULL,  -- subscriptions cancelled that day
    PRIMARY KEY (day, plan)
);
CREATE TABLE revenue_daily (
    day  TEXT PRIMARY KEY,
    mrr  REAL NOT NULL,  -- monthly recurring revenue, EUR
    ltv  REAL NOT NULL,  -- estimated customer lifetime value, EUR
    cac  REAL NOT NULL   -- estimated customer acquisition cost, EUR
);
"""

# Signups per weekday (Monday first): B2B SaaS traffic drops at the weekend.
WEEKDAY_FACTOR = [1.12, 1.15, 1.10, 1.05, 0.95, 0.62, 0.68]

# Where the deterioration starts and where it is complete, in days before --end.
DROP_STARTS = 16
DROP_DONE = 8

# (healthy, deteriorated) daily rates.
ACTIVATION = (0.41, 0.238)
D7_RETENTION = (0.262, 0.136)
D30_RETENTION = 0.135  # cohorts from before the change: unaffected so far

# Daily churn hazard per plan as a share of active subscriptions: (healthy, deteriorated).
# 30 days at 0.0011/day is ~3.3% a month; pro ends up near 8% over the last 30 days.
CHURN = {"free": (0.0011, 0.0011), "pro": (0.0017, 0.0037), "team": (0.0008, 0.0008)}
PLAN_PRICE = {"free": 0.0, "pro": 49.0, "team": 249.0}
ACTIVE_AT_END = {"free": 9400, "pro": 1260, "team": 212}
STARTED_PER_DAY = {"free": 60.0, "pro": 7.0, "team": 1.0}


def rng_for(seed, age, what):
    """A generator for one day and one quantity, independent of every other draw."""
    return random.Random(f"{seed}:{age}:{what}")


def drop_progress(age):
    """0.0 before the deterioration, 1.0 once it is complete, linear in between."""
    if age >= DROP_STARTS:
        return 0.0
    if age <= DROP_DONE:
        return 1.0
    return (DROP_STARTS - age) / (DROP_STARTS - DROP_DONE)


def blend(pair, age):
    healthy, bad = pair
    return healthy + (bad - healthy) * drop_progress(age)


def day_of(end, age):
    return end - dt.timedelta(days=age)


def signups_on(seed, end, age):
    """Accounts created `age` days before `end`: slow growth, weekday pattern, noise."""
    r = rng_for(seed, age, "signups")
    trend = 210.0 * (1.0 - 0.002 * age)
    return max(1, round(trend * WEEKDAY_FACTOR[day_of(end, age).weekday()] * r.uniform(0.9, 1.1)))


def signups_rows(seed, end, days):
    rows = []
    for age in range(days - 1, -1, -1):
        signups = signups_on(seed, end, age)
        r = rng_for(seed, age, "activation")
        weekend = -0.012 if day_of(end, age).weekday() >= 5 else 0.0
        rate = blend(ACTIVATION, age) + weekend + r.uniform(-0.012, 0.012)
        activated = round(signups * rate)
        # Most of those who activate do it on the first day; fewer once onboarding got worse.
        first_day = 0.78 - 0.1 * drop_progress(age) + r.uniform(-0.02, 0.02)
        rows.append((day_of(end, age).isoformat(), signups, activated, round(activated * first_day)))
    return rows


def accounts_rows(seed, end, days, subscriptions):
    """Active accounts per day (every plan) and the signups that came from invitations."""
    active = {}
    for day, _plan, active_start, _started, _churned in subscriptions:
        active[day] = active.get(day, 0) + active_start
    rows = []
    for age in range(days - 1, -1, -1):
        day = day_of(end, age).isoformat()
        r = rng_for(seed, age, "invites")
        rows.append((day, active[day], round(signups_on(seed, end, age) * r.uniform(0.12, 0.2))))
    return rows


def retention_rows(seed, end, days):
    rows = []
    for age in range(days - 1, -1, -1):
        d7_cohort = signups_on(seed, end, age + 7)
        d30_cohort = signups_on(seed, end, age + 30)
        r = rng_for(seed, age, "retention")
        # Retention measured on `day` reflects the onboarding its cohort saw 7 days earlier.
        d7_rate = blend(D7_RETENTION, max(0, age - 2)) + r.uniform(-0.006, 0.006)
        d30_rate = D30_RETENTION + r.uniform(-0.006, 0.006)
        rows.append((day_of(end, age).isoformat(), d7_cohort, round(d7_cohort * d7_rate),
                     d30_cohort, round(d30_cohort * d30_rate)))
    return rows


def subscription_rows(seed, end, days):
    """Walks backwards from fixed counts at --end so recent numbers do not depend on --days."""
    rows = []
    for plan, active_end in ACTIVE_AT_END.items():
        active_next = active_end  # active at the start of the day after the one being made
        per_plan = []
        for age in range(days):
            r = rng_for(seed, age, "subs-" + plan)
            # Stochastic rounding keeps small plans (a fraction of a churn a day) realistic.
            started = int(STARTED_PER_DAY[plan] * WEEKDAY_FACTOR[day_of(end, age).weekday()]
                          * r.uniform(0.7, 1.3) + r.random())
            churned = int(active_next * blend(CHURN[plan], age) * r.uniform(0.85, 1.15) + r.random())
            active_start = active_next - started + churned
            per_plan.append((day_of(end, age).isoformat(), plan, active_start, started, churned))
            active_next = active_start
        rows.extend(reversed(per_plan))
    return rows


def revenue_rows(seed, end, days, subscriptions):
    active = {}
    for day, plan, active_start, _started, _churned in subscriptions:
        active.setdefault(day, {})[plan] = active_start
    rows = []
    for age in range(days - 1, -1, -1):
        day = day_of(end, age).isoformat()
        r = rng_for(seed, age, "revenue")
        mrr = sum(PLAN_PRICE[plan] * n for plan, n in active[day].items())
        ltv = 1450.0 * (1.0 - 0.05 * drop_progress(age)) * r.uniform(0.99, 1.01)
        cac = 385.0 * r.uniform(0.98, 1.02)
        rows.append((day, round(mrr, 2), round(ltv, 2), round(cac, 2)))
    return rows


def build(path, seed, end, days):
    subscriptions = subscription_rows(seed, end, days)
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        con.executemany("INSERT INTO signups_daily VALUES (?, ?, ?, ?)", signups_rows(seed, end, days))
        con.executemany("INSERT INTO accounts_daily VALUES (?, ?, ?)",
                        accounts_rows(seed, end, days, subscriptions))
        con.executemany("INSERT INTO retention_daily VALUES (?, ?, ?, ?, ?)",
                        retention_rows(seed, end, days))
        con.executemany("INSERT INTO subscriptions_daily VALUES (?, ?, ?, ?, ?)", subscriptions)
        con.executemany("INSERT INTO revenue_daily VALUES (?, ?, ?, ?)",
                        revenue_rows(seed, end, days, subscriptions))
        con.commit()
    finally:
        con.close()


def summarize(path, end):
    """The KPI values the growth rules will see, computed like their queries (relative to --end)."""
    con = sqlite3.connect(path)
    try:
        e = end.isoformat()
        one = lambda sql: con.execute(sql, {"end": e}).fetchone()[0]
        lines = [
            ("activation_rate", one("SELECT CAST(SUM(activated) AS REAL) / SUM(signups) FROM signups_daily"
                                    " WHERE day > date(:end, '-7 days')"), "pct"),
            ("d7_retention", one("SELECT CAST(SUM(d7_retained) AS REAL) / SUM(d7_cohort) FROM retention_daily"
                                 " WHERE day > date(:end, '-7 days')"), "pct"),
            ("d30_retention", one("SELECT CAST(SUM(d30_retained) AS REAL) / SUM(d30_cohort)"
                                  " FROM retention_daily WHERE day > date(:end, '-7 days')"), "pct"),
        ]
        for plan, value in con.execute(
                "SELECT plan, CAST(SUM(churned) AS REAL) / SUM(CASE WHEN day = date(:end, '-29 days')"
                " THEN active_start END) FROM subscriptions_daily WHERE day > date(:end, '-30 days')"
                " GROUP BY plan ORDER BY plan", {"end": e}):
            lines.append((f"churn_rate{{plan={plan}}}", value, "pct"))
        lines.append(("ltv_cac", one("SELECT ltv / cac FROM revenue_daily WHERE day = :end"), "num"))
    finally:
        con.close()
    for name, value, kind in lines:
        text = "n/a" if value is None else (f"{value * 100:.1f}%" if kind == "pct" else f"{value:.2f}")
        print(f"  {name:24} {text}")


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(os.path.dirname(here), "build", "demo", "app.db")
    p = argparse.ArgumentParser(description="Generate the tocsin demo app database (SQLite).")
    p.add_argument("--out", default=default_out, help="database file to write (default: %(default)s)")
    p.add_argument("--days", type=int, default=42, help="days of history, at least 37 (default: 42)")
    p.add_argument("--end", type=dt.date.fromisoformat, default=dt.datetime.now(dt.timezone.utc).date(),
                   help="last day, YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="do not print the resulting KPI values")
    args = p.parse_args(argv)
    if args.days < 37:
        # The 30-day churn window needs 30 days, plus one week of history for the other KPIs.
        p.error("--days must be at least 37")
    return args


def main(argv):
    args = parse_args(argv)
    out = os.path.abspath(args.out)
    folder = os.path.dirname(out)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".app-db-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        os.unlink(tmp)  # sqlite3 creates the file itself; mkstemp only reserved a unique name
        build(tmp, args.seed, args.end, args.days)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if not args.quiet:
        print(f"gen-demo-db: wrote {out} ({args.days} days up to {args.end.isoformat()})")
        summarize(out, args.end)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
