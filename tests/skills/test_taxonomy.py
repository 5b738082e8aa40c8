"""The curated skill taxonomy: data invariants, term resolution, autocomplete and similarity."""

import json
import re
import time
from collections import Counter
from importlib import resources
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.skills.normalise import canonical, split_terms, strip_fillers
from matching.skills.taxonomy import (
    FUZZY_CUTOFF,
    GROUP_WEIGHT,
    SkillTaxonomy,
    TaxonomyError,
    get_taxonomy,
)

TX = get_taxonomy()
RAW: dict[str, Any] = json.loads(
    resources.files("matching.skills").joinpath("data", "taxonomy.json").read_text("utf-8")
)
ENTRIES: list[dict[str, Any]] = RAW["skills"]


def _id(name: str) -> str:
    return next(s.id for s in TX.skills if s.name == name)


def _outcome(term: str) -> tuple[str | None, str | None, float, str]:
    found = TX.resolve(term)
    return (found.skill_id, found.name, found.score, found.method)


# --- the shipped file ------------------------------------------------------------------------


def test_file_has_enough_entries_groups_and_metadata() -> None:
    assert len(ENTRIES) >= 320
    assert 30 <= len(RAW["groups"]) <= 45
    assert {"version", "date", "note"} <= RAW["metadata"].keys()
    assert Counter(e["kind"] for e in ENTRIES).keys() == {"occupation", "skill", "certificate"}


def test_ids_are_unique_and_well_formed() -> None:
    ids = [e["id"] for e in ENTRIES]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"S\d{4}", i) for i in ids)
    group_ids = [g["id"] for g in RAW["groups"]]
    assert len(set(group_ids)) == len(group_ids)
    assert {e["group"] for e in ENTRIES} == set(group_ids)  # every group used, none unknown


def test_related_ids_exist_with_weights_in_open_unit_interval() -> None:
    ids = {e["id"] for e in ENTRIES}
    for e in ENTRIES:
        for r in e["related"]:
            assert r["id"] in ids and r["id"] != e["id"], (e["id"], r)
            assert 0.0 < r["weight"] < 1.0, (e["id"], r)


def test_related_is_symmetric_in_the_file_itself() -> None:
    edges = {(e["id"], r["id"]): r["weight"] for e in ENTRIES for r in e["related"]}
    assert all(edges.get((b, a)) == w for (a, b), w in edges.items())


def test_related_weights_within_a_group_exceed_the_group_weight() -> None:
    # Otherwise the similarity matrix could not tell a named relation from mere group membership.
    groups = {e["id"]: e["group"] for e in ENTRIES}
    for e in ENTRIES:
        for r in e["related"]:
            if groups[r["id"]] == e["group"]:
                assert r["weight"] > GROUP_WEIGHT, (e["name"], r)


def test_every_alias_string_belongs_to_exactly_one_entry() -> None:
    owners: dict[str, set[str]] = {}
    for e in ENTRIES:
        for text in [e["name"], *e["aliases"]]:
            owners.setdefault(canonical(text), set()).add(e["id"])
    ambiguous = {k: v for k, v in owners.items() if len(v) > 1}
    assert not ambiguous
    assert "" not in owners


def test_no_alias_would_be_split_by_resolve_many() -> None:
    texts = [t for e in ENTRIES for t in [e["name"], *e["aliases"]]]
    assert [t for t in texts if split_terms(t) != [t]] == []


def test_certificates_relate_to_an_occupation() -> None:
    kinds = {e["id"]: e["kind"] for e in ENTRIES}
    for e in ENTRIES:
        if e["kind"] == "certificate":
            assert any(kinds[r["id"]] == "occupation" for r in e["related"]), e["name"]


# --- the loader -----------------------------------------------------------------------------


def _tiny() -> dict[str, Any]:
    a: dict[str, Any] = {"id": "S0001", "name": "电焊工", "en": "Welder", "kind": "occupation"}
    b: dict[str, Any] = {"id": "S0002", "name": "焊工证", "en": "Cert", "kind": "certificate"}
    a |= {"group": "G1", "aliases": ["电焊"], "related": [{"id": "S0002", "weight": 0.9}]}
    b |= {"group": "G1", "aliases": [], "related": []}
    return {"groups": [{"id": "G1", "name": "焊接", "en": "Welding"}], "skills": [a, b]}


def test_loader_mirrors_one_sided_relations() -> None:
    tx = SkillTaxonomy(_tiny())
    assert tx.relation("S0002", "S0001") == ("related", 0.9)
    assert tx.related("S0002") == {"S0001": 0.9}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("related", [{"id": "S0001", "weight": 0.5}]),  # conflicts with 0.9 declared by S0001
        ("related", [{"id": "S9999", "weight": 0.5}]),  # unknown id
        ("aliases", ["电焊"]),  # already an alias of S0001
        ("aliases", ["  电焊 "]),  # the same key once normalised
        ("group", "G_NOPE"),
        ("kind", "hobby"),
    ],
)
def test_loader_rejects_broken_data(field: str, value: Any) -> None:
    data = _tiny()
    data["skills"][1][field] = value
    with pytest.raises(TaxonomyError):
        SkillTaxonomy(data)


