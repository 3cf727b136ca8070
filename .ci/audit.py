"""Audit the locked dependencies for known vulnerabilities; fail on any not accepted with a reason.

Usage: python .ci/audit.py requirements.lock .ci/audit-ignore

pip-audit reads PyPI's advisory data. An advisory we accept goes in the ignore file, one per line,
`ID  reason` (a line without a reason is an error). Packages the advisory service cannot answer for
are listed as not audited (the check cannot see them), never passed off as clean.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def accepted(path: Path) -> dict[str, str]:
    reasons = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        ident, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{path}:{number}: {ident} is accepted without a reason")
        reasons[ident] = reason.strip()
    return reasons


def main(lock: str, ignore: str) -> int:
    reasons = accepted(Path(ignore))
    run = subprocess.run(
        [Path(sys.executable).with_name("pip-audit"), "--disable-pip", "--require-hashes", "-r", lock,
         "--format", "json", "--progress-spinner", "off"],
        capture_output=True, text=True,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout, run.stderr, sep="\n")
        return 1
    found, unaudited = [], []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            unaudited.append(f"{dep['name']} {dep.get('version', '')}".strip())
        for vuln in dep.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            if not any(i in reasons for i in ids):
                found.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions']) or 'nothing yet'})")
    for ident, reason in reasons.items():
        print(f"accepted {ident}: {reason}")
    if unaudited:
        print(f"not audited ({len(unaudited)}: the advisory service had no data for them): {', '.join(unaudited)}")
    if found:
        print("known vulnerabilities:\n  " + "\n  ".join(found))
        return 1
    audited = len(report.get("dependencies", [])) - len(unaudited)
    print(f"{audited} locked packages audited, no known vulnerability left without a reason")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
