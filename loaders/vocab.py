"""The one vocabulary of the forms: cell keys, column roles, metadata labels and level words.

Every kind names a column or a label through these functions, so a header written another way
(调整后预算数, 预算执行数, 全年完成值, 未完成原因和改进措施) is taught here once and read by all.
Matching is on a cell's key: half-width, without white space, traditional characters simplified.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .numbers import _FULLWIDTH

# Traditional characters of these forms (some sites publish them converted) and their simplified
# form: 衛生 reads as 卫生, 預算 as 预算. Only what the forms use; names keep their printed form.
_TRAD_PAIRS = (
    "衛卫 預预 華华 務务 傳传 項项 屬属 單单 實实 內内 發发 監监 與与 網网 絡络 結结 "
    "業业 標标 準准 費费 資资 產产 區区 縣县 鎮镇 鄉乡 醫医 臨临 療疗 護护 藥药 險险 "
    "劃划 計计 統统 經经 營营 運运 輸输 設设 備备 機机 關关 檢检 測测 質质 時时 滿满 "
    "績绩 評评 報报 總总 額额 執执 權权 數数 據据 應应 採采 購购 認认 證证 專专 書书 "
    "記记 錄录 續续 價价 級级 範范 圍围 開开 門门 問问 題题 歷历 東东 後后 財财 撥拨 "
    "補补 轉转 達达 蓋盖 齊齐 對对 說说 況况 際际 種种 個个 類类 別别 員员 錢钱 憑凭 "
    "確确 圖图 館馆 學学 會会 議议 師师 驗验 決决 優优 導导 邊边 環环 節节 廣广 衞卫 "
    "體体 腦脑 團团 組组 織织 維维 辦办 處处 廳厅 長长 萬万 億亿 為为 現现 狀状 進进 "
    "覽览 勞劳 動动 災灾 獎奖 勵励 貼贴 戶户 號号 "
    # the rest of the vocabulary's words (名稱, 調整, 負責人, 聯繫電話, 編碼, 第 3 頁 …)
    "稱称 調调 負负 責责 聯联 電电 話话 編编 碼码 規规 過过 當当 來来 響响 態态 濟济 終终 請请 頁页 歲岁 "
    # the characters a site converts whole documents with (衛生健康局, 績效自評表, 預算執行率 …)
    "無无 適适 間间 軟软 國国 構构 強强 崗岗 黨党 龍龙 綜综 術术 約约 養养 審审 職职 眾众 點点 訓训 隊队 穩稳 診诊 揮挥 層层 礎础 場场 "
    "視视 協协 線线 擴扩 參参 創创 頻频 獨独 訪访 買买 繳缴 顯显 試试 繼继 車车 該该 風风 減减 檔档 獻献 嚴严 籌筹 領领 階阶 轄辖 離离 "
    "樓楼 將将 習习 兒儿 換换 欄栏 見见 條条 兩两 針针 積积 識识 詢询 舉举 論论 撐撑 隱隐 繕缮 傷伤 愛爱 簽签 斷断 儲储 戰战 婦妇 債债 "
    "納纳 沒没 勢势 從从 輿舆 輔辅 課课 則则 細细 講讲 攝摄 變变 訴诉 暫暂 雙双 掛挂 齡龄 陽阳 裝装 較较 劑剂 殘残 擔担 銀银 塊块 繞绕 "
    "蹤踪 輛辆 觀观 極极 庫库 鑑鉴 選选 獲获 脅胁 親亲 壓压 訂订 義义 賠赔 償偿 寬宽 帶带 凍冻 滯滞 隨随 農农 擊击 啟启 舊旧 遷迁 廢废 "
    "寫写 饋馈 賽赛 難难 蒼苍 貫贯 徹彻 夠够 幫帮 園园 雜杂 誤误 郵邮 縮缩 輯辑 虛虚 賬账 連连 慶庆 謀谋 貢贡 塵尘 筆笔 銷销 譜谱 讀读 "
    "礙碍 違违 損损 遲迟 願愿 冊册 張张 簡简 詞词 糧粮 撫抚 贈赠 爭争 貨货 畢毕 輕轻 驅驱 圓圆 擬拟 邏逻 鏈链 纜缆 壞坏 薦荐 討讨 聲声 "
    "銜衔 樣样 鍵键 腫肿 頂顶 興兴 紀纪 懲惩 纖纤 貴贵 馬马 黃黄 於于 餘余 雲云"
)
TRAD_TO_SIMP = {ord(pair[0]): ord(pair[1]) for pair in _TRAD_PAIRS.split() if pair[0] != pair[1]}
# Any of them: a text without one (most) needs no simplifying.
TRADITIONAL = re.compile("[" + "".join(map(chr, TRAD_TO_SIMP)) + "]")

# Half-width, no white space, simplified: the key every label is matched on.
_KEY_TABLE = {
    **_FULLWIDTH,
    **TRAD_TO_SIMP,
    0x3000: None,
    0x20: None,
    0x09: None,
    0x0A: None,
    0x0D: None,
    0xA0: None,
    ord("（"): ord("("),
    ord("）"): ord(")"),
}
# Labels are short: a long cell (goal prose) needs only the start of its key.
MAX_KEY_CHARS = 80


# Pinyin a site added after converted characters: 衛(wèi)生, 項（xiàng）目 (a tone mark in it).
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN = re.compile(f"[(（](?=[a-z]*[{_TONED}])[a-z{_TONED}ü]{{1,6}}[)）]")


def without_pinyin(text: str) -> str:
    """Text without the pinyin a site put after characters (never part of the document)."""
    if "(" not in text and "（" not in text:
        return text
    return PINYIN.sub("", text)


# Any character the key changes: most cells hold none, and a search is far cheaper than translate.
_KEY_CHANGES = re.compile("[" + "".join(re.escape(chr(c)) for c in _KEY_TABLE) + "]")
# What each changed character becomes ('' for white space).
_KEY_REPLACE = {chr(k): "" if v is None else chr(v) for k, v in _KEY_TABLE.items()}
# No character becomes another that changes again, so replacing them one after another is the
# same as translate: a text holds a few distinct such characters (brackets, spaces, full-width
# punctuation), and a replace each is far cheaper than translate's lookup of every character.
assert not any(v in _KEY_TABLE for v in _KEY_TABLE.values() if v is not None)


def _replaced(text: str, changed: list[str], to: dict[str, str]) -> str:
    for ch in set(changed):
        text = text.replace(ch, to[ch])
    return text


def key_of(text: str) -> str:
    """The key of a cell's text: '全年预算数（A）' -> '全年预算数(A)', '預 算' -> '预算',
    '項(xiàng)目' -> '项目'."""
    head = text[:MAX_KEY_CHARS]
    changed = _KEY_CHANGES.findall(head)
    if not changed:
        return head
    return _replaced(without_pinyin(head), changed, _KEY_REPLACE)


_NORMAL_TABLE = {k: v for k, v in _KEY_TABLE.items() if v is not None}
_NORMAL_CHANGES = re.compile("[" + "".join(re.escape(chr(c)) for c in _NORMAL_TABLE) + "]")


def normal_text(text: str) -> str:
    """Half-width and simplified, white space kept: for matching words where spacing matters."""
    changed = _NORMAL_CHANGES.findall(text)
    return _replaced(text, changed, _KEY_REPLACE) if changed else text


def squeeze_key(text: str) -> str:
    """key_of for a whole text, however long."""
    text = without_pinyin(text)
    changed = _KEY_CHANGES.findall(text)
    return _replaced(text, changed, _KEY_REPLACE) if changed else text


def simplified(text: str) -> str:
    """Text with the forms' traditional characters simplified (spacing and punctuation kept)."""
    if TRADITIONAL.search(text) is None:  # most texts: nothing to translate
        return text
    return text.translate(TRAD_TO_SIMP)