# --- resolution -----------------------------------------------------------------------------


def test_every_name_and_alias_resolves_to_its_own_entry() -> None:
    for s in TX.skills:
        assert _outcome(s.name) == (s.id, s.name, 100.0, "exact")
        for alias in s.aliases:
            assert _outcome(alias) == (s.id, s.name, 95.0, "alias"), alias


CLERK_INPUT = [
    ("电焊", "电焊工"),
    ("会开叉车", "叉车司机"),
    ("叉车证", "特种设备作业人员证-叉车"),
    ("叉车证书", "特种设备作业人员证-叉车"),
    ("月嫂", "母婴护理员"),
    ("带孩子", "育婴员"),
    ("育儿嫂", "育婴员"),
    ("保洁", "保洁员"),
    ("做饭", "中式烹调师"),
    ("厨师", "中式烹调师"),
    ("快递分拣", "分拣员"),
    ("开挖机", "挖掘机司机"),
    ("采茶", "采茶工"),
    ("茶鲜叶采摘", "采茶工"),
    ("种香菇", "食用菌种植工"),
    ("直播", "互联网营销师"),
    ("抖音带货", "互联网营销师"),
    ("苗绣", "苗绣"),
    ("苗族刺绣技艺", "苗绣"),
    ("电悍工", "电焊工"),
    ("养老护里员", "养老护理员"),
    ("welder", "电焊工"),
    ("ＷＥＬＤＥＲ", "电焊工"),
    ("Forklift  Driver", "叉车司机"),
    ("有三年电焊经验", "电焊工"),
    ("电焊师傅", "电焊工"),
    ("熟练掌握氩弧焊", "氩弧焊"),
    ("亚弧焊", "氩弧焊"),
    ("电工证", "特种作业操作证-低压电工作业"),
    ("高级电工", "电工"),
    ("电工（中级）", "电工"),
    ("焊工证", "特种作业操作证-焊接与热切割"),
    ("C1 驾照", "C1驾驶证"),
    ("Ｂ２", "B2驾驶证"),
    ("有驾照", "机动车驾驶证"),
    ("开大车", "货车司机"),
    ("送外卖", "外卖骑手"),
    ("会计", "会计"),
    ("会计师", "会计"),
    ("会电脑", "计算机操作员"),
    ("生态护林员", "护林员"),
    ("村保洁", "农村保洁员"),
    ("护路", "护路员"),
    ("养猪", "生猪养殖"),
    ("湖羊养殖", "肉羊养殖"),
    ("挖掘", "挖掘机司机"),
    ("CNC", "数控机床操作工"),
    ("电子厂普工", "电子装配工"),
    ("扶贫车间", "来料加工工"),
    ("农村电商", "电子商务师"),
    ("娃娃鱼", "特种水产养殖"),
    ("竹编", "竹编工"),
    ("家政服务员证书", "家政服务员职业技能等级证书"),
    ("月嫂5年", "母婴护理员"),
    ("做过保安", "保安员"),
    ("以前在电子厂做过三年普工", "电子装配工"),
    ("刺绣手工", "刺绣工"),
    ("竹编手工艺", "竹编工"),
    ("照顾病人", "护工"),
]


@pytest.mark.parametrize(("term", "expected"), CLERK_INPUT)
def test_clerk_input_resolves(term: str, expected: str) -> None:
    found = TX.resolve(term)
    assert (found.name, found.skill_id) == (expected, _id(expected))
    assert found.term == term


@pytest.mark.parametrize(
    ("term", "method"),
    [("苗绣", "exact"), ("电焊", "alias"), ("会计师", "contains"), ("电悍工", "fuzzy")],
)
def test_resolution_reports_its_method(term: str, method: str) -> None:
    assert TX.resolve(term).method == method


NOT_A_SKILL = ["asdfgh", "无", "", "   ", "好好学习", "不会电焊", "没有证", "师傅", "打工", "电悍"]
NOT_A_SKILL += ["12345", "！！", "农民工", "打零工", "吃苦耐劳", "会说普通话"]


@pytest.mark.parametrize("term", NOT_A_SKILL)
def test_nonsense_and_no_skill_answers_are_unresolved(term: str) -> None:
    assert _outcome(term) == (None, None, 0.0, "unresolved")


def test_fuzzy_cutoff_keeps_three_character_typos_and_drops_two() -> None:
    three = TX.resolve("电悍工")  # one slip in three characters
    assert three.method == "fuzzy" and FUZZY_CUTOFF <= three.score < 95
    assert TX.resolve("叉东").method == "unresolved"  # one slip in two: too weak to trust


@pytest.mark.parametrize("term", ["开汽车", "卖水果"])
def test_a_different_word_is_not_taken_for_a_typo(term: str) -> None:
    # 开汽车 is one character from 开行车 (overhead crane) and 卖水果 from 种水果, but 汽 and 卖
    # are characters the taxonomy itself uses, so these are other words, not slips.
    assert TX.resolve(term).method == "unresolved"


