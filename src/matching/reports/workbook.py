"""The targets report as an Excel workbook with Chinese headers: 任务完成情况 (the region's
figures), 任务分解表 (each town's figures and what is left to do) and 图表 (native Excel charts:
push ratio and success rate by town against the target lines, and the region's last twelve
months)."""

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from matching.regions.registry import get_registry
from matching.reports.schemas import Figure, MonthPoint, RegionFigures, TargetsReport

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


# The absolute tasks beside the shares in the town table (RegionTasks).
_TASKS = (
    ("pushes_needed", "本月还需推送人次"),
    ("seekers_not_reached", "本月未推送求职人数"),
    ("missing_recommendations", "岗位推荐不足3次人数"),
    ("missing_guidance", "缺职业指导人数"),
    ("missing_training_info", "缺培训信息人数"),
)
_PERCENT = "0.0%"


def targets_workbook(report: TargetsReport, trend: list[MonthPoint] | None = None) -> bytes:
    """Sheet 1: the region's figures; sheet 2: one row per child region (the town table) with
    its tasks; sheet 3: the charts (the twelve-month one only with a `trend`)."""
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
    top = ["区划代码", "区划名称", *(name for _, name in _TASKS)]
    for f in figures:
        top += [f"{f.name_zh} ({_unit(f)})", "目标", "达标"]
    top += ["达标项数", "未达标项数"]
    town.append(top)
    for cell in town[1]:
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for region in [report, *report.children]:
        row: list[object] = [region.region, region.region_name]
        row += [getattr(region.tasks, key) for key, _ in _TASKS]
        for f in region.figures:
            row += [_shown(f, f.value), _shown(f, f.target), _MET[f.met]]
        row += [region.met, region.not_met]
        town.append(row)
        first = 3 + len(_TASKS)
        for i, f in enumerate(region.figures):
            _colour(town.cell(row=town.max_row, column=first + 3 * i + 2), f.met)
    town.freeze_panes = "C2"
    _widths(town, [14, 30] + [12] * len(_TASKS) + [14, 8, 8] * len(figures) + [10, 10])
    _landscape(town, pages_tall=0)  # printed as wide as one page, as many pages as it needs
    charts = book.create_sheet("图表")
    _charts(charts, report, trend)
    _landscape(charts, pages_tall=1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _landscape(sheet: Worksheet, *, pages_tall: int) -> None:
    """Print landscape, one page wide (pages_tall 0: as many pages down as needed)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, pages_tall


def _colour(cell: object, met: bool | None) -> None:
    if met is not None:
        cell.fill = _GREEN if met else _RED  # type: ignore[attr-defined]


def _widths(sheet: object, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width  # type: ignore[attr-defined]


def _figure(region: RegionFigures, key: str) -> Figure:
    return next(f for f in region.figures if f.key == key)


def _charts(sheet: Worksheet, report: TargetsReport, trend: list[MonthPoint] | None) -> None:
    """Each chart's data as a small table on the sheet (a chart refers to cells), the chart
    beside it: towns' push ratio and success rate as bars against their targets as lines."""
    towns = report.children or [report]
    sheet.append([f"{report.region_name} {report.month} 各地推送比例与推荐成功率"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["区划代码", "区划名称", "推送比例", "推送目标", "推荐成功率", "成功率目标"])
    for cell in sheet[2]:
        cell.font = _BOLD
    registry = get_registry()
    for town in towns:
        push, success = _figure(town, "push_ratio"), _figure(town, "success_rate")
        region = registry.get(town.region)
        name = region.name if region and region.name else town.region_name  # 南大膳镇
        sheet.append([town.region, name, push.value, push.target, success.value, success.target])
    last_town = sheet.max_row
    for row in sheet.iter_rows(min_row=3, max_row=last_town, min_col=3, max_col=6):
        for cell in row:
            cell.number_format = _PERCENT
    names = Reference(sheet, min_col=2, min_row=3, max_row=last_town)
    sheet.add_chart(_bars_and_target(sheet, names, 3, last_town, "推送比例（推送人次 / U）"), "H2")
    sheet.add_chart(_bars_and_target(sheet, names, 5, last_town, "推荐成功率"), "H20")
    _widths(sheet, [12, 16, 12, 12, 12, 12, 12])
    if not trend:
        return
    top = last_town + 3
    sheet.cell(row=top, column=1, value=f"{report.region_name} 近{len(trend)}个月").font = Font(
        bold=True, size=14
    )
    header = ["月份", "推送比例", "推送目标", "推荐成功率", "成功率目标", "U", "推送人次"]
    for column, title in enumerate(header, start=1):
        sheet.cell(row=top + 1, column=column, value=title).font = _BOLD
    for offset, point in enumerate(trend, start=top + 2):
        values = [point.month, point.push_ratio, point.push_target, point.success_rate,
                  point.success_target, point.unemployed_willing, point.pushes]  # fmt: skip
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=offset, column=column, value=value)
            if 2 <= column <= 5:
                cell.number_format = _PERCENT
    last = top + 1 + len(trend)
    chart = LineChart()
    chart.title = f"近{len(trend)}个月推送比例与推荐成功率"
    chart.y_axis.title, chart.y_axis.number_format = "比例", "0%"
    chart.y_axis.majorGridlines = ChartLines()
    chart.add_data(
        Reference(sheet, min_col=2, max_col=5, min_row=top + 1, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=top + 2, max_row=last))
    for series in chart.series:
        series.smooth = False  # monthly figures: straight segments, no invented curve
    for series in chart.series[1::2]:  # the targets: dashed
        series.graphicalProperties.line.dashStyle = "dash"
    chart.height, chart.width = 8, 18
    sheet.add_chart(chart, "H38")


def _bars_and_target(
    sheet: Worksheet, names: Reference, column: int, last_row: int, title: str
) -> BarChart:
    """The figure per town as bars, its target per town as a line on the same axis."""
    bars = BarChart()
    bars.title = title
    bars.y_axis.number_format = "0%"
    bars.y_axis.majorGridlines = ChartLines()
    bars.add_data(
        Reference(sheet, min_col=column, min_row=2, max_row=last_row), titles_from_data=True
    )
    bars.set_categories(names)
    target = LineChart()
    target.add_data(
        Reference(sheet, min_col=column + 1, min_row=2, max_row=last_row), titles_from_data=True
    )
    target.series[0].graphicalProperties.line.solidFill = "C00000"
    target.series[0].graphicalProperties.line.dashStyle = "dash"
    bars += target
    bars.height, bars.width = 8, 18
    return bars
