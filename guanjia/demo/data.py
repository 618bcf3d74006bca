"""The Jinzhou demo's fixed facts and name pools (domain data, so in Chinese).

Figures the city reports (DOMAIN.md) are reproduced from records built here, never typed:
the event pages compute them from participants and signings.
"""

import datetime as dt
from dataclasses import dataclass

CITY = "210700"
# The city's "9 县(市)区": seven GB/T 2260 units and the two national zones.
AREAS = [
    "210702", "210703", "210711", "210726", "210727", "210781", "210782", "210700Z1", "210700Z2",
]  # fmt: skip
ZONE_DEV = "210700Z1"  # 锦州经济技术开发区 (滨海新区)
ZONE_HITECH = "210700Z2"  # 锦州高新技术产业开发区 (松山新区)

# The demo's "today": stage dates stop here (or at the real today, if that is earlier).
AS_OF = dt.date(2026, 11, 15)

CONFERENCE_NAME = "锦州市央地合作对接会"
CONFERENCE_DATE = dt.date(2023, 3, 23)
CONFERENCE_SIGNINGS_WAN = 6_120_000  # 612亿元
# How many of the 44 signings each area made; every one of the 9 signed at least once.
CONFERENCE_AREA_SIGNINGS = {
    ZONE_DEV: 9, ZONE_HITECH: 6, "210781": 6, "210711": 5, "210726": 4, "210782": 4,
    "210727": 4, "210702": 3, "210703": 3,
}  # fmt: skip
CONFERENCE_ENTERPRISES = 129

FORUM_NAME = "锦州市医药健康产业发展论坛"
FORUM_DATE = dt.date(2023, 3, 29)
FORUM_SIGNINGS_WAN = 1_051_600  # 105.16亿元
FORUM_AREA_SIGNINGS = {
    ZONE_HITECH: 8, ZONE_DEV: 6, "210711": 5, "210781": 4, "210702": 3, "210703": 3,
    "210782": 2, "210727": 2, "210726": 1,
}  # fmt: skip
FORUM_ENTERPRISES = 127
# How the forum's day went (the figures above are its participants and signings): invited
# enterprises that declined, accepted but did not come, or came without answering; guests
# nobody invited (walk-ins, among the 127); and rows of its signing list not signed on the day.
FORUM_DECLINED = 6
FORUM_NO_SHOWS = 3
FORUM_UNANSWERED = 4
FORUM_WALK_INS = 2
FORUM_NOT_SIGNED = 1

ORGANISER = "锦州市人民政府"

DEPARTMENTS = [
    "自然资源局", "发展和改革委员会", "生态环境局", "住房和城乡建设局", "国网锦州供电公司",
    "工业和信息化局", "商务局", "营商环境建设局", "市场监督管理局",
]  # fmt: skip


@dataclass(frozen=True)
class Account:
    """A demo login. Passwords are for the demo only and printed by `load_demo`."""

    username: str
    password: str
    role: str
    display_name: str
    region: str = ""  # region code
    department: str = ""
    enterprise: str = ""  # enterprise name


# The passwords are public by design (printed, in the README): never use them for real data.
STAFF_PASSWORD = "guanjia-staff-2023"  # noqa: S105 (a public demo password)
ACCOUNTS = [
    Account("admin", "guanjia-admin-2023", "city_admin", "刘建国", region=CITY),
    Account("official", "guanjia-official-2023", "area_official", "陈志强", region="210781"),
    Account("steward", "guanjia-steward-2023", "steward", "李明", region=CITY),
    Account("handler", "guanjia-handler-2023", "handler", "赵丽娟", region=CITY,
            department="自然资源局"),
    Account("leader", "guanjia-leader-2023", "leader", "张国华", region=CITY),
    Account("enterprise", "guanjia-enterprise-2023", "enterprise", "孙晓梅",
            enterprise="锦州九泰药业有限责任公司"),
    # More people, so stewards and leaders are spread as in a real bureau.
    Account("zhangwei", STAFF_PASSWORD, "steward", "张伟", region=CITY),
    Account("wangfang", STAFF_PASSWORD, "steward", "王芳", region=CITY),
    Account("liuyang", STAFF_PASSWORD, "steward", "刘洋", region="210781"),
    Account("chenjing", STAFF_PASSWORD, "steward", "陈静", region="210726"),
    Account("yangfan", STAFF_PASSWORD, "steward", "杨帆", region=ZONE_DEV),
    Account("zhaolei", STAFF_PASSWORD, "steward", "赵磊", region=ZONE_HITECH),
    Account("huangmin", STAFF_PASSWORD, "steward", "黄敏", region="210711"),
    Account("zhoujie", STAFF_PASSWORD, "steward", "周杰", region="210782"),
    Account("wanghaitao", STAFF_PASSWORD, "leader", "王海涛", region=CITY),
    Account("lijianjun", STAFF_PASSWORD, "leader", "李建军", region=CITY),
    Account("sunli", STAFF_PASSWORD, "handler", "孙丽", region=CITY,
            department="发展和改革委员会"),
    Account("zhoupeng", STAFF_PASSWORD, "handler", "周鹏", region=CITY,
            department="国网锦州供电公司"),
]  # fmt: skip