def test_normalisation_helpers() -> None:
    assert canonical(" ＣＮＣ　操作（熟练） ") == "cnc操作熟练"
    assert canonical("Forklift   Driver") == "forklift driver"
    assert strip_fillers("有三年电焊工作经验") == "电焊"
    assert strip_fillers("会做饭的") == "饭"  # resolve tries 做饭 (raw) before this
    assert strip_fillers("叉车证") == "叉车证"  # 证 is meaningful, never stripped


def test_resolve_many_splits_one_string_and_keeps_list_alignment() -> None:
    names = [r.name for r in TX.resolve_many("电焊、叉车，月嫂/保洁 C1 驾照；护林员")]
    assert names == ["电焊工", "叉车司机", "母婴护理员", "保洁员", "C1驾驶证", "护林员"]
    assert [r.method for r in TX.resolve_many(["电焊", "", "无"])] == ["alias"] + ["unresolved"] * 2
    assert TX.resolve_many("") == []


# --- suggest, relation, similarity ----------------------------------------------------------


def test_suggest_puts_prefix_matches_first_and_is_deterministic() -> None:
    for q in ["叉车", "电", "养", "焊", "cnc"]:
        got = TX.suggest(q, limit=15)
        assert got == TX.suggest(q, limit=15) and 0 < len(got) <= 15
        scores = [score for _, score in got]
        assert scores == sorted(scores, reverse=True)
        key = canonical(q)
        starts = [any(canonical(t).startswith(key) for t in (s.name, *s.aliases)) for s, _ in got]
        assert starts == sorted(starts, reverse=True), q  # no prefix match after a non-prefix
    assert TX.suggest("叉车")[0][0].name == "叉车司机"
    assert TX.suggest("电焊工")[0] == (TX.get(_id("电焊工")), 100.0)
    assert TX.suggest("") == [] and TX.suggest("电", limit=0) == []


def test_relation_kinds() -> None:
    weld, cert = _id("电焊工"), _id("特种作业操作证-焊接与热切割")
    assert TX.relation(weld, weld) == ("exact", 1.0)
    assert TX.relation(weld, cert) == TX.relation(cert, weld) == ("related", 0.9)
    assert TX.relation(weld, _id("特种设备焊接作业人员证")) == ("group", GROUP_WEIGHT)
    assert TX.relation(weld, _id("母婴护理员")) == ("none", 0.0)
    assert TX.relation(weld, "S9999") == ("none", 0.0)


def test_dense_index_and_lookup() -> None:
    assert sorted(TX.index_of(s.id) for s in TX.skills) == list(range(TX.size))
    assert TX.get("S0001") is TX.skills[TX.index_of("S0001")]
    assert TX.get("S9999") is None and TX.group("G_WELD") is not None
    with pytest.raises(KeyError):
        TX.index_of("S9999")
    assert get_taxonomy() is TX


def test_similarity_matrix_matches_relation() -> None:
    m = TX.similarity_matrix()
    assert m.shape == (TX.size, TX.size) and m.dtype == np.float32
    assert np.all(np.diag(m) == 1.0) and np.array_equal(m, m.T)
    assert m.min() >= 0.0 and m.max() <= 1.0
    assert TX.similarity_matrix() is m and not m.flags.writeable
    groups = TX.group_indices()
    assert groups.dtype == np.int32 and groups.shape == (TX.size,)
    assert [TX.groups[g].id for g in groups] == [s.group for s in TX.skills]
    assert np.all(m[groups[:, None] == groups[None, :]] >= np.float32(GROUP_WEIGHT))
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, TX.size, size=(500, 2)):
        kind, weight = TX.relation(TX.skills[i].id, TX.skills[j].id)
        assert m[i, j] == pytest.approx(weight), kind


def test_resolving_a_term_is_fast() -> None:
    terms = [t for t, _ in CLERK_INPUT] + ["asdfgh", "好好学习", "无"]
    start = time.perf_counter()
    for _ in range(20):
        for t in terms:
            TX.resolve(t)
    per_term = (time.perf_counter() - start) / (20 * len(terms))
    assert per_term < 2e-3  # typically ~0.05 ms; this only catches an accidental O(n²)


CLERKISH = st.lists(
    st.sampled_from(
        ["会", "电焊", "经验", "证", "三年", "师傅", "、", " ", "Ｗ", "无", "叉车", "c1"]
    ),
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), CLERKISH))
def test_resolve_never_raises_and_scores_stay_in_range(term: str) -> None:
    found = TX.resolve(term)
    assert 0.0 <= found.score <= 100.0
    assert (found.skill_id is None) == (found.method == "unresolved") == (found.score == 0.0)
    assert all(0.0 <= r.score <= 100.0 for r in TX.resolve_many(term))
    assert len(TX.suggest(term, limit=5)) <= 5
