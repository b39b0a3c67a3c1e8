"""The gazetteer and places.locate: province, city, district and region from unit names."""

from __future__ import annotations

import pytest

from loaders.places import (
    CITY_PROVINCE,
    COUNTY_CITIES,
    MUNICIPALITIES,
    PROVINCES,
    locate,
    mentions,
    region_of,
)
from loaders.places_data import GAZETTEER, PROVINCE_DIRECT

# (text, province, city, district, region)
CASES = [
    ("深圳市龙岗区卫生健康局", "广东省", "深圳市", "龙岗区", "深圳"),
    ("浏阳市卫生健康局", "湖南省", "长沙市", "浏阳市", "湖南"),
    ("上海市普陀区卫生健康事务管理中心", "上海市", "上海市", "普陀区", "上海"),
    ("舟山市普陀区卫生健康局", "浙江省", "舟山市", "普陀区", "浙江"),
    ("浙江省普陀区卫生健康局", "浙江省", "舟山市", "普陀区", "浙江"),
    ("长沙县卫生健康局", "湖南省", "长沙市", "长沙县", "湖南"),
    ("北京市朝阳区卫生健康委员会", "北京市", "北京市", "朝阳区", "北京"),
    ("长春市朝阳区卫生健康局", "吉林省", "长春市", "朝阳区", "吉林"),
    ("朝阳市卫生健康委员会", "辽宁省", "朝阳市", None, "辽宁"),
    ("南京市鼓楼区卫生健康委员会", "江苏省", "南京市", "鼓楼区", "江苏"),
    ("福州市鼓楼区卫生健康局", "福建省", "福州市", "鼓楼区", "福建"),
    ("深圳市医学信息中心", "广东省", "深圳市", None, "深圳"),
    ("2021年度龙岗区卫生健康局预算项目绩效自评表（局本级）", "广东省", "深圳市", "龙岗区", "深圳"),
    ("深圳市福田 区卫生健康局", "广东省", "深圳市", "福田区", "深圳"),
    ("广州市南沙区卫生健康局", "广东省", "广州市", "南沙区", "广东"),
    ("杭州市临平区卫生健康局", "浙江省", "杭州市", "临平区", "浙江"),
    ("苏州市吴江区卫生健康委员会", "江苏省", "苏州市", "吴江区", "江苏"),
    ("宁波市鄞州区卫生健康局", "浙江省", "宁波市", "鄞州区", "宁波"),
    ("重庆市渝中区卫生健康委员会", "重庆市", "重庆市", "渝中区", "重庆"),
    ("延边朝鲜族自治州卫生健康委员会", "吉林省", "延边朝鲜族自治州", None, "吉林"),
    ("湘西州卫生健康委员会", "湖南省", "湘西土家族苗族自治州", None, "湖南"),
    ("仙桃市卫生健康委员会", "湖北省", "仙桃市", None, "湖北"),
    ("广西壮族自治区卫生健康委员会", "广西壮族自治区", None, None, "广西"),
    ("阳泉市城区卫生健康局", "山西省", "阳泉市", "城区", "山西"),
]


@pytest.mark.parametrize(("text", "province", "city", "district", "region"), CASES)
def test_locate(text, province, city, district, region):
    assert locate(text) == (province, city, district)
    assert region_of(province, city) == region


@pytest.mark.parametrize("text", ["朝阳区卫生健康委员会", "普陀区卫生健康局", "鼓楼区卫生健康局"])
def test_ambiguous_county_alone_is_not_guessed(text):
    province, city, district = locate(text)
    assert district == text[:3]
    assert (province, city) == (None, None)


def test_ambiguous_county_in_one_province_keeps_the_province():
    # 鼓楼区 is in both 南京 and 徐州: the province is sure, the city is not.
    assert locate("江苏省鼓楼区卫生健康委员会") == ("江苏省", None, "鼓楼区")


def test_city_named_after_the_county_wins_over_text_order():
    # The parent unit names the city; the district then reads in that city.
    assert locate("普陀区卫生健康委员会 上海市卫生健康委员会")[:2] == ("上海市", "上海市")
    assert locate("普陀区卫生健康局 舟山市卫生健康委员会")[:2] == ("浙江省", "舟山市")


@pytest.mark.parametrize(
    "text", ["社区卫生服务中心", "中心城区医院改造", "市和县两级医院", "", None]
)
def test_common_words_are_not_places(text):
    assert locate(text) == (None, None, None)


def test_longest_name_is_read_first():
    names = [m.places[0].name for m in mentions("湖南省长沙市长沙县")]
    assert names == ["湖南省", "长沙市", "长沙县"]


def test_gazetteer_has_every_prefecture_level_unit():
    prefectures = [c for p, cities in GAZETTEER.items() for c in cities if c != p]
    assert len(prefectures) == 333  # 293 地级市, 7 地区, 30 自治州, 3 盟 (2023)
    assert len(set(prefectures)) == 333
    assert {p for p in PROVINCES if p not in ("台湾省", "香港特别行政区", "澳门特别行政区")} == set(
        GAZETTEER
    )
    for city, province in (("深圳市", "广东省"), ("长沙市", "湖南省"), ("舟山市", "浙江省")):
        assert CITY_PROVINCE[city] == province
    assert all(m in CITY_PROVINCE for m in MUNICIPALITIES)


@pytest.mark.parametrize(
    ("province", "county_level_units"),
    # Official 2023 counts of county-level divisions (区 + 县级市 + 县 + 自治县).
    [
        ("广东省", 122),
        ("湖南省", 122),
        ("浙江省", 90),
        ("江苏省", 95),
        ("北京市", 16),
        ("上海市", 16),
    ],
)
def test_gazetteer_county_counts(province, county_level_units):
    assert sum(len(v.split()) for v in GAZETTEER[province].values()) == county_level_units


def test_gazetteer_names_are_well_formed():
    for counties in (c for cities in GAZETTEER.values() for c in cities.values()):
        for name in counties.split():
            assert name.endswith(("区", "县", "市", "旗")), name
            assert "开发区" not in name and "示范区" not in name, name
    assert COUNTY_CITIES["普陀区"] == ("上海市", "舟山市")
    assert set(COUNTY_CITIES["朝阳区"]) == {"北京市", "长春市"}
    assert PROVINCE_DIRECT["济源市"] == "河南省"


def test_seed_documents_are_placed(built):
    docs = built["documents"].set_index("unit")
    expect = {
        "深圳市龙岗区卫生健康局": ("广东省", "深圳市", "龙岗区", "深圳"),
        "深圳市医学信息中心": ("广东省", "深圳市", None, "深圳"),
        "浏阳市卫生健康局": ("湖南省", "长沙市", "浏阳市", "湖南"),
    }
    for unit, (province, city, district, region) in expect.items():
        row = docs.loc[unit]
        assert (row.province, row.city, row.region) == (province, city, region)
        assert (row.district if isinstance(row.district, str) else None) == district
    putuo = built["documents"][built["documents"].unit.str.contains("普陀区", na=False)]
    assert list(putuo.region) == ["上海"]
