"""A county's year through the real service, on a moving clock (issue: "A county's real year").

Builds 沅江市 (430981): a few thousand labourers over its towns with realistic trades and the
spellings clerks write (电焊 / 焊工 / 电焊工, 砌墙 / 泥瓦工 …), 三无 labourers bound to their
township, a few hundred local, workshop, public-welfare and partner-province posts (东莞, 湖州
agencies pushing posts in by API). Then it drives twelve months through the running service
(uvicorn, its own SQLite or PostgreSQL database), setting the service clock with PUT /v1/clock:

    day 1   new registrations (roster import), new posts (station and agency batch)
    day 2   POST /v1/plans for the county, then commit it
    day 10  each push's first outcome, as the acceptance model draws it: applied, declined, or
            no response (recorded by staff)
    day 20  each application's end: hired (the job starts) or rejected
    day 25  some jobs end (the labourer is unemployed again)
    day 28  GET /v1/reports/targets for the month

**The acceptance model** is the labourers' own and the service is never told it: each labourer
has a trade group they like and two they dislike (drawn partly from their skills), a wish to
stay near home, and a wage floor; a quarter of them answer almost nothing. Decisions are
persistent: asked again about the same post, labourer and employer answer as before. P(apply) =
0.8 (0.1 for the unresponsive) x taste (1 / 0.5 / 0.08) x place x wage; a responsive labourer
who does not apply says no (85%), an unresponsive one mostly says nothing;
P(hire | applied) = 0.6 with the post's skill (or at a workshop, which trains its hires, or in
general labour), 0.35 without; only outcomes reveal the taste. A quarter of the roster has no
skill written (their trade is a background: it sets their wage and, often, their taste).
Public-welfare posts (护林员, 保洁员 at 600-1,500 元 in a township, 15% of station posts) are
policy's safety net: a 三无 labourer applies as to a liked post whatever its pay and is hired
at 0.8; anyone else applies at 0.3 x and is hired at 0.15.

Each month also has two bounds, planned with the service's budget, reach and caps and answered
with competition as its pushes are (`bounds`): an oracle that knows the model, and an ideal
learner that knows only its form and reads the service's answers as Bayes would.

Prints one row per month and a JSON summary, and plots U, push ratio, reach, success rate,
hires and employed share to docs/img/year_sim.png. Targets (checked and printed, not timed):
every month push ratio >= 50% and success rate >= 15%; months 4-12 average success >= 1.2 x
month 1; no request answers 5xx.

Usage: benchmarks/run year   (or: PYTHONPATH=benchmarks .venv/bin/python benchmarks/year_sim.py)
"""

import argparse
import csv
import io
import itertools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _server import ROOT, _cli, fresh_database, running_service

from matching.clock import china_midnight
from matching.kit.idnumber import id_check_digit
from matching.regions.registry import get_registry

COUNTY = "430981"
TOWNS = [r.code for r in get_registry().children(COUNTY)]
# Trade groups: what the labourers write, the post's occupation, and where such posts are.
TRADES: dict[str, dict[str, Any]] = {
    "weld": {"words": ["电焊", "焊工", "电焊工"], "occupation": "电焊工", "wage": (4500, 6500)},
    "masonry": {
        "words": ["砌墙", "泥瓦工", "砌筑工"],
        "occupation": "砌筑工",
        "wage": (4000, 6000),
    },
    "sew": {"words": ["缝纫", "缝纫工"], "occupation": "缝纫工", "wage": (3000, 4500)},
    "factory": {
        "words": ["普工", "电子装配", "装配工"],
        "occupation": "普工",
        "wage": (3500, 5000),
    },
    "warehouse": {
        "words": ["叉车", "叉车司机", "快递"],
        "occupation": "叉车司机",
        "wage": (4000, 5500),
    },
    "cook": {"words": ["厨师", "中式烹调师"], "occupation": "中式烹调师", "wage": (3500, 5000)},
    "clean": {"words": ["保洁", "保洁员"], "occupation": "保洁员", "wage": (1800, 2800)},
    "farm": {"words": ["养殖", "种植"], "occupation": "家畜饲养员", "wage": (2500, 3800)},
}
GROUPS = list(TRADES)
UNSKILLED_SHARE = 0.25  # of a roster, labourers whose 技能 is blank
# Public-welfare posts (公益性岗位) are the township's, not a trade anyone has or likes.
WELFARE, WELFARE_SHARE = "welfare", 0.15
RELOCATION = [("本乡镇", 0.12), ("本县", 0.33), ("本市", 0.12), ("本省", 0.13), ("省外", 0.30)]
REACH = {"本乡镇": 0, "本县": 1, "本市": 2, "本省": 3, "省外": 4}
PARTNERS = {"东莞市人力资源服务中心": ("44", "441900"), "湖州市就业服务中心": ("33", "330500")}
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


@dataclass
class Person:
    """A labourer as the model knows them (the service knows only what was registered)."""

    row: int
    id_number: str
    town: str
    trade: str
    relocation: str
    wage: int
    sanwu: bool
    likes: str
    dislikes: tuple[str, ...]
    responsive: bool  # some labourers answer almost nothing, whatever is pushed
    skilled: bool = True  # False: the roster's 技能 is blank (the trade is only their background)
    # What the service saw of them: (post's trade, place x wage, first answer) per push answered.
    answers: list[tuple[str, float, str]] = field(default_factory=list)
    pushed: set[int] = field(default_factory=set)  # posts pushed to them
    service_id: int | None = None
    employed: bool = False
    job_id: int | None = None