@dataclass(frozen=True)
class Firm:
    name: str
    short: str  # how project names and people refer to it
    home_city: str
    ownership: str  # enterprises.models.Ownership value
    industry: str | None  # industry code in the 6+1+2 taxonomy, None for generalists
    region: str = ""  # region code in Jinzhou where it is registered or settled
    description: str = ""


# Cities' GB/T 2260 codes, used for positions 3–8 of the demo credit codes.
CITY_CODES = {
    "锦州市": "210700", "北京市": "110108", "上海市": "310115", "天津市": "120116",
    "沈阳市": "210100", "大连市": "210200", "深圳市": "440300", "广州市": "440100",
    "杭州市": "330100", "南京市": "320100", "武汉市": "420100", "成都市": "510100",
    "西安市": "610100", "长春市": "220100", "哈尔滨市": "230100", "济南市": "370100",
    "青岛市": "370200", "郑州市": "410100", "长沙市": "430100", "合肥市": "340100",
    "福州市": "350100", "宁德市": "350900", "苏州市": "320500", "无锡市": "320200",
    "石家庄市": "130100", "重庆市": "500112", "昆明市": "530100", "本溪市": "210500",
    "通化市": "220500", "泰州市": "321200", "连云港市": "320700",
}  # fmt: skip

# The 24 cities the conference's enterprises come from (each at least once, no others).
CONFERENCE_CITIES = list(CITY_CODES)[:24]
# Where generated private firms at the conference come from, by weight.
CONFERENCE_CITY_WEIGHTS = {
    "锦州市": 14, "沈阳市": 8, "大连市": 6, "北京市": 5, "上海市": 4, "天津市": 3,
    "深圳市": 3, "苏州市": 3, "杭州市": 2, "南京市": 2, "无锡市": 2, "青岛市": 2,
    "广州市": 2, "长春市": 2, "哈尔滨市": 1, "济南市": 1, "郑州市": 1, "长沙市": 1,
    "合肥市": 1, "福州市": 1, "宁德市": 1, "武汉市": 1, "成都市": 1, "西安市": 1,
}  # fmt: skip
FORUM_CITY_WEIGHTS = {
    "锦州市": 12, "沈阳市": 8, "大连市": 5, "本溪市": 5, "北京市": 6, "上海市": 6,
    "天津市": 4, "石家庄市": 3, "济南市": 3, "青岛市": 2, "苏州市": 5, "泰州市": 4,
    "连云港市": 3, "杭州市": 4, "南京市": 3, "武汉市": 3, "成都市": 3, "重庆市": 2,
    "长春市": 3, "通化市": 3, "哈尔滨市": 3, "广州市": 3, "深圳市": 3, "西安市": 2,
}  # fmt: skip

# The 25 cities the forum's enterprises come from (each at least once, no others): those it
# drew its generated firms from, and 昆明 (云南白药).
FORUM_CITIES = [*FORUM_CITY_WEIGHTS, "昆明市"]

CENTRAL, CENTRAL_SUB, LOCAL_SOE, PRIVATE = "central_soe", "central_soe_sub", "local_soe", "private"

