"""Workbooks as other tools write them: openpyxl builds the rows, then the sheet's XML is
edited the way JavaScript (SheetJS), Go (excelize) or an ERP export would have written it."""
import io
import re
import zipfile

import openpyxl


def edit_sheet(data, edit):
    """Rewrite xl/worksheets/sheet1.xml of a real workbook (bytes) with ``edit(xml) -> xml``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = edit(content)
            dst.writestr(item, content)
    return out.getvalue()


def edit_sheet_xml(rows, edit):
    """A workbook of ``rows`` whose first sheet's XML (bytes) went through ``edit``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return edit_sheet(buf.getvalue(), edit)


def numeric_cells(rows, numbers):
    """A workbook of ``rows`` whose cells named in ``numbers`` (e.g. "A2") are numeric cells
    holding exactly that text in the XML."""
    def edit(data):
        for ref, text in numbers.items():
            data, n = re.subn(rf'<c r="{ref}"[^>]*>.*?</c>'.encode(), f'<c r="{ref}" t="n"><v>{text}</v></c>'.encode(),
                              data)
            assert n == 1, ref
        return data

    return edit_sheet_xml(rows, edit)


def whole_grid_dimension(rows):
    """A workbook of ``rows`` whose sheet claims the whole grid, as formatting whole columns
    makes Excel write (<dimension ref="A1:Z1048576"/>)."""
    def edit(data):
        data, n = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:Z1048576"/>', data)
        assert n == 1
        return data

    return edit_sheet_xml(rows, edit)
