"""The polling reader: fetch other outlets' feeds safely, parse, decide, store as Articles."""