# Enterprises the city's own reporting names (DOMAIN.md).
PETROCHINA = Firm(
    "中国石油锦州石化分公司",
    "中国石油锦州石化",
    "锦州市",
    CENTRAL_SUB,
    "P1",
    "210702",
    "中国石油在锦炼化企业，针状焦等高端炭材料基地；2022年产值398亿元、税收85.8亿元。",
)
SPIC = Firm(
    "国家电力投资集团东北电力有限公司",
    "国家电投",
    "沈阳市",
    CENTRAL_SUB,
    "P2",
    "",
    "国家电投在东北的区域公司，开发风电、光伏等清洁能源项目。",
)
CATL = Firm(
    "宁德时代新能源科技股份有限公司",
    "宁德时代",
    "宁德市",
    PRIVATE,
    "P2",
    "",
    "动力电池和储能电池企业，看中锦州针状焦等负极材料原料配套。",
)
LONGYU = Firm(
    "锦州龙宇新材料有限公司",
    "龙宇新材料",
    "锦州市",
    PRIVATE,
    "P1",
    "210781",
    "颜料生产企业，产品约占全球市场份额的15%。",
)
WANDE = Firm(
    "锦州万得集团有限公司",
    "万得集团",
    "锦州市",
    PRIVATE,
    "P4",
    "210711",
    "汽车零部件企业，主营汽车电机和电器。",
)
SHENGONG = Firm(
    "锦州神工集团有限公司", "神工集团", "锦州市", PRIVATE, "P3", ZONE_HITECH, "半导体级硅材料企业。"
)
KAIMEI = Firm(
    "锦州凯美能源有限公司",
    "凯美能源",
    "锦州市",
    PRIVATE,
    "E1",
    ZONE_HITECH,
    "超级电容器及电子元器件企业。",
)
YANGGUANG = Firm(
    "锦州阳光能源有限公司", "阳光能源", "锦州市", PRIVATE, "P2", "210711", "光伏单晶硅材料企业。"
)
LIAOJING = Firm(
    "锦州辽晶电子科技股份有限公司",
    "辽晶电子",
    "锦州市",
    PRIVATE,
    "E1",
    "210703",
    "功率半导体器件企业。",
)
AOHONG = Firm(
    "锦州奥鸿药业有限责任公司",
    "奥鸿药业",
    "锦州市",
    PRIVATE,
    "P5",
    ZONE_DEV,
    "生物医药企业，主营生物制剂和注射剂。",
)
JIUTAI = Firm(
    "锦州九泰药业有限责任公司",
    "九泰药业",
    "锦州市",
    PRIVATE,
    "P5",
    "210711",
    "化学原料药企业，氯己定系列原料药主要供应商。",
)

NAMED_LOCAL = [LONGYU, WANDE, SHENGONG, KAIMEI, YANGGUANG, LIAOJING]

