#!/usr/bin/env python3
"""Check a dnsmasq_log run-mode stream: well-formed XML, every event
complete, data is JSON.  Prints the events' data, one per line, to stdout.
Usage: xmlcheck.py STREAM [--allow-unclosed]"""
import json, sys
import xml.etree.ElementTree as ET

# A kill can land inside a multi-byte character of the torn last event, so
# decode leniently here; the part kept below must still parse as XML.
text = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read()
if "--allow-unclosed" in sys.argv and not text.rstrip().endswith("</stream>"):
    # a SIGKILLed run never writes </stream>; drop a torn last event
    cut = text.rfind("</event>")
    text = (text[:cut + len("</event>")] if cut >= 0 else "<stream>") + "\n</stream>\n"
root = ET.fromstring(text)
assert root.tag == "stream", root.tag
for ev in root:
    assert ev.tag == "event" and ev.get("unbroken") == "1", ev.tag
    assert ev.find("done") is not None, "event without <done/>"
    t = float(ev.find("time").text)
    d = ev.find("data").text
    j = json.loads(d)
    assert abs(j["time"] - t) < 1, (j["time"], t)
    sys.stdout.write(d + "\n")