# A header cell's marker after its words: 预算数(A), 执行率(B/A), 得分(20分*执行率), 分值(%).
_SUFFIX = re.compile(r"[(][^()]{0,12}[)]?$")


def _bare(key: str) -> str:
    return _SUFFIX.sub("", key.rstrip(":："))


# --- column roles ------------------------------------------------------------------------------

# A funds column header is at most this long without its marker (调整后预算数, 全年执行数).
MAX_FUNDS_WORD = 8

# Header words repeat from table to table: a key's role is worked out once.
ROLE_CACHE_SIZE = 1 << 16
# A header naming one of these is a text or indicator column, whatever else it says:
# 年初绩效目标, 项目执行中存在的问题, 偏差原因, 整改措施, 整体完成情况, 分析.
NOT_FUNDS_WORDS = ("目标", "问题", "原因", "措施", "情况", "指标", "分析")


@lru_cache(maxsize=ROLE_CACHE_SIZE)
def funds_role(key: str) -> str | None:
    """The column of a funds header cell: 年初预算数 -> initial, 调整后预算数 -> budget,
    预算执行数 -> actual, 执行率(B/A) -> rate, 分值/权重 -> weight, 得分 -> score."""
    if source_columns(key):
        return "source"
    k = _bare(key)
    # Column words are short; '本单位严格执行预算' is prose.
    if not k or len(k) > MAX_FUNDS_WORD or any(w in k for w in NOT_FUNDS_WORDS):
        return None
    # A wrapped header cell keeps only its first line here: 全年执行(数), 执行(率).
    if "执行率" in k or k.endswith("率"):
        return "rate"
    if "年初" in k:
        return "initial"
    if "执行" in k or "支出" in k or "决算" in k or k.startswith("实际"):
        return "actual"
    if "预算" in k:
        return "budget"
    if k.endswith("得分") or k in ("自评分", "复核分"):
        return "score"
    if k in ("分值", "分数", "权重"):
        return "weight"
    return None