CENTRAL_FIRMS = [
    PETROCHINA,
    SPIC,
    Firm("中国华能集团有限公司", "华能", "北京市", CENTRAL, "P2"),
    Firm("中国大唐集团新能源股份有限公司", "大唐新能源", "北京市", CENTRAL_SUB, "P2"),
    Firm("中国华电集团有限公司辽宁分公司", "华电辽宁", "沈阳市", CENTRAL_SUB, "P2"),
    Firm("国家能源集团辽宁电力有限公司", "国家能源集团", "沈阳市", CENTRAL_SUB, "P2"),
    Firm("中国长江三峡集团有限公司", "三峡集团", "武汉市", CENTRAL, "P2"),
    Firm("中国广核集团有限公司", "中广核", "深圳市", CENTRAL, "P2"),
    Firm("中国核工业集团有限公司", "中核集团", "北京市", CENTRAL, "P2"),
    Firm("中国节能环保集团有限公司", "中国节能", "北京市", CENTRAL, "P2"),
    Firm("中国建筑第八工程局有限公司", "中建八局", "上海市", CENTRAL_SUB, None),
    Firm("中建三局集团有限公司", "中建三局", "武汉市", CENTRAL_SUB, None),
    Firm("中国中化控股有限责任公司", "中国中化", "北京市", CENTRAL, "P1"),
    Firm("中国石油化工股份有限公司", "中国石化", "北京市", CENTRAL_SUB, "P1"),
    Firm("中国海洋石油集团有限公司", "中国海油", "北京市", CENTRAL, "P1"),
    Firm("中国宝武钢铁集团有限公司", "中国宝武", "上海市", CENTRAL, "P3"),
    Firm("中国五矿集团有限公司", "中国五矿", "北京市", CENTRAL, "P3"),
    Firm("中国铝业集团有限公司", "中铝集团", "北京市", CENTRAL, "P3"),
    Firm("中国钢研科技集团有限公司", "中国钢研", "北京市", CENTRAL, "P3"),
    Firm("中国建材集团有限公司", "中国建材", "北京市", CENTRAL, "P3"),
    Firm("中国通用技术（集团）控股有限责任公司", "通用技术集团", "北京市", CENTRAL, "P4"),
    Firm("中国机械工业集团有限公司", "国机集团", "北京市", CENTRAL, "P4"),
    Firm("中车长春轨道客车股份有限公司", "中车长客", "长春市", CENTRAL_SUB, "P4"),
    Firm("中国第一汽车集团有限公司", "一汽集团", "长春市", CENTRAL, "P4"),
    Firm("中国东方电气集团有限公司", "东方电气", "成都市", CENTRAL, "P4"),
    Firm("哈尔滨电气集团有限公司", "哈电集团", "哈尔滨市", CENTRAL, "P4"),
    Firm("中国西电集团有限公司", "中国西电", "西安市", CENTRAL, "P4"),
    Firm("中航西安飞机工业集团股份有限公司", "中航西飞", "西安市", CENTRAL_SUB, "P4"),
    Firm("中国船舶集团有限公司", "中国船舶", "上海市", CENTRAL, "P4"),
    Firm("中国电子科技集团有限公司", "中国电科", "北京市", CENTRAL, "E1"),
    Firm("中国长城科技集团股份有限公司", "中国长城", "深圳市", CENTRAL_SUB, "E1"),
    Firm("中国华录集团有限公司", "中国华录", "大连市", CENTRAL, "E1"),
    Firm("中国移动通信集团辽宁有限公司", "辽宁移动", "沈阳市", CENTRAL_SUB, "E1"),
    Firm("中交第一航务工程局有限公司", "中交一航局", "天津市", CENTRAL_SUB, "F1"),
    Firm("中国天辰工程有限公司", "中国天辰", "天津市", CENTRAL_SUB, "P1"),
    Firm("中国化学工程第十四建设有限公司", "中化十四建", "南京市", CENTRAL_SUB, "P1"),
    Firm("中国电建集团华东勘测设计研究院有限公司", "华东院", "杭州市", CENTRAL_SUB, "P2"),
    Firm("中国远洋海运集团有限公司", "中远海运", "上海市", CENTRAL, "F1"),
    Firm("中国物流集团有限公司", "中国物流", "北京市", CENTRAL, "F1"),
    Firm("中粮集团有限公司", "中粮集团", "北京市", CENTRAL, "P6"),
    Firm("中国储备粮管理集团有限公司辽宁分公司", "中储粮辽宁", "沈阳市", CENTRAL_SUB, "P6"),
    Firm("招商局蛇口工业区控股股份有限公司", "招商蛇口", "深圳市", CENTRAL_SUB, "F1"),
    Firm("华润电力投资有限公司", "华润电力", "深圳市", CENTRAL_SUB, "P2"),
    Firm("中国南方电网有限责任公司", "南方电网", "广州市", CENTRAL, "P2"),
    Firm("国网辽宁省电力有限公司", "国网辽宁电力", "沈阳市", CENTRAL_SUB, "P2"),
]

