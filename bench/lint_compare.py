#!/usr/bin/env python3
"""Helpers of bench/lint: squawk's input, and the comparison of its findings with migrationd's.

    lint_compare.py extract CORPUS OUT
        Writes OUT/<file>: each revision's PostgreSQL upgrade section (its own, else the common
        one) with every other line blanked, so that squawk's line numbers are the file's.
    lint_compare.py compare OFFLINE_SQL SQUAWK_JSON MIGRATIOND_JSON
        For every statement squawk flags with a lock or rewrite rule, whether migrationd has a
        finding on the same statement (statement starts come from `migctl upgrade --sql`, which
        writes `-- FILE:LINE` before each statement). Prints the counts and what differs.
"""

import collections
import json
import os
import re
import sys

# squawk's rules about locks and rewrites (the family the issue compares), as squawk 2 names
# them.
LOCK_RULES = {
    "require-concurrent-index-creation", "require-concurrent-index-deletion",
    "require-concurrent-reindex", "adding-field-with-default", "changing-column-type",
    "constraint-missing-not-valid", "adding-foreign-key-constraint",
    "disallowed-unique-constraint", "adding-serial-primary-key-field",
    "adding-not-nullable-field", "require-concurrent-partition-detach",
    "ban-alter-domain-with-add-constraint",
}


def extract(corpus, out):
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(corpus)):
        lines = open(os.path.join(corpus, name)).read().split("\n")
        sections = {}
        current = None
        for number, line in enumerate(lines):
            marker = re.match(r"^-- \+(upgrade|downgrade)(?: (\w+))?\s*$", line)
            if marker:
                current = (marker.group(1), marker.group(2) or "")
                sections.setdefault(current, [])
                continue
            if current:
                sections[current].append(number)
        keep = sections.get(("upgrade", "postgresql"), sections.get(("upgrade", ""), []))
        kept = set(keep)
        text = "\n".join(line if number in kept else "" for number, line in enumerate(lines))
        with open(os.path.join(out, name), "w") as f:
            f.write(text)


def compare(offline_sql, squawk_json, migrationd_json):
    starts = collections.defaultdict(list)  # file name -> statement start lines (1-based)
    for line in open(offline_sql):
        found = re.match(r"^-- (.+\.sql):(\d+)$", line.strip())
        if found:
            starts[os.path.basename(found.group(1))].append(int(found.group(2)))
    for lines in starts.values():
        lines.sort()

    def statement_of(name, line):
        candidates = [start for start in starts.get(name, []) if start <= line]
        return max(candidates) if candidates else None

    ours = collections.defaultdict(list)
    result = json.load(open(migrationd_json))["result"]
    for finding in result.get("lint", []):
        ours[(os.path.basename(finding["path"]), finding["line"])].append(finding["rule"])

    flagged = collections.defaultdict(set)
    for violation in json.load(open(squawk_json)):
        if violation["rule_name"] not in LOCK_RULES:
            continue
        name = os.path.basename(violation["file"])
        start = statement_of(name, violation["line"] + 1)
        flagged[(name, start)].add(violation["rule_name"])

    matched = [key for key in flagged if key in ours]
    missed = [key for key in flagged if key not in ours]
    print(f"squawk lock/rewrite findings: {len(flagged)} statement(s); "
          f"migrationd flags {len(matched)} of them")
    by_rule = collections.Counter(rule for key in missed for rule in flagged[key])
    for rule, count in by_rule.most_common():
        print(f"  not flagged by migrationd: {count} x {rule}")
    for key in sorted(missed)[:10]:
        print(f"    e.g. {key[0]}:{key[1]} ({', '.join(sorted(flagged[key]))})")
    errors = collections.Counter(f["rule"] for f in result.get("lint", [])
                                 if f["severity"] == "error" and not f.get("suppressed"))
    print("migrationd errors by rule: " +
          ", ".join(f"{count} {rule}" for rule, count in errors.most_common()))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "extract":
        extract(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "compare":
        compare(*sys.argv[2:])
    else:
        sys.exit(__doc__)