@dataclass
class PostInfo:
    """A post as the model knows it."""

    service_id: int
    trade: str
    place: int  # 0 town, 1 county, 4 other province
    wage: int
    until: date
    openings: int
    town: str | None = None  # the township of a place-0 post
    workshop: bool = False  # 扶贫车间: trains its hires
    hired: int = 0


@dataclass
class Month:
    """One month's figures, from the service's report."""

    month: str
    u: int = 0
    new_seekers: int = 0
    pushes: int = 0
    push_ratio: float = 0.0
    reach: float = 0.0
    success_rate: float = 0.0
    hires: int = 0
    employed_share: float = 0.0
    expected_rate: float | None = None
    oracle_rate: float | None = None
    learner_rate: float | None = None
    calibration: str = ""
    seconds: float = 0.0


@dataclass
class Sim:
    """The county, the model's randomness, and the client that drives the service."""

    http: httpx.Client
    admin: dict[str, str]
    staff: dict[str, str]
    agencies: dict[str, dict[str, str]]
    rng: random.Random
    people: list[Person] = field(default_factory=list)
    posts: dict[int, PostInfo] = field(default_factory=dict)
    errors_5xx: int = 0
    requests: int = 0
    sequence: int = 100
    issued: set[str] = field(default_factory=set)  # ID numbers given out

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request; counts it, and any 5xx."""
        response = self.http.request(method, url, **kwargs)
        self.requests += 1
        if response.status_code >= 500:
            self.errors_5xx += 1
            print(f"5xx on {method} {url}: {response.text[:300]}", file=sys.stderr)
        return response

    def job(self, method: str, url: str, *, result: dict[str, Any] | None = None,
            **kwargs: Any) -> httpx.Response:  # fmt: skip
        """A request that starts a job (202): followed to its end, then its result read (with
        the `result` query); a job that did not succeed raises."""
        started = self.call(method, url, **kwargs)
        started.raise_for_status()
        headers = kwargs.get("headers")
        while True:
            job = self.call("GET", started.headers["Location"], params={"wait": 30},
                            headers=headers).json()  # fmt: skip
            if job["state"] not in ("queued", "running"):
                break
        if job["state"] != "succeeded":
            raise RuntimeError(f"{method} {url}: job {job['id']} {job['state']}: {job['error']}")
        return self.call("GET", job["links"]["result"], params=result, headers=headers)

    def at(self, day: date, hour: int = 10) -> None:
        """Move the service clock to `hour`:00 China time on `day`."""
        moment = china_midnight(day) + timedelta(hours=hour)
        response = self.call(
            "PUT", "/v1/clock", json={"now": moment.isoformat()}, headers=self.admin
        )
        response.raise_for_status()


def _id_number(rng: random.Random, sequence: int, issued: set[str]) -> str:
    """A valid ID number of the county no one of the county has yet (a birth day and a
    three-digit sequence can repeat after a thousand people)."""
    while True:
        birth = date(1966, 1, 1) + timedelta(days=rng.randrange(0, 365 * 36))
        first17 = f"{COUNTY}{birth:%Y%m%d}{sequence % 1000:03d}"
        number = first17 + id_check_digit(first17)
        if number not in issued:
            issued.add(number)
            return number


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([w for w, _ in weighted], weights=[p for _, p in weighted])[0]


def new_people(sim: Sim, count: int) -> list[Person]:
    """People of the county, with the taste the service is never told."""
    out = []
    for _ in range(count):
        sim.sequence += 1
        trade = sim.rng.choice(GROUPS)
        sanwu = sim.rng.random() < 0.05
        relocation = "本乡镇" if sanwu else _pick(sim.rng, RELOCATION)
        likes = trade if sim.rng.random() < ARGS.taste_follows_trade else sim.rng.choice(GROUPS)
        others = [g for g in GROUPS if g != likes]
        lo, hi = TRADES[trade]["wage"]
        out.append(
            Person(
                row=len(sim.people) + len(out),
                id_number=_id_number(sim.rng, sim.sequence, sim.issued),
                town=sim.rng.choice(TOWNS),
                trade=trade,
                relocation=relocation,
                wage=int(sim.rng.uniform(lo * 0.7, hi * 0.95) // 100 * 100),
                sanwu=sanwu,
                likes=likes,
                dislikes=tuple(sim.rng.sample(others, 2)),
                responsive=sim.rng.random() >= 0.25,
                skilled=sim.rng.random() >= UNSKILLED_SHARE,
            )
        )
    return out


def register(sim: Sim, people: list[Person], today: date, *, first: bool) -> None:
    """Import a roster (CSV, as a station exports it from Excel)."""
    header = ["姓名", "身份证号", "户籍地区划代码", "就业状态", "状态起始日期", "就业意愿",
              "外出意愿", "技能", "期望月薪", "劳动能力", "三无人员"]  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for p in people:
        since = ""
        if first:  # the first roster: statuses that began months ago (U on the 1st)
            since = (today - timedelta(days=sim.rng.randrange(40, 400))).isoformat()
        employed = first and sim.rng.random() < 0.22
        p.employed = employed
        name = sim.rng.choice(SURNAMES) + sim.rng.choice(GIVEN) + sim.rng.choice(GIVEN)
        writer.writerow([
            name, p.id_number, p.town, "县内就业" if employed else "未就业", since, "是",
            p.relocation, sim.rng.choice(TRADES[p.trade]["words"]) if p.skilled else "", p.wage,
            "弱劳动力" if p.sanwu else "有劳动能力", "是" if p.sanwu else "否",
        ])  # fmt: skip
    files = {"file": ("roster.csv", out.getvalue().encode("utf-8-sig"))}
    response = sim.job("POST", "/v1/labourers/import?dry_run=false", files=files,
                       headers=sim.staff, timeout=300)  # fmt: skip
    report = response.json()
    if response.status_code != 200 or report.get("created") != len(people):
        raise RuntimeError(f"roster import failed: {response.status_code} {response.text[:500]}")
    for person, labourer in zip(people, _new_labourers(sim, len(people)), strict=True):
        mask = labourer["id_number"]  # 4309**********1234: rows are written in roster order
        if (mask[:4], mask[-4:]) != (person.id_number[:4], person.id_number[-4:]):
            raise RuntimeError(f"roster row and labourer {labourer['id']} do not match")
        person.service_id = labourer["id"]
    sim.people.extend(people)


def _new_labourers(sim: Sim, count: int) -> list[dict[str, Any]]:
    """The `count` newest labourers of the county, oldest first."""
    known = max((p.service_id or 0 for p in sim.people), default=0)
    found, cursor = [], None
    while True:
        params: dict[str, Any] = {"region": COUNTY, "limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = sim.call("GET", "/v1/labourers", params=params, headers=sim.staff).json()
        found.extend(x for x in page["items"] if x["id"] > known)
        cursor = page.get("next_cursor")
        if not cursor:
            break
    found.sort(key=lambda x: x["id"])
    if len(found) != count:
        raise RuntimeError(f"expected {count} new labourers, found {len(found)}")
    return found


def _post_body(sim: Sim, trade: str, place: int, today: date) -> dict[str, Any]:
    lo, hi = TRADES[trade]["wage"]
    wage = int(sim.rng.uniform(lo, hi) // 100 * 100)
    where = sim.rng.choice(TOWNS) if place == 0 else COUNTY
    kind = "enterprise"
    if trade in ("sew", "factory") and place <= 1 and sim.rng.random() < 0.5:
        kind = "workshop"
    return {
        "employer": f"{trade}-{sim.rng.randrange(1, 60)} 有限公司",
        "title": TRADES[trade]["occupation"],
        "occupation": TRADES[trade]["occupation"],
        "post_type": kind,
        "workplace_region": where,
        "openings": sim.rng.randint(1, 4),
        "wage_min": wage,
        "wage_max": wage + 800,
        "housing": place == 4,
        "required_skills": [] if trade in ("factory", "clean") else
                           [{"term": TRADES[trade]["occupation"]}],
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=sim.rng.randint(45, 120))).isoformat(),
    }  # fmt: skip


def _welfare_body(sim: Sim, today: date) -> dict[str, Any]:
    """A township's public-welfare post (公益性岗位): 护林员 or 保洁员, 600-1,500 元, the trade
    written in as a required skill, as clerks do."""
    occupation = sim.rng.choice(["护林员", "保洁员"])
    wage = int(sim.rng.uniform(600, 1500) // 100 * 100)
    return {
        "employer": f"{sim.rng.randrange(1, 30)} 乡镇人民政府",
        "title": f"公益性岗位（{occupation}）",
        "occupation": occupation,
        "post_type": "public_welfare",
        "workplace_region": sim.rng.choice(TOWNS),
        "openings": sim.rng.randint(1, 3),
        "wage_min": wage,
        "wage_max": wage + 200,
        "housing": False,
        "required_skills": [{"term": occupation}],
        "valid_from": today.isoformat(),
        "valid_until": (today + timedelta(days=sim.rng.randint(60, 180))).isoformat(),
    }


def publish_posts(sim: Sim, today: date, local: int, partner: int) -> None:
    """Station posts one by one; partner-province posts in one agency batch each."""
    for _ in range(local):
        if sim.rng.random() < WELFARE_SHARE:
            trade, place, body = WELFARE, 0, _welfare_body(sim, today)
        else:
            trade = sim.rng.choice(GROUPS)
            place = 0 if sim.rng.random() < 0.4 else 1
            body = _post_body(sim, trade, place, today)
        response = sim.call("POST", "/v1/posts", json=body, headers=sim.staff)
        response.raise_for_status()
        sim.posts[response.json()["id"]] = PostInfo(
            response.json()["id"], trade, place, body["wage_min"],
            date.fromisoformat(body["valid_until"]), body["openings"],
            body["workplace_region"] if place == 0 else None,
            body["post_type"] == "workshop")  # fmt: skip
    for agency, (_, region) in PARTNERS.items():
        items = []
        for n in range(partner // len(PARTNERS)):
            trade = sim.rng.choice(["weld", "sew", "factory", "warehouse", "cook"])
            body = _post_body(sim, trade, 4, today) | {"workplace_region": region}
            items.append(body | {"external_id": f"{today:%Y%m}-{n}", "openings": 5})
        response = sim.call("POST", "/v1/posts/batch", json={"items": items},
                            headers=sim.agencies[agency], timeout=120)  # fmt: skip
        response.raise_for_status()
        for item, result in zip(items, response.json()["items"], strict=True):
            if result["post_id"]:
                sim.posts[result["post_id"]] = PostInfo(
                    result["post_id"], _trade_of(item), 4, item["wage_min"],
                    date.fromisoformat(item["valid_until"]), item["openings"])  # fmt: skip


def _trade_of(body: dict[str, Any]) -> str:
    return next(g for g, t in TRADES.items() if t["occupation"] == body["occupation"])


def apply_probability(person: Person, post: PostInfo) -> float:
    """The labourer's own decision: taste, place, wage (hidden from the service). A 三无
    labourer takes a public-welfare post readily (it is made for them, and they know what it
    pays); anyone else finds its pay low and its work not their trade."""
    return _answering(person.responsive) * _taste(person, post) * _fit(person, post)


def _answering(responsive: bool) -> float:
    """How much of what a labourer would like they apply for: a quarter answer almost nothing."""
    return 0.8 if responsive else 0.1


def _taste(person: Person, post: PostInfo) -> float:
    """The labourer's taste for the post's trade (hidden from the service)."""
    if post.trade == WELFARE:
        return 1.0 if person.sanwu else 0.3
    return 1.0 if post.trade == person.likes else 0.08 if post.trade in person.dislikes else 0.5


def _fit(person: Person, post: PostInfo) -> float:
    """Place and wage: what the registry says of the labourer decides them (with --town-seats,
    the way to a local post)."""
    if post.place <= 1:
        place = _nearby(person, post) if ARGS.town_seats else 1.0
    else:
        place = 0.75 if REACH[person.relocation] >= 4 else 0.2
    wage = 1.0 if post.wage >= person.wage or (person.sanwu and post.trade == WELFARE) else 0.6
    return place * wage


# With --town-seats: each town at a point around the county seat (synthetic, seeded: the county
# is about 50 km across), which staff give the service (PUT /v1/regions/{code}/seat); a post of
# a town is at the town's point, one of the county at the county seat. Labourers then weigh the
# way to a local post: e-folding 8 km for those who stay in their township, 20 km for the
# county-bound, 40 km for the rest.
COUNTY_SEAT = (28.85002, 112.35023)
TOWN_POINTS = {
    town: (COUNTY_SEAT[0] + r.uniform(-0.22, 0.22), COUNTY_SEAT[1] + r.uniform(-0.25, 0.25))
    for town, r in ((t, random.Random(f"town/{t}")) for t in TOWNS)
}
NEARBY_KM = {"本乡镇": 8.0, "本县": 20.0}


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (a[0] - b[0]) * 111.2
    dx = (a[1] - b[1]) * 111.2 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def _nearby(person: Person, post: PostInfo) -> float:
    """How the way to a local post weighs with the labourer (--town-seats only)."""
    where = TOWN_POINTS[post.town] if post.town else COUNTY_SEAT
    km = _km(TOWN_POINTS[person.town], where)
    return max(0.15, math.exp(-km / NEARBY_KM.get(person.relocation, 40.0)))


def give_town_seats(sim: Sim) -> int:
    """Staff set each town's seat point (--town-seats); a service without the endpoint is left
    blind to distance inside the county. Returns how many were accepted."""
    accepted = 0
    for town, (lat, lon) in TOWN_POINTS.items():
        response = sim.call("PUT", f"/v1/regions/{town}/seat", headers=sim.staff,
                            json={"lat": round(lat, 5), "lon": round(lon, 5)})  # fmt: skip
        accepted += response.status_code == 200
    return accepted


def _draw(person: Person, post: PostInfo, what: str) -> float:
    """One fixed uniform number per labourer, post and decision: asked again about the same
    post, a labourer answers the same, and so does the employer about the same labourer."""
    return random.Random(f"{ARGS.seed}/{person.id_number}/{post.service_id}/{what}").random()


def hire_probability(person: Person, post: PostInfo) -> float:
    """The employer's decision: the skill matters; a township fills its public-welfare posts
    with 三无 labourers first, as policy has it, and others only where none is found."""
    if post.trade == WELFARE:
        return 0.8 if person.sanwu else 0.15
    own = person.skilled and post.trade == person.trade
    return 0.6 if own or post.workshop or post.trade in ("factory", "clean") else 0.35


# Two bounds for the service's month (`bounds`), planned on the same day within the same budget
# (the pushes the service made), reach (the service's hard filter on place) and caps (3 pushes a
# labourer, 5 per opening left), and answered by the model's own fixed draws with competition
# (a labourer takes one job, a post its openings left), as the service's pushes are: the oracle
# knows each labourer's taste and whether they answer; the ideal learner knows only the model's
# form and priors, what was registered, and every answer the service got, read as Bayes would.
# A pair pushed before is left out of both (its answer is known). Neither pushes: the answers
# the learner learns from are those of the service's pushes.


def service_reach(person: Person, post: PostInfo) -> bool:
    """Whether the service may show this post to this labourer (its hard filter on place)."""
    reach = REACH[person.relocation]
    if post.place == 0:
        return post.town == person.town or reach >= 1
    return reach >= (1 if post.place == 1 else 4)


def open_posts(sim: Sim, today: date) -> list[PostInfo]:
    return [p for p in sim.posts.values() if p.until >= today and p.hired < p.openings]


def oracle_pairs(
    sim: Sim, seekers: list[Person], today: date, budget: int
) -> list[tuple[Person, PostInfo]]:
    """Greedy on the true probabilities."""
    posts = open_posts(sim, today)
    scored = [
        (apply_probability(person, post) * hire_probability(person, post), person.row, post)
        for person in seekers
        for post in posts
        if service_reach(person, post) and post.service_id not in person.pushed
    ]
    return _greedy(sim, scored, posts, budget)


# The ideal learner's hypotheses about a labourer: the liked group, the two disliked, whether
# they answer (the model's form; which one holds is what the answers tell).
KINDS = [*GROUPS, WELFARE]
HYPOTHESES = [
    (liked, disliked, responsive)
    for liked in GROUPS
    for disliked in itertools.combinations([g for g in GROUPS if g != liked], 2)
    for responsive in (True, False)
]
_LIKED = np.array([liked for liked, _, _ in HYPOTHESES])
_RESPONSIVE = np.array([r for _, _, r in HYPOTHESES])
# [hypothesis, kind]: P(apply) before place and wage; the welfare column is a non-三无's.
_APPLY = np.array(
    [
        [_answering(r) * (0.3 if k == WELFARE else 1.0 if k == liked else 0.08 if k in disliked
                          else 0.5) for k in KINDS]
        for liked, disliked, r in HYPOTHESES
    ]
)  # fmt: skip
_SAYS_NO = np.where(_RESPONSIVE, 0.85, 0.1)  # a labourer who does not apply says so


def expected_apply(person: Person) -> np.ndarray:
    """The ideal learner's P(apply) per kind of post (before place and wage): the model's
    probabilities averaged over P(hypothesis | what was registered, the answers so far)."""
    own = ARGS.taste_follows_trade + (1 - ARGS.taste_follows_trade) / len(GROUPS)
    if person.skilled:  # the registered trade; a blank one says nothing of the taste
        prior = np.where(person.trade == _LIKED, own, (1 - own) / (len(GROUPS) - 1))
    else:
        prior = np.full(len(HYPOTHESES), 1 / len(GROUPS))
    apply = _APPLY.copy()
    if person.sanwu:  # registered: a 三无 labourer takes a public-welfare post readily
        apply[:, -1] = np.where(_RESPONSIVE, _answering(True), _answering(False))
    log = np.log(prior * np.where(_RESPONSIVE, 0.75, 0.25))
    for kind, fit, answer in person.answers:
        p = apply[:, KINDS.index(kind)] * fit
        if answer == "applied":
            log += np.log(p)
        else:
            log += np.log((1 - p) * (_SAYS_NO if answer == "declined" else 1 - _SAYS_NO))
    weights = np.exp(log - log.max())
    return (weights / weights.sum()) @ apply


def learner_pairs(
    sim: Sim, seekers: list[Person], today: date, budget: int
) -> list[tuple[Person, PostInfo]]:
    """Greedy on the ideal learner's probabilities."""
    posts = open_posts(sim, today)
    scored = []
    for person in seekers:
        expected = expected_apply(person)
        scored += [
            (expected[KINDS.index(post.trade)] * _fit(person, post)
             * hire_probability(person, post), person.row, post)
            for post in posts
            if service_reach(person, post) and post.service_id not in person.pushed
        ]  # fmt: skip
    return _greedy(sim, scored, posts, budget)