LOCAL_SOE_FIRMS = [
    Firm("锦州港股份有限公司", "锦州港", "锦州市", LOCAL_SOE, "F1", ZONE_DEV),
    Firm("锦州市城市建设投资集团有限公司", "锦州城投", "锦州市", LOCAL_SOE, None, CITY),
    Firm("锦州市国有资本投资运营集团有限公司", "锦州国投", "锦州市", LOCAL_SOE, None, CITY),
    Firm("辽宁港口集团有限公司", "辽港集团", "大连市", LOCAL_SOE, "F1"),
    Firm("辽宁省能源产业控股集团有限责任公司", "辽宁能源", "沈阳市", LOCAL_SOE, "P2"),
    Firm("辽宁省交通建设投资集团有限责任公司", "辽宁交投", "沈阳市", LOCAL_SOE, "F1"),
    Firm("沈阳鼓风机集团股份有限公司", "沈鼓集团", "沈阳市", LOCAL_SOE, "P4"),
    Firm("大连重工·起重集团有限公司", "大连重工", "大连市", LOCAL_SOE, "P4"),
    Firm("上海电气集团股份有限公司", "上海电气", "上海市", LOCAL_SOE, "P4"),
    Firm("上海华谊控股集团有限公司", "上海华谊", "上海市", LOCAL_SOE, "P1"),
    Firm("天津渤海化工集团有限责任公司", "渤化集团", "天津市", LOCAL_SOE, "P1"),
    Firm("天津港（集团）有限公司", "天津港", "天津市", LOCAL_SOE, "F1"),
    Firm("北京能源集团有限责任公司", "京能集团", "北京市", LOCAL_SOE, "P2"),
    Firm("首钢集团有限公司", "首钢集团", "北京市", LOCAL_SOE, "P3"),
    Firm("北京汽车集团有限公司", "北汽集团", "北京市", LOCAL_SOE, "P4"),
    Firm("深圳市投资控股有限公司", "深投控", "深圳市", LOCAL_SOE, None),
    Firm("广州汽车工业集团有限公司", "广汽集团", "广州市", LOCAL_SOE, "P4"),
    Firm("浙江省能源集团有限公司", "浙能集团", "杭州市", LOCAL_SOE, "P2"),
    Firm("杭州钢铁集团有限公司", "杭钢集团", "杭州市", LOCAL_SOE, "P3"),
    Firm("江苏省国信集团有限公司", "江苏国信", "南京市", LOCAL_SOE, "P2"),
    Firm("湖北省交通投资集团有限公司", "湖北交投", "武汉市", LOCAL_SOE, "F1"),
    Firm("四川省能源投资集团有限责任公司", "川能投", "成都市", LOCAL_SOE, "P2"),
    Firm("陕西延长石油（集团）有限责任公司", "延长石油", "西安市", LOCAL_SOE, "P1"),
    Firm("山东能源集团有限公司", "山东能源", "济南市", LOCAL_SOE, "P2"),
    Firm("青岛港国际股份有限公司", "青岛港", "青岛市", LOCAL_SOE, "F1"),
    Firm("河南投资集团有限公司", "豫投集团", "郑州市", LOCAL_SOE, "P2"),
    Firm("湖南钢铁集团有限公司", "湖南钢铁", "长沙市", LOCAL_SOE, "P3"),
    Firm("合肥市建设投资控股（集团）有限公司", "合肥建投", "合肥市", LOCAL_SOE, "E1"),
    Firm("福建省能源石化集团有限责任公司", "福建能化", "福州市", LOCAL_SOE, "P1"),
    Firm("苏州创元投资发展（集团）有限公司", "苏州创元", "苏州市", LOCAL_SOE, "P4"),
    Firm("无锡市国联发展（集团）有限公司", "无锡国联", "无锡市", LOCAL_SOE, "E1"),
]

PHARMA_FIRMS = [
    AOHONG,
    JIUTAI,
    Firm("中国医药集团有限公司", "国药集团", "北京市", CENTRAL, "P5"),
    Firm("华润医药集团有限公司", "华润医药", "北京市", CENTRAL_SUB, "P5"),
    Firm("通用技术集团医药控股有限公司", "通用技术医药", "北京市", CENTRAL_SUB, "P5"),
    Firm("上海医药集团股份有限公司", "上海医药", "上海市", LOCAL_SOE, "P5"),
    Firm("广州医药集团有限公司", "广药集团", "广州市", LOCAL_SOE, "P5"),
    Firm("华北制药集团有限责任公司", "华北制药", "石家庄市", LOCAL_SOE, "P5"),
    Firm("哈药集团有限公司", "哈药集团", "哈尔滨市", LOCAL_SOE, "P5"),
    Firm("天津市医药集团有限公司", "天津医药", "天津市", LOCAL_SOE, "P5"),
    Firm("北京同仁堂股份有限公司", "同仁堂", "北京市", LOCAL_SOE, "P5"),
    Firm("重庆医药（集团）股份有限公司", "重药集团", "重庆市", LOCAL_SOE, "P5"),
    Firm("云南白药集团股份有限公司", "云南白药", "昆明市", LOCAL_SOE, "P5"),
]

# Two characters of a trade name (字号) are drawn from these, one from each.
TRADE_FIRST = "华恒瑞金宏鑫博天新海康盛润卓凯远腾万嘉信永银星德安广泰旭晨佳聚鼎振合东北辰"
TRADE_SECOND = "锐远科达源创翼诺宁通越航飞禾信河润图光能盛兴泽川峰嘉隆业联成"

