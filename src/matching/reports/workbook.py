"""The targets report as an Excel workbook with Chinese headers (任务完成情况 / 任务分解表)."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from matching.reports.schemas import Figure, TargetsReport

_MET = {True: "达标", False: "未达标", None: "—"}
_GREEN = PatternFill("solid", fgColor="C6EFCE")
_RED = PatternFill("solid", fgColor="FFC7CE")
_BOLD = Font(bold=True)


def _shown(figure: Figure, value: float | None) -> float | str:
    if value is None:
        return "—"
    return round(value * 100, 2) if figure.unit == "ratio" else round(value, 2)


def _unit(figure: Figure) -> str:
    return {"ratio": "%", "count": "个/人/户", "yuan": "元"}[figure.unit]


def targets_workbook(report: TargetsReport) -> bytes:
    """Sheet 1: the region's figures; sheet 2: one row per child region (the town table)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "任务完成情况"
    sheet.append([f"{report.region_name}（{report.region}）就业扶贫任务完成情况 {report.month}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"统计截至 {report.as_of}；达标 {report.met} 项，未达标 {report.not_met} 项"])
    sheet.append([])
    headers = [
        "指标",
        "Figure",
        "单位",
        "完成值",
        "分子",
        "分母",
        "目标",
        "比较",
        "目标来源",
        "是否达标",
    ]
    sheet.append(headers)
    for cell in sheet[4]:
        cell.font = _BOLD
    for f in report.figures:
        sheet.append(
            [
                f.name_zh,
                f.name_en,
                _unit(f),
                _shown(f, f.value),
                f.numerator if f.numerator is not None else "—",
                f.denominator if f.denominator is not None else "—",
                _shown(f, f.target),
                f.comparison if f.comparison != "reported" else "仅统计",
                f.target_set_by or ("上年同期" if f.key == "mean_wage" else "政策默认"),
                _MET[f.met],
            ]
        )
        _colour(sheet.cell(row=sheet.max_row, column=len(headers)), f.met)
    sheet.append([])
    for note in report.notes:
        sheet.append([note])
    _widths(sheet, [34, 44, 10, 12, 12, 12, 12, 8, 14, 10])

    town = book.create_sheet("任务分解表")
    figures = report.figures
    top = ["区划代码", "区划名称"]
    for f in figures:
        top += [f"{f.name_zh} ({_unit(f)})", "目标", "达标"]
    top += ["达标项数", "未达标项数"]
    town.append(top)
    for cell in town[1]:
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for region in [report, *report.children]:
        row: list[object] = [region.region, region.region_name]
        for f in region.figures:
            row += [_shown(f, f.value), _shown(f, f.target), _MET[f.met]]
        row += [region.met, region.not_met]
        town.append(row)
        for i, f in enumerate(region.figures):
            _colour(town.cell(row=town.max_row, column=3 + 3 * i + 2), f.met)
    town.freeze_panes = "C2"
    _widths(town, [14, 30] + [14, 8, 8] * len(figures) + [10, 10])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _colour(cell: object, met: bool | None) -> None:
    if met is not None:
        cell.fill = _GREEN if met else _RED  # type: ignore[attr-defined]


def _widths(sheet: object, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width  # type: ignore[attr-defined]