def _greedy(
    sim: Sim, scored: list[tuple[float, int, PostInfo]], posts: list[PostInfo], budget: int
) -> list[tuple[Person, PostInfo]]:
    """Within the plan's caps and the budget: one push to each of the best labourers, then
    the best pairs left."""
    room = {p.service_id: 5 * (p.openings - p.hired) for p in posts}
    scored.sort(key=lambda x: (x[0], x[1], x[2].service_id), reverse=True)
    chosen: list[tuple[Person, PostInfo]] = []
    per_labourer: dict[int, int] = {}
    taken: set[tuple[int, int]] = set()
    for first_round in (True, False):
        for _, row, post in scored:
            if len(chosen) >= budget:
                return chosen
            count = per_labourer.get(row, 0)
            if (first_round and count) or count >= 3 or (row, post.service_id) in taken:
                continue
            if room[post.service_id] <= 0:
                continue
            room[post.service_id] -= 1
            per_labourer[row] = count + 1
            taken.add((row, post.service_id))
            chosen.append((sim.people[row], post))
    return chosen


def answered_hires(pairs: list[tuple[Person, PostInfo]], seed: int) -> int:
    """Hires when the model answers these pushes: each labourer applies where their draw says
    so, then, labourers in a seeded order, takes the first post (in a seeded order) whose
    employer hires them and that has an opening left."""
    rng = random.Random(seed)
    applied: dict[int, tuple[Person, list[PostInfo]]] = {}
    for person, post in pairs:
        if _draw(person, post, "apply") < apply_probability(person, post):
            applied.setdefault(person.row, (person, []))[1].append(post)
    left = {p.service_id: p.openings - p.hired for _, p in pairs}
    hires = 0
    rows = sorted(applied)
    rng.shuffle(rows)
    for row in rows:
        person, posts = applied[row]
        rng.shuffle(posts)
        for post in posts:
            hired = _draw(person, post, "hire") < hire_probability(person, post)
            if hired and left[post.service_id] > 0:
                left[post.service_id] -= 1
                hires += 1
                break
    return hires