# What a firm of each industry calls itself after its trade name.
INDUSTRY_WORDS = {
    "P1": ["化工", "精细化工", "石化科技", "化学科技", "新材料科技"],
    "P2": ["新能源", "风电科技", "光伏科技", "储能科技", "氢能科技", "电力"],
    "P3": ["新材料", "金属材料", "钛业", "硅材料科技", "合金材料"],
    "P4": ["机械制造", "汽车零部件", "装备制造", "智能装备", "精密机械", "汽车电器"],
    "P5": ["生物医药", "制药", "医疗器械", "生物科技", "药业", "医药科技", "生物工程"],
    "P6": ["食品", "农业发展", "粮油", "牧业", "果蔬食品"],
    "E1": ["电子科技", "半导体", "微电子", "信息技术", "光电科技"],
    "F1": ["物流", "供应链管理", "国际贸易", "港务物流"],
    "F2": ["服饰", "家居", "日用品", "食品饮料"],
}

# The industries each area attracts, by weight of repetition.
AREA_INDUSTRIES = {
    ZONE_DEV: ["P1", "P1", "F1", "P3", "P2", "P4"],
    ZONE_HITECH: ["E1", "E1", "P4", "P3", "P5", "P2"],
    "210781": ["P2", "P1", "P6", "P4", "P3"],
    "210711": ["P4", "P6", "F2", "E1", "P5"],
    "210726": ["P2", "P2", "P6", "P6"],
    "210782": ["P6", "P6", "P2", "F2"],
    "210727": ["P2", "P3", "P6", "P3"],
    "210702": ["F2", "E1", "P5", "P4"],
    "210703": ["F2", "E1", "P5", "P6"],
}
AREA_WEIGHTS = {
    ZONE_DEV: 7, ZONE_HITECH: 6, "210781": 6, "210711": 4, "210726": 4, "210782": 3,
    "210727": 3, "210702": 2, "210703": 2,
}  # fmt: skip

# Project names: `{n}` is drawn from the list after the template, `{area}` is the area's
# short name. The enterprise's short name comes first.
PROJECT_TEMPLATES: dict[str, list[tuple[str, list[int]]]] = {
    "P1": [
        ("年产{n}万吨电子级化学品项目", [2, 5, 10]),
        ("年产{n}万吨高端润滑油基础油项目", [10, 20, 30]),
        ("年产{n}万吨聚α烯烃项目", [5, 10]),
        ("年产{n}万吨丙烯酸及酯项目", [16, 20, 30]),
        ("年产{n}万吨PBAT可降解材料项目", [6, 12, 18]),
        ("年产{n}万吨锂电池电解液项目", [5, 10, 20]),
        ("年产{n}万吨特种蜡项目", [5, 10]),
        ("精细化工产业园项目", []),
        ("高性能颜料扩产项目", []),
    ],
    "P2": [
        ("{area}{n}MW风电项目", [100, 150, 200, 250, 300]),
        ("{area}{n}MW光伏发电项目", [50, 100, 200]),
        ("{area}{n}MW/{m}MWh共享储能电站项目", [100, 200]),
        ("{area}风光储一体化项目", []),
        ("年产{n}GWh锂电池项目", [5, 10, 20]),
        ("年产{n}万吨锂电池负极材料项目", [5, 10, 20]),
        ("绿电制氢及氢能综合利用项目", []),
        ("年产{n}GW单晶硅棒及切片项目", [5, 10, 20]),
    ],
    "P3": [
        ("年产{n}万吨高性能钛合金材料项目", [1, 2, 3]),
        ("年产{n}万吨硅基新材料项目", [5, 10, 20]),
        ("年产{n}万吨特种钢材深加工项目", [10, 30, 50]),
        ("高纯石英材料生产基地项目", []),
        ("年产{n}万吨铝合金轻量化部件项目", [3, 5, 10]),
        ("碳纤维复合材料项目", []),
        ("半导体级硅材料扩产项目", []),
    ],
    "P4": [
        ("汽车零部件生产基地项目", []),
        ("新能源汽车驱动电机项目", []),
        ("风电装备制造基地项目", []),
        ("智能制造装备产业园项目", []),
        ("年产{n}万套汽车电器项目", [50, 100, 200]),
        ("高端液压件生产线项目", []),
        ("工业机器人集成应用项目", []),
    ],
    "P5": [
        ("原料药生产基地项目", []),
        ("生物制药产业化项目", []),
        ("医疗器械产业园项目", []),
        ("年产{n}亿片固体制剂项目", [5, 10, 20]),
        ("中药饮片及配方颗粒项目", []),
        ("医药中间体项目", []),
        ("高端制剂生产基地项目", []),
        ("生物制品产业化项目", []),
        ("创新药研发及中试基地项目", []),
        ("医用耗材生产项目", []),
        ("体外诊断试剂项目", []),
    ],
    "P6": [
        ("年产{n}万吨玉米精深加工项目", [10, 30, 60]),
        ("肉鸡屠宰及熟食加工项目", []),
        ("{area}葡萄酒庄及精深加工项目", []),
        ("农产品冷链物流加工园项目", []),
        ("年产{n}万吨饲料项目", [10, 20, 30]),
        ("果蔬精深加工项目", []),
        ("花生精深加工项目", []),
    ],
    "E1": [
        ("功率半导体器件项目", []),
        ("超级电容器扩产项目", []),
        ("电子元器件产业园项目", []),
        ("集成电路封装测试项目", []),
        ("石英晶体器件项目", []),
        ("光电显示模组项目", []),
        ("{area}数据中心项目", []),
    ],
    "F1": [
        ("{n}万吨级码头泊位项目", [5, 10, 15]),
        ("港口物流园项目", []),
        ("大宗商品储运基地项目", []),
        ("临港冷链物流中心项目", []),
        ("保税物流中心项目", []),
        ("粮食储运中转项目", []),
    ],
    "F2": [
        ("服装产业园项目", []),
        ("食品饮料生产线项目", []),
        ("家居建材产业园项目", []),
        ("日化用品生产项目", []),
        ("休闲食品加工项目", []),
    ],
}

