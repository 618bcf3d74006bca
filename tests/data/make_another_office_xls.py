"""How another-office.xls was made: an old-format (.xls) ledger as a county office keeps one.

xlsxwriter writes only .xlsx, so this one file is committed; regenerate it with xlwt
(pip install xlwt, outside the project) and `python tests/data/make_another_office_xls.py`.
"""

import datetime as dt
from pathlib import Path

import xlwt  # type: ignore[import-not-found]

ROWS = [
    ["2023年黑山县重点项目台账"],
    [
        "序号",
        "名称",
        "投资主体",
        "信用代码",
        "属地",
        "行业",
        "项目进度",
        "计划总投资（亿元）",
        "签约日期",
    ],
    [
        1,
        "黑山风电二期",
        "国家电投东北公司",
        "",
        "黑山县",
        "风电",
        "已签约",
        12.5,
        dt.date(2023, 3, 23),
    ],
    [
        2,
        "秸秆综合利用项目",
        "黑山绿源农业科技有限公司",
        "",
        "黑山",
        "农产品加工",
        "在谈",
        "8000万元",
        "",
    ],
]


def main() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("黑山县")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(ROWS):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value != "":
                sheet.write(r, c, value)
    book.save(str(Path(__file__).with_name("another-office.xls")))


if __name__ == "__main__":
    main()