def bounds(sim: Sim, today: date, budget: int) -> tuple[float | None, float | None]:
    """The ideal learner's and the oracle's success rates with this month's budget."""
    if budget <= 0:
        return None, None
    seekers = [p for p in sim.people if not p.employed]
    rates = []
    for choose in (learner_pairs, oracle_pairs):
        pairs = choose(sim, seekers, today, budget)
        rates.append(answered_hires(pairs, ARGS.seed) / len(pairs) if pairs else None)
    return rates[0], rates[1]


def open_month(sim: Sim, first_day: date, index: int) -> None:
    """Day 1 of month `index` (0-based): this month's roster and posts."""
    sim.at(first_day)
    if index == 0:
        if ARGS.town_seats:
            give_town_seats(sim)
        register(sim, new_people(sim, ARGS.labourers), first_day, first=True)
        publish_posts(sim, first_day, ARGS.posts // 2, ARGS.posts // 2)
    else:
        register(sim, new_people(sim, ARGS.labourers // 50), first_day, first=False)
        publish_posts(sim, first_day, ARGS.posts // 4, ARGS.posts // 4)


def run_month(sim: Sim, first_day: date, index: int) -> Month:
    """One month of the cycle; returns the report's figures."""
    started = time.perf_counter()
    month = f"{first_day:%Y-%m}"
    open_month(sim, first_day, index)
    sim.at(first_day + timedelta(days=1))
    plan = sim.job("POST", "/v1/plans", json={"region": COUNTY}, headers=sim.staff,
                   result={"limit": 1}, timeout=600)  # fmt: skip
    plan.raise_for_status()
    summary = plan.json()
    if ARGS.verbose:
        print(json.dumps({k: summary[k] for k in ("summary", "calibration")}, ensure_ascii=False))
    committed = sim.job("POST", f"/v1/plans/{summary['id']}/commit", headers=sim.staff,
                        timeout=600)  # fmt: skip
    committed.raise_for_status()
    pushes = _month_pushes(sim, month)
    learner, bound = bounds(sim, first_day + timedelta(days=1), len(pushes))
    if ARGS.verbose:
        _print_learner_view(sim, pushes, first_day + timedelta(days=1))
    by_service_id = {p.service_id: p for p in sim.people}
    sim.at(first_day + timedelta(days=9))
    applications: dict[int, list[dict[str, Any]]] = {}
    for push in pushes:
        person, post = by_service_id[push["labourer_id"]], sim.posts.get(push["post_id"])
        if post is None or person.employed:
            continue
        person.pushed.add(post.service_id)
        if _draw(person, post, "apply") < apply_probability(person, post):
            answer = "applied"
            applications.setdefault(person.row, []).append(push)
        else:
            answers = 0.85 if person.responsive else 0.1  # the rest never answer
            answer = "declined" if sim.rng.random() < answers else "no_response"
        _event(sim, push["id"], answer)
        person.answers.append((post.trade, _fit(person, post), answer))
    if ARGS.verbose:
        _print_mix(pushes, by_service_id, sim)
    sim.at(first_day + timedelta(days=19))
    for row, applied in applications.items():
        person = sim.people[row]
        sim.rng.shuffle(applied)
        for push in applied:
            post = sim.posts[push["post_id"]]
            if person.employed:
                _event(sim, push["id"], "declined")  # took another job this month
            elif _draw(person, post, "hire") < hire_probability(person, post):
                if _event(sim, push["id"], "hired"):
                    person.employed = True
                    post.hired += 1
                else:
                    _event(sim, push["id"], "rejected")  # the post filled first
            else:
                _event(sim, push["id"], "rejected")
    sim.at(first_day + timedelta(days=24))
    end_jobs(sim, first_day + timedelta(days=24))
    sim.at(first_day + timedelta(days=27))
    report = sim.call("GET", "/v1/reports/targets", params={"region": COUNTY, "month": month},
                      headers=sim.staff, timeout=120).json()  # fmt: skip
    figures = {f["key"]: f for f in report["figures"]}
    return Month(
        month=month,
        u=int(figures["unemployed_willing"]["value"]),
        new_seekers=int(figures["new_seekers"]["value"]),
        pushes=int(figures["push_ratio"]["numerator"] or 0),
        push_ratio=float(figures["push_ratio"]["value"] or 0),
        reach=float(figures["reach"]["value"] or 0),
        success_rate=float(figures["success_rate"]["value"] or 0),
        hires=int(figures["success_rate"]["numerator"] or 0),
        employed_share=float(figures["employed_share"]["value"] or 0),
        expected_rate=summary["summary"]["expected_success_rate"],
        oracle_rate=bound,
        learner_rate=learner,
        calibration=summary["calibration"]["method"],
        seconds=time.perf_counter() - started,
    )


def _print_mix(pushes: list[dict[str, Any]], people: dict[int | None, Person], sim: Sim) -> None:
    """What the month's pushes were, in the model's terms the service never sees."""
    mix: dict[str, int] = {}
    for push in pushes:
        person, post = people[push["labourer_id"]], sim.posts.get(push["post_id"])
        if post is None:
            continue
        kind = (
            "liked"
            if post.trade == person.likes
            else ("disliked" if post.trade in person.dislikes else "neutral")
        )
        key = f"{kind}/{'responsive' if person.responsive else 'silent'}"
        mix[key] = mix.get(key, 0) + 1
    print("  mix:", dict(sorted(mix.items())), flush=True)


def _print_learner_view(sim: Sim, pushes: list[dict[str, Any]], today: date) -> None:
    """The ideal learner's view of the service's pushes and of its own picks (before
    competition): mean P(apply) before place and wage, place x wage, P(hire | applied)."""
    by_service_id = {p.service_id: p for p in sim.people}
    service = [(by_service_id[x["labourer_id"]], sim.posts[x["post_id"]]) for x in pushes
               if x["post_id"] in sim.posts]  # fmt: skip
    seekers = [p for p in sim.people if not p.employed]
    own = learner_pairs(sim, seekers, today, len(service))
    for label, pairs in (("service", service), ("learner", own)):
        cache: dict[int, np.ndarray] = {}
        rows = []
        for person, post in pairs:
            if person.row not in cache:
                cache[person.row] = expected_apply(person)
            a = cache[person.row][KINDS.index(post.trade)]
            rows.append((a, _fit(person, post), hire_probability(person, post)))
        mean = np.array(rows).mean(axis=0) if rows else np.zeros(3)
        p = float(np.mean([a * f * h for a, f, h in rows])) if rows else 0.0
        print(f"  {label}: P {p:.3f} = apply {mean[0]:.3f} x fit {mean[1]:.3f} x hire "
              f"{mean[2]:.3f}; labourers {len({x.row for x, _ in pairs})}, "
              f"welfare {sum(post.trade == WELFARE for _, post in pairs)}, "
              f"partner {sum(post.place == 4 for _, post in pairs)}, "
              f"unskilled {sum(not x.skilled for x, _ in pairs)}", flush=True)  # fmt: skip


def _month_pushes(sim: Sim, month: str) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        params = {"region": COUNTY, "month": month, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = sim.call("GET", "/v1/pushes", params=params, headers=sim.staff).json()
        out.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return out


def _event(sim: Sim, push_id: int, state: str) -> bool:
    response = sim.call("POST", f"/v1/pushes/{push_id}/events", json={"state": state},
                        headers=sim.staff)  # fmt: skip
    return response.status_code == 200


def end_jobs(sim: Sim, today: date) -> None:
    """About 4% of the employed leave their job each month."""
    for person in sim.people:
        if not person.employed or sim.rng.random() >= 0.04:
            continue
        jobs = sim.call("GET", f"/v1/labourers/{person.service_id}/employments",
                        headers=sim.staff).json()  # fmt: skip
        open_jobs = [j for j in jobs if j.get("end_date") is None]
        for job in open_jobs:
            if job["start_date"] <= today.isoformat():
                sim.call("POST", f"/v1/employments/{job['id']}/end",
                         json={"end_date": today.isoformat()}, headers=sim.staff)  # fmt: skip
        person.employed = False


def plot(months: list[Month], baseline: list[Month] | None, path: Path) -> None:
    """Six panels, one point per month; the baseline dashed where there is one."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = list(range(1, len(months) + 1))
    panels: list[tuple[str, str, float | None]] = [
        ("U (unemployed, willing on the 1st)", "u", None),
        ("push ratio (pushes / U)", "push_ratio", 0.5),
        ("reach (labourers pushed / U)", "reach", None),
        ("success rate (hires / pushes)", "success_rate", 0.15),
        ("hires from pushes", "hires", None),
        ("employed share", "employed_share", 0.6),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
    for ax, (title, key, target) in zip(axes.flat, panels, strict=True):
        ax.plot(x, [getattr(m, key) for m in months], marker="o", label="learning")
        if baseline is not None:
            ax.plot(x, [getattr(m, key) for m in baseline], marker=".", linestyle=":",
                    color="tab:gray", label="no learning")  # fmt: skip
        if key == "success_rate":  # the bounds of the learning run (`bounds`)
            for bound, label, style in (("learner_rate", "ideal learner", "-."),
                                        ("oracle_rate", "oracle", "--")):  # fmt: skip
                ax.plot(x, [getattr(m, bound) for m in months], linestyle=style,
                        color="tab:green" if bound == "oracle_rate" else "tab:olive",
                        linewidth=1, label=label)  # fmt: skip
        if target is not None:
            ax.axhline(target, color="tab:red", linestyle="--", linewidth=1, label="target")
        ax.legend(loc="best", fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.set_xticks(x)
        ax.set_xlabel("month")
        ax.grid(alpha=0.3)
    fig.suptitle(f"A simulated county's year (430981, {ARGS.labourers:,} labourers, seed "
                 f"{ARGS.seed}) through the real service", fontsize=11)  # fmt: skip
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


@contextmanager
def county_service(name: str) -> Iterator[Sim]:
    """A fresh service and database with the county's staff key and the partner agencies."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(ARGS.backend, Path(tmp), name) as url,
        serve(url) as sim,
    ):
        yield sim


@contextmanager
def serve(url: str, sim: Sim | None = None) -> Iterator[Sim]:
    """The service on this database (started with the process's environment): a new county's
    keys and agencies, or `sim`'s (already in the database) talking to this service."""
    with (
        running_service(url) as (base, env, admin),
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        if sim is not None:
            sim.http, sim.admin = http, admin
        else:
            staff_key = _cli(["keys", "create", "--name", "沅江市人社局", "--role", "staff",
                              "--region", COUNTY], env)  # fmt: skip
            sim = Sim(http, admin, {"Authorization": f"Bearer {staff_key}"}, {},
                      random.Random(ARGS.seed))  # fmt: skip
            for agency_name, (province, _) in PARTNERS.items():
                agency = http.post("/v1/agencies",
                                   json={"name": agency_name, "province_code": province},
                                   headers=admin).json()  # fmt: skip
                key = _cli(["keys", "create", "--name", agency_name, "--role", "agency",
                            "--agency-id", str(agency["id"])], env)  # fmt: skip
                sim.agencies[agency_name] = {"Authorization": f"Bearer {key}"}
        try:
            yield sim
        finally:
            http.delete("/v1/clock", headers=admin)


def simulate(*, learning: bool) -> tuple[list[Month], Sim]:
    """Twelve months (ARGS.months) of the county through a fresh service and database."""
    os.environ["MATCHING_PLANNER_LEARNING"] = "true" if learning else "false"
    label = "learning" if learning else "baseline (prior, no feedback)"
    with county_service("year_sim") as sim:
        months = []
        print(f"== {label}")
        print(
            "month       U   new  pushes  ratio  reach  success  expected  learner  oracle  hires"
            "  employed  calib"
        )
        for index in range(ARGS.months):
            first = date(2027 + index // 12, 1 + index % 12, 1)
            m = run_month(sim, first, index)
            months.append(m)
            print(f"{m.month} {m.u:6d} {m.new_seekers:5d} {m.pushes:7d} {m.push_ratio:6.1%} "
                  f"{m.reach:6.1%} {m.success_rate:8.1%} {(m.expected_rate or 0):9.1%} "
                  f"{(m.learner_rate or 0):8.1%} {(m.oracle_rate or 0):7.1%} "
                  f"{m.hires:6d} {m.employed_share:9.1%}  {m.calibration} ({m.seconds:.0f} s)",
                  flush=True)  # fmt: skip
    return months, sim


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _learning_ratio(months: list[Month]) -> float | None:
    later = [m.success_rate for m in months[3:]]
    first = months[0].success_rate
    return round(statistics.fmean(later) / first, 3) if later and first else None


def main() -> int:
    months, sim = simulate(learning=not ARGS.no_learning)
    baseline = simulate(learning=False)[0] if ARGS.compare else None
    plot(months, baseline, ROOT / "docs" / "img" / "year_sim.png")
    result: dict[str, Any] = {
        "benchmark": "year_sim",
        "backend": "sqlite" if ARGS.backend == "sqlite" else "postgresql",
        "seed": ARGS.seed,
        "labourers": len(sim.people),
        "requests": sim.requests,
        "responses_5xx": sim.errors_5xx,
        "every_month_push_ratio_ge_50": all(m.push_ratio >= 0.5 for m in months),
        "every_month_success_ge_15": all(m.success_rate >= 0.15 for m in months),
        "month_1_success": round(months[0].success_rate, 4),
        "months_4_12_mean_success": round(statistics.fmean(m.success_rate for m in months[3:]), 4)
        if len(months) > 3 else None,
        "learning_ratio": _learning_ratio(months),
        # The best any planner could expect, knowing the acceptance model (oracle_rate).
        "oracle_month_1": _round(months[0].oracle_rate),
        "oracle_months_4_12_mean": _round(statistics.fmean(m.oracle_rate or 0 for m in months[3:]))
        if len(months) > 3 else None,
        # The best a planner learning ideally from the same answers could expect (learner_rate).
        "learner_month_1": _round(months[0].learner_rate),
        "learner_months_4_12_mean": _round(statistics.fmean(m.learner_rate or 0
                                                            for m in months[3:]))
        if len(months) > 3 else None,
        "months": [m.__dict__ for m in months],
    }  # fmt: skip
    if baseline is not None:
        later = statistics.fmean(m.success_rate for m in months[3:])
        base_later = statistics.fmean(m.success_rate for m in baseline[3:])
        result["baseline_months_4_12_mean_success"] = round(base_later, 4)
        result["learning_over_baseline"] = round(later / base_later, 3) if base_later else None
        result["baseline_months"] = [m.__dict__ for m in baseline]
    print(json.dumps(result, ensure_ascii=False, default=str))
    ok = (result["responses_5xx"] == 0 and result["every_month_push_ratio_ge_50"]
          and result["every_month_success_ge_15"]
          and (result["learning_ratio"] or 0) >= 1.2)  # fmt: skip
    print("targets met" if ok else "TARGETS MISSED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", help="sqlite or a PostgreSQL server URL")
    parser.add_argument("--labourers", type=int, default=3000)
    parser.add_argument("--posts", type=int, default=240, help="posts at the start")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--verbose", action="store_true", help="print each plan's numbers")
    parser.add_argument("--no-learning", action="store_true",
                        help="run only the baseline (MATCHING_PLANNER_LEARNING=false)")  # fmt: skip
    parser.add_argument("--compare", action="store_true",
                        help="run the year again with MATCHING_PLANNER_LEARNING=false")  # fmt: skip
    parser.add_argument(
        "--town-seats",
        action="store_true",
        help="towns at points staff give the service; labourers weigh the way",
    )
    parser.add_argument("--taste-follows-trade", type=float, default=0.6,
                        help="share of labourers who like their own trade best")  # fmt: skip
    ARGS = parser.parse_args()
    sys.exit(main())
