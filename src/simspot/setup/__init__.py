"""From nothing to a running service: what the box has, what stands in the way, and the fixes.

``probe`` gathers the raw facts (a sysfs tree, the text ``iw``/``nmcli``/``ss`` print, D-Bus
answers) at the edge; ``detect`` turns them into a hardware summary with pure functions, so tests
run against a fake sysfs tree and ``iw`` text; ``checks`` are the doctor's checks over that
summary and a config; ``plan`` decides the config `simspot setup` writes, the conflicts it resolves
with consent, and renders the config file and the systemd unit.
"""
