"""Text normalisation for skill terms: canonical keys, filler stripping and list splitting."""

import re
import unicodedata

# Answers that mean "no skill", and words too generic to stand for any one entry (a work
# arrangement such as 打零工 is not a trade, and would otherwise fuzz onto 打桩工).
NULL_TERMS = frozenset(
    {
        *("", "无", "没有", "暂无", "无技能", "无特长", "没有技能", "没技能", "不会", "无证", "否"),
        *("略", "空", "其他", "其它", "未知", "不详", "none", "null", "nil", "na", "nan"),
        *("师傅", "工人", "务工", "打工", "干活", "体力活", "上班", "技术", "技能", "经验"),
        *("服务", "工作", "劳务", "普通劳动力", "农民工", "零工", "打零工", "临时工", "散工"),
    }
)
_NEGATION = re.compile(r"^(不会|不懂|没有|没学过|没干过|不熟悉|不熟|无任何)")
_DURATION = re.compile(r"[0-9一二三四五六七八九十两几多半]+个?[年月](以上|左右|多)?")
# Longest alternatives first: the regex engine takes the first one that matches.
_PREFIX = re.compile(
    r"^(会做|会|能做|能|懂得|懂|熟练掌握|熟练|熟悉|精通|擅长|掌握|从事过|从事|做过|干过|当过|学过|"
    r"具有|具备|持有|持|取得|获得|考取|考过|有|曾经|曾|以前|在|做|干|当|搞|一点|一些|简单|基本|"
    r"初级|中级|高级)"
)
# 证/证书 is deliberately absent: 叉车 and 叉车证 are different entries. 手工/工艺 go because
# they are generic heads: 刺绣手工 is embroidery, not outsourced handwork.
_SUFFIX = re.compile(
    r"(相关工作经验|工作经验|相关经验|经验|相关工作|工作|岗位|技术|技能|能手|老师傅|师傅|手艺|学徒|"
    r"手工艺|手工|工艺|技艺|相关|方面|行业|等|的|活|初级|中级|高级)$"
)
# A space ends a term after a CJK character ("电焊 叉车", "保洁 C1 驾照") but not after Latin
# ("C1 驾照", "forklift driver"), where it is part of one term.
_SEPARATORS = re.compile(r"[、,;/|+。\n\r\t]+|(?<=[^\x00-\x7f])\s+")


def canonical(text: str) -> str:
    """NFKC (full-width → half-width), lower-case, no punctuation; spaces kept only inside Latin."""
    s = unicodedata.normalize("NFKC", text).lower().replace("证书", "证")
    s = re.sub(r"[\W_]+", " ", s).strip()
    return re.sub(r" (?![a-z0-9])|(?<![a-z0-9]) ", "", s)


def negated(key: str) -> bool:
    """Whether a canonical term says the person lacks the skill (不会电焊, 没有证)."""
    return _NEGATION.match(key) is not None


def strip_fillers(key: str) -> str:
    """Drop experience, proficiency and politeness wording around the trade in a canonical term."""
    s = _DURATION.sub("", key) or key
    for _ in range(8):
        t = _SUFFIX.sub("", _PREFIX.sub("", s, count=1), count=1)
        if t == s or not t:
            break
        s = t
    return s


def split_terms(text: str) -> list[str]:
    """Split one clerk string ("电焊、叉车，月嫂/保洁") into its non-empty terms."""
    parts = _SEPARATORS.split(unicodedata.normalize("NFKC", text))
    return [p.strip() for p in parts if p.strip()]
