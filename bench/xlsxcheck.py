"""Read an .xlsx back without loading it: stream the first worksheet's XML through
expat, count <row> elements, and keep the first rows' and the last row's values
(shared strings resolved by streaming sharedStrings.xml only as far as needed)."""
import posixpath
import re
import zipfile
import xml.etree.ElementTree as ET

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _first_sheet_path(zf):
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    sheet = wb.find(f"{NS_MAIN}sheets/{NS_MAIN}sheet")
    rid = sheet.get(f"{NS_REL}id")
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.findall(f"{NS_PKG_REL}Relationship"):
        if rel.get("Id") == rid:
            target = rel.get("Target")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    raise ValueError("first sheet not found")


def _shared_strings(zf, needed):
    """The shared strings with index < needed (streamed)."""
    out = []
    if needed <= 0 or "xl/sharedStrings.xml" not in zf.namelist():
        return out
    with zf.open("xl/sharedStrings.xml") as fh:
        for _, el in ET.iterparse(fh, events=("end",)):
            if el.tag == f"{NS_MAIN}si":
                out.append("".join(t.text or "" for t in el.iter(f"{NS_MAIN}t")))
                el.clear()
                if len(out) >= needed:
                    break
    return out


def check(path, keep_rows=3):
    """{'rows': n, 'first_rows': [[...], ...], 'last_row': [...], 'sheet': name}.

    The sheet XML is streamed through expat (a validating, non-building parser: a
    malformed or truncated sheet raises), counting <row> elements and keeping the
    text of each cell of the first rows and of the last one.
    """
    import pyexpat

    with zipfile.ZipFile(path) as zf:
        sheet = _first_sheet_path(zf)
        # Cells are kept for the first rows and for the last one (known from
        # <dimension ref="A1:G123"/>; without it, every row is kept in turn).
        st = {"rows": 0, "last_r": None, "cap": False, "row": None, "cell": None}
        first, last = [], [None]

        def start(name, attrs):
            if name == "row":
                st["rows"] += 1
                cap = st["rows"] <= keep_rows or st["last_r"] is None or attrs.get("r") == st["last_r"]
                st["cap"] = cap
                if cap:
                    st["row"] = []
                    if st["rows"] <= keep_rows:
                        first.append(st["row"])
                    last[0] = st["row"]
            elif st["cap"] and name == "c":
                st["cell"] = {"t": attrs.get("t"), "text": []}
                st["row"].append(st["cell"])
            elif name == "dimension":
                m = re.search(r"(\d+)$", attrs.get("ref", ""))
                st["last_r"] = m.group(1) if m else None

        def chars(data):  # in sheetData, text only occurs in <v> and <is><t>
            if st["cap"] and st["cell"] is not None:
                st["cell"]["text"].append(data)

        parser = pyexpat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.CharacterDataHandler = chars
        with zf.open(sheet) as fh:  # reading to the end checks the zip CRC too
            parser.ParseFile(fh)
        last = last[0] if st["rows"] else None
        state = st

        def raw(row):
            out = []
            for c in row:
                text = "".join(c["text"])
                out.append(("ref", int(text)) if c["t"] == "s" else ("v", text))
            return out

        first_raw = [raw(r) for r in first]
        last_raw = raw(last) if last is not None else None
        refs = [v for row in first_raw + [last_raw or []] for kind, v in row if kind == "ref"]
        strings = _shared_strings(zf, (max(refs) + 1) if refs else 0)

        def resolve(row):
            return [strings[v] if kind == "ref" else v for kind, v in row]

        return {"sheet": sheet, "rows": state["rows"], "first_rows": [resolve(r) for r in first_raw],
                "last_row": resolve(last_raw) if last_raw is not None else None}


def count_rows_fast(path):
    """Byte-level cross-check: count '<row ' / '<row>' tags in the sheet XML."""
    pat = re.compile(rb"<row[ >]")
    with zipfile.ZipFile(path) as zf:
        sheet = _first_sheet_path(zf)
        n, tail = 0, b""
        with zf.open(sheet) as fh:
            while True:
                data = fh.read(1 << 22)
                if not data:
                    break
                buf = tail + data
                n += len(pat.findall(buf))
                # a tag split across reads is completed by the next read; a counted
                # tag (5 bytes) cannot lie wholly inside the 4 kept bytes
                tail = buf[-4:]
        return n
