"""The station roster format: Chinese headers and the words clerks write in the cells."""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook

from matching.downloads import XLSX
from matching.labourers.models import (
    Education,
    EmploymentStatus,
    LabourAbility,
    PovertyStatus,
    Relocation,
)

# Header → LabourerCreate field; the template has every column, only REQUIRED must be filled.
HEADERS: dict[str, str] = {
    "姓名": "name",
    "身份证号": "id_number",
    "联系电话": "phone",
    "户籍地区划代码": "hukou_region",
    "就业状态": "employment_status",
    "状态起始日期": "status_effective_from",
    "就业意愿": "wants_work",
    "外出意愿": "relocation",
    "技能": "skills",
    "期望月薪": "expected_wage",
    "劳动能力": "labour_ability",
    "贫困状态": "poverty_status",
    "现居住地区划代码": "residence_region",
    "户编号": "household_id",
    "文化程度": "education",
    "意向工种": "preferred_occupations",
    "三无人员": "sanwu",
    "两后生": "lianghousheng",
    "残疾": "disabled",
}
REQUIRED = ("姓名", "户籍地区划代码")
FLAG_FIELDS = {"wants_work", "sanwu", "lianghousheng", "disabled"}  # cells of 是 / 否
# A synthetic example (the ID number's check digit is valid, it belongs to nobody).
EXAMPLE = [
    "张三", "430981198506120039", "13807371234", "430981", "未就业", "2026-03-01", "是", "省外",
    "电焊、叉车", "4500", "有劳动能力", "建档立卡", "430981", "HH-0012", "初中", "电焊工",
    "否", "否", "否",
]  # fmt: skip

YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0", "×", ""}
DATE_FIELDS = {"status_effective_from"}
DATE_HELP = "2026-03-01、2026/3/1、2026.3.1、2026年3月1日 或 20260301；空白为导入当天"
UPDATE_HELP = (
    "导入时选 mode=update：按身份证号匹配，新身份证号新增人员；已登记人员只修改填写了且有变化的"
    "单元格，空白单元格不修改；就业状态变化记为从状态起始日期（空白为导入当天）开始的新状态"
)
_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$|^(\d{4})(\d{2})(\d{2})$"
)


def parse_date(raw: str) -> date | None:
    """A date as clerks write it (see DATE_HELP), or None when it is not one."""
    match = _DATE.match(raw.strip())
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups() if g is not None)
    try:
        return date(year, month, day)
    except ValueError:
        return None


WORDS: dict[str, dict[str, Any]] = {
    "employment_status": {
        "未就业": EmploymentStatus.unemployed, "失业": EmploymentStatus.unemployed,
        "县内就业": EmploymentStatus.employed_local, "本地就业": EmploymentStatus.employed_local,
        "就地就近就业": EmploymentStatus.employed_local,
        "县外省内就业": EmploymentStatus.employed_out_county,
        "省内县外就业": EmploymentStatus.employed_out_county,
        "省外就业": EmploymentStatus.employed_out_province,
        "公益性岗位": EmploymentStatus.public_welfare,
        "公益性岗位就业": EmploymentStatus.public_welfare,
        "自主创业": EmploymentStatus.self_employed, "灵活就业": EmploymentStatus.self_employed,
        "不求职": EmploymentStatus.not_seeking, "无就业意愿": EmploymentStatus.not_seeking,
    },
    "relocation": {
        "本乡镇": Relocation.township, "乡镇内": Relocation.township, "不外出": Relocation.township,
        "本县": Relocation.county, "县内": Relocation.county,
        "本市": Relocation.prefecture, "市内": Relocation.prefecture,
        "本省": Relocation.province, "省内": Relocation.province,
        "省外": Relocation.anywhere, "不限": Relocation.anywhere, "均可": Relocation.anywhere,
    },
    "labour_ability": {
        "有劳动能力": LabourAbility.full, "完全劳动能力": LabourAbility.full,
        "普通劳动力": LabourAbility.full, "技能劳动力": LabourAbility.full,
        "弱劳动力": LabourAbility.partial, "半劳动力": LabourAbility.partial,
        "部分劳动能力": LabourAbility.partial,
        "无劳动能力": LabourAbility.none, "丧失劳动力": LabourAbility.none,
    },
    "poverty_status": {
        "建档立卡": PovertyStatus.registered, "未脱贫": PovertyStatus.registered,
        "贫困户": PovertyStatus.registered,
        "已脱贫": PovertyStatus.exited, "脱贫户": PovertyStatus.exited,
        "监测对象": PovertyStatus.monitored, "边缘户": PovertyStatus.monitored,
    },
    "education": {
        "文盲": Education.none, "无": Education.none, "小学": Education.primary,
        "初中": Education.junior, "高中": Education.senior, "中专": Education.vocational,
        "技校": Education.vocational, "职高": Education.vocational, "大专": Education.college,
        "本科": Education.bachelor, "研究生": Education.bachelor,
    },
}  # fmt: skip


