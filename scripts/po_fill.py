"""Fill zh translations from a TSV (msgid<TAB>msgstr) into the zh catalog: `python scripts/po_fill.py FILE`.

Used after `make extract-messages` adds new msgids; prints what is still untranslated."""
import sys

from babel.messages.pofile import read_po, write_po

PO = "translations/zh/LC_MESSAGES/messages.po"


def main(path=None):
    with open(PO, "rb") as fh:
        catalog = read_po(fh)
    if path:
        with open(path, encoding="utf-8") as fh:
            pairs = dict(line.rstrip("\n").split("\t", 1) for line in fh if "\t" in line)
        for msg in catalog:
            if msg.id and msg.id in pairs:
                msg.string = pairs[msg.id]
                msg.flags.discard("fuzzy")
    with open(PO, "wb") as fh:
        write_po(fh, catalog, width=100, ignore_obsolete=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    print("untranslated:", missing)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