CONSTRUCTION_CONTENT = {
    "P1": "新建生产装置、罐区及配套公用工程，采用清洁生产工艺。",
    "P2": "建设发电或生产单元、升压站及送出线路等配套设施。",
    "P3": "新建生产车间、原料库及成品库，购置熔炼、加工及检测设备。",
    "P4": "新建装配车间、机加工车间及研发中心，购置数控加工及自动化装配设备。",
    "P5": "新建符合GMP要求的生产车间、质检中心及仓储设施。",
    "P6": "新建加工车间、冷库及原料收储设施，购置自动化加工生产线。",
    "E1": "新建洁净厂房及研发测试中心，购置自动化生产及检测设备。",
    "F1": "建设泊位、堆场、仓储及配套集疏运设施。",
    "F2": "新建标准化厂房及仓储物流设施，购置自动化生产线。",
}

# Signed amounts a project of each industry plausibly has, in 万元 (before scaling).
AMOUNT_RANGES = {
    "P1": (50_000, 600_000), "P2": (30_000, 500_000), "P3": (20_000, 300_000),
    "P4": (10_000, 200_000), "P5": (8_000, 120_000), "P6": (5_000, 80_000),
    "E1": (10_000, 200_000), "F1": (20_000, 300_000), "F2": (5_000, 50_000),
}  # fmt: skip

STAGE_EVIDENCE = {
    "registered": "取得营业执照，项目公司注册落地",
    "approvals": "完成立项备案，用地、规划、环评等手续办理中",
    "construction": "取得施工许可，开工建设",
    "operation": "竣工投产",
    "full_capacity": "达产达效",
}
POWER_EVIDENCE = {"operation": "首批机组并网发电", "full_capacity": "全容量并网发电"}

WITHDRAWAL_REASONS = [
    "市场环境变化，投资方调整投资计划，项目终止",
    "用地规划调整，企业决定另行选址，项目终止",
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红玲燕彬鹏辉宇浩凯健俊帆琳晶瑶雪欣晨阳博文斌志宏海波峰亮建国新春梅兰洁颖婷慧丹"
CONTACT_TITLES = [
    "总经理", "副总经理", "董事长", "投资发展部部长", "项目经理", "综合办公室主任",
    "战略投资部经理", "副总裁",
]  # fmt: skip
MOBILE_PREFIXES = ["138", "139", "136", "135", "137", "158", "159", "186", "187", "188", "150"]