class RosterFormatError(ValueError):
    """The file as a whole cannot be read."""


def read_rows(content: bytes, filename: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Headers and (line number, cells) of an .xlsx or .csv roster."""
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    if filename.lower().endswith(".csv"):
        return _read_csv(content)
    raise RosterFormatError("the file must be .xlsx or .csv / 仅支持 .xlsx 或 .csv")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # a date cell; Excel has no date-only type
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 4500 as 4500.0
    return str(value).strip()


# A roster's budget, checked on the package before anything is parsed: an .xlsx is a zip, and
# a few KB can unpack to gigabytes of blank rows or declare a sheet of 16,384 columns.
MAX_ROWS = 100_000
MAX_COLUMNS = 64  # the template has fewer; columns past the header's last one are never read
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 200  # a real sheet compresses 5-20 times; blank-row bombs thousands of times
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]*[0-9]*(?::[A-Z]*([0-9]+))?"')


def _check_package(content: bytes) -> None:
    """Refuse an .xlsx whose package unpacks too far, compresses suspiciously well or whose
    sheets declare more rows than a roster may have — before openpyxl reads a byte of it."""
    try:
        package = zipfile.ZipFile(io.BytesIO(content))
        entries = package.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise RosterFormatError(f"not a readable .xlsx workbook: {exc}") from exc
    unpacked = sum(e.file_size for e in entries)
    if unpacked > MAX_UNPACKED_BYTES:
        raise RosterFormatError(
            f"the workbook unpacks to {unpacked // 2**20} MB; at most "
            f"{MAX_UNPACKED_BYTES // 2**20} MB / 文件解压后过大，请删除空白行后重新保存"
        )
    for entry in entries:
        if entry.file_size > 2**20 and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise RosterFormatError(
                f"{entry.filename} is mostly empty space ({entry.file_size // 2**20} MB from "
                f"{entry.compress_size // 1024} KB) / 文件含大量空白行，请删除后重新保存"
            )
        if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
            with package.open(entry) as sheet:
                head = sheet.read(4096)
            declared = _DIMENSION.search(head)
            if declared and declared.group(1) and int(declared.group(1)) > MAX_ROWS + 1:
                raise RosterFormatError(
                    f"the sheet declares {int(declared.group(1)):,} rows; at most {MAX_ROWS:,} "
                    "a file / 行数过多，请分成多个文件"
                )


def _read_xlsx(content: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    _check_package(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterFormatError(f"not a readable .xlsx workbook: {exc}") from exc
    sheet = book.worksheets[0]
    first = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    header = [_cell(v) for v in first]
    while header and not header[-1]:
        header.pop()  # trailing blank header cells: the columns end at the last named one
    width = max(len(header), 1)

    def body() -> Iterator[tuple[int, list[str]]]:
        rows = sheet.iter_rows(min_row=2, max_row=MAX_ROWS + 2, max_col=width, values_only=True)
        for line, row in enumerate(rows, start=2):
            yield line, [_cell(v) for v in row]

    return header, body()


def _read_csv(content: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK by default
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFormatError("the CSV is neither UTF-8 nor GBK / 无法识别的编码")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    return header, ((line, [c.strip() for c in row]) for line, row in enumerate(reader, start=2))


def template(kind: str) -> tuple[bytes, str]:
    """The roster template with one example row, as .xlsx or .csv, and its media type."""
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(list(HEADERS))
        writer.writerow(EXAMPLE)
        return out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "劳动力花名册"
    sheet.append(list(HEADERS))
    sheet.append(EXAMPLE)
    notes = book.create_sheet("填写说明")
    notes.append(["列", "可填写的值"])
    for header, field in HEADERS.items():
        words = "、".join(WORDS.get(field, {})) or ("是 / 否" if field in FLAG_FIELDS else "")
        words = DATE_HELP if field in DATE_FIELDS else words
        notes.append([header, words])
    notes.append([])
    notes.append(["每月更新", UPDATE_HELP])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), XLSX
