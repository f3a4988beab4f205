#!/usr/bin/python3
"""Regenerates test/fixtures/seed-put-response.xml with the real dicttoxml (Debian's python3-dicttoxml).

Development aid only, not run by the tests: `apt-get install python3-dicttoxml`, then
`/usr/bin/python3 scripts/dicttoxml-fixture.py`. The records are read from the JSON fixture with
json.load, which gives the Python values the original would hold (0.0 stays a float).
"""
import json
import logging
import pathlib

import dicttoxml

logging.getLogger("dicttoxml").setLevel(logging.WARNING)
fixtures = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures"
records = json.loads((fixtures / "seed-put-response.json").read_text())["records"]
xml = dicttoxml.dicttoxml({"res.partner": records}, root=False).decode("utf-8")
(fixtures / "seed-put-response.xml").write_text(xml)
print(f"wrote {len(xml)} characters")