# The columns of a funds header by source (中央 / 省、地 / 本级 / 其他), each in 万元; a glued
# header prints several in one cell: 中央(万元)省、地(万元)本级(万元)其他(万元).
_SOURCE = r"(?:中央|省、?地|省级|市级|县级|区级|本级|地方|其他)(?:资金|补助)?(?:\((?:万元|元)\))?"
_SOURCES = re.compile(f"(?:{_SOURCE})+")
_ONE_SOURCE = re.compile(_SOURCE)


def source_columns(key: str) -> int:
    """How many funds-source columns a header cell names (0 when it is no such header)."""
    if "(" not in key or not _SOURCES.fullmatch(key):
        return 0
    return len(_ONE_SOURCE.findall(key))


@lru_cache(maxsize=ROLE_CACHE_SIZE)
def indicator_role(key: str) -> str | None:
    """The column of an indicator header cell: 年初目标值(A) -> target, 全年完成值 -> actual,
    未完成原因和改进措施 -> reason, 分值/权重 -> weight, 得分/自评分 -> score."""
    k = _bare(key)
    if not k or len(k) > 14:
        return None
    if k.startswith("一级指标"):
        return "level1"
    if k.startswith("二级指标"):
        return "level2"
    if k.startswith("三级指标") or k in ("指标名称", "指标名称(三级指标)"):
        return "name"
    if "偏差" in k or "原因" in k:
        return "reason"
    # Wrapped header cells keep only their first line here: 年度指标(值), 实际完成(值).
    if k.endswith(("目标值", "指标值")) or k.startswith(("年度指标", "年初目标", "年度目标")):
        return "target"
    if k.endswith(("完成值", "实际值")) or k.startswith(
        ("实际完成", "全年完成", "全年实际", "年终完成")
    ):
        return "actual"
    if k.endswith("得分") or k in ("自评分",):
        return "score"
    if k == "复核分":
        return "review_score"
    if k in ("分值", "分数", "权重"):
        return "weight"
    if k in ("指标性质",):
        return "op"
    if k in ("度量单位", "计量单位"):
        return "measure"
    return None


# --- metadata labels ---------------------------------------------------------------------------

# The project's name.
NAME_LABELS = (
    "项目名称",
    "转移(项目)名称",
    "转移支付(项目)名称",
    "转移支付名称",
    "项目(转移支付)名称",
)
# The reporting unit, by priority: the unit that carries the project out or spends the money
# before the unit the budget is filed under; a 主管部门 is never the unit.
UNIT_LABELS = (
    "项目实施单位",
    "实施单位",
    "资金使用单位",
    "执行单位",
    "项目单位",
    "单位名称",
    "部门(单位)名称",  # the 部门整体支出绩效自评表 (湖南 附件7)
    "预算单位名称",
    "预算单位",
    "评价部门名称",
    "部门名称",
    "填报单位",
    "申报单位",
)
UNIT_PRIORITY = {label: rank for rank, label in enumerate(UNIT_LABELS)}
PARENT_LABELS = (
    "地方主管部门",
    "项目主管单位",
    "项目主管部门",
    "主管部门",
    "主管单位",
    "预算部门",
)
# Labels that sit on the forms beside the ones above and end their values.
OTHER_LABELS = (
    "项目编码",
    "项目代码",
    "项目金额",
    "项目负责人",
    "联系电话",
    "项目类型",
    "项目类别",
    "项目属性",
    "预算科目",
    "填报日期",
    "中央主管部门",
    "下属单位个数",
    "自评总分",
    "自评得分",
    "项目资金来源",
    "项目年度目标",
    "项目基本情况",
)

# 一级 indicator words of the project forms.
LEVEL1_WORDS = frozenset(
    {
        "产出指标",
        "效益指标",
        "满意度指标",
        "成本指标",
        "投入指标",
        "过程指标",
        "影响指标",
        "项目产出",
        "项目效益",
        # 项目支出绩效目标申报表 (四川): 一级 labels printed as 项目完成 / 项目效益 + 指标
        "项目完成指标",
        "项目产出指标",
        "项目效益指标",
    }
)
LEVEL2 = re.compile(r"^[\u4e00-\u9fff]{0,8}(?:数量|质量|时效|成本|效益|影响|满意度)指标$")


def is_level1(key: str) -> bool:
    return key in LEVEL1_WORDS


@lru_cache(maxsize=ROLE_CACHE_SIZE)
def is_level2(key: str) -> bool:
    return key[-2:] == "指标" and bool(LEVEL2.match(key)) and key not in LEVEL1_WORDS


# Words a glued line (a document site's text with no separators at all) is cut at. Longest first
# when compiled, so 全年预算数 wins over 预算数.
GLUED_WORDS = (
    *NAME_LABELS,
    *UNIT_LABELS,
    *PARENT_LABELS,
    *OTHER_LABELS,
    "年度资金总额",
    "资金总额",
    "项目资金",
    "年初预算数",
    "全年预算数",
    "调整预算数",
    "调整后预算数",
    "全年执行数",
    "预算执行数",
    "预算数",
    "执行数",
    "执行率",
    "分值",
    "得分",
    "自评分",
    "复核分",
    "权重",
    "其中",
    "年度总体目标",
    "总体目标",
    "预期目标",
    "实际完成情况",
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "年初目标值",
    "实际完成值",
    "全年完成值",
    "全年实际值",
    "年终完成值",
    "偏差原因分析",
    "偏差及原因分析",
    "未完成原因分析",
    "评价标准及依据",
    *LEVEL1_WORDS,
    "数量指标",
    "质量指标",
    "时效指标",
    "成本指标",
    "经济效益指标",
    "社会效益指标",
    "生态效益指标",
    "可持续影响指标",
    "服务对象满意度指标",
    "满意度指标",
    "评分等级",
    "自评等级",
    "总分",
    "合计",
    "年度预算申请",
    "按收入性质分",
    "按支出性质分",
    "基本支出",
    "项目支出",
    "整体支出规模",
    "分解目标自评",
    # Titles, so that a glued title is one cell and not cut at 项目支出.
    "项目支出绩效自评表",
    "项目绩效自评表",
    "部门整体支出绩效自评表",
    "整体支出绩效自评表",
    "项目支出绩效目标自评表",
    "绩效目标自评表",
    "项目支出绩效目标申报表",
    "绩效目标申报表",
)


# Labels that open a part of a form or name a value; a line that is one of them is never the
# wrapped rest of the cell above it.
SECTION_LABELS = (
    *NAME_LABELS,
    *UNIT_LABELS,
    *PARENT_LABELS,
    *OTHER_LABELS,
    "项目资金",
    "年度资金总额",
    "资金总额",
    "其中",
    "上年结转",
    "其他资金",
    "当年财政拨款",
    "财政拨款",
    "年度总体目标",
    "总体目标",
    "一级指标",
    "评分等级",
    "自评等级",
    "评价等级",
    "绩效等级",
)
_SECTION_START = tuple(sorted(set(SECTION_LABELS), key=len, reverse=True))
_TITLE = re.compile(r"绩效(?:自评|目标|评价|自我评价)")
MAX_SECTION_LABEL_CHARS = 30


def is_section_label(key: str) -> bool:
    """A label that opens a part of a form (项目名称, 年度资金总额, 一级指标, 评分等级 …) or a
    form's title, by its key."""
    k = key.rstrip(":：")
    if k in ("总分", "合计", "总计", "总分值"):
        return True
    if len(k) > MAX_SECTION_LABEL_CHARS:
        return False
    return k.startswith(_SECTION_START) or bool("绩效" in k and _TITLE.search(k))
