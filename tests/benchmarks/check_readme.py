"""Runs the README's commands as a new user would: in a fresh clone of this repository (its committed HEAD)
and a fresh virtual environment, every shell block of the Quick start (the installs included), the notebook,
the `datasets` snippet, "Text without links", the HTML-dump extraction, and the commands of "Japanese
Wikipedia, end to end" on the real dev dump and its langlinks, copied under the names the README gives them
(YYYYMMDD read as a date). Prints each command with its exit status and wall seconds (and its output when it
fails), then how many ran.

    python tests/benchmarks/check_readme.py [--tests] [--keep]

``--tests`` also runs the test suite as the Quick start says (minutes; the clone has no ../shared beside it,
so the tests that read it skip). Needs network access or a package index for the installs, and
../shared/data beside the checkout. tests/test_readme.py runs the cheap commands in the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
DATE = "20991231"


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.S | re.M)


def block_with(text: str, lang: str, part: str) -> str:
    (found,) = [b for b in blocks(text, lang) if part in b]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", action="store_true", help="also run the test suite as the Quick start says")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="leia-readme-"))
    clone, venv = root / "leia", root / "venv"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    readme = (clone / "README.md").read_text(encoding="utf-8")
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(venv),
           "MPLBACKEND": "Agg", "HF_HUB_OFFLINE": "1"}
    env.pop("PYTHONPATH", None)
    ran, failed = 0, []

    def run(command: str, what: str) -> None:
        nonlocal ran
        start = time.monotonic()
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], cwd=clone, env=env,
                                capture_output=True, text=True)
        ran += 1
        print(f"[{result.returncode}] {time.monotonic() - start:7.1f} s  {what}: {command.strip()}", flush=True)
        if result.returncode != 0:
            failed.append(what)
            print((result.stdout + result.stderr)[-3000:], flush=True)

    shell = blocks(readme, "bash")
    run(shell[0], "Quick start")
    tests = shell[1]
    run(tests if args.tests else tests.split(" && ")[0], "the tests" if args.tests else "the test install")
    run(block_with(readme, "bash", "jupyter execute"), "the notebook")
    run(f"python - <<'EOF'\n{block_with(readme, 'python', 'datasets.load_dataset')}EOF", "the datasets snippet")
    run(block_with(readme, "bash", "leia mentions build"), "Text without links")
    for command in re.findall(r"`(leia extract data/\S+ -o \S+)`", readme):
        run(command, "the HTML dump of the sample")

    # Japanese Wikipedia, end to end, on the dev dump under the README's file names.
    dump, langlinks = f"jawiki-{DATE}-pages-articles-multistream.xml.bz2", f"jawiki-{DATE}-langlinks.sql.gz"
    shutil.copyfile(SHARED / "jawiki-country-dev.xml.bz2", clone / dump)
    shutil.copyfile(SHARED / "jawiki-country-dev-langlinks.sql.gz", clone / langlinks)
    end_to_end = block_with(readme, "bash", "leia entities --pages").replace("YYYYMMDD", DATE)
    run(end_to_end, "Japanese Wikipedia, end to end (the dev dump)")
    (all_at_once,) = re.findall(r"`(leia run --dump \.\.\. --langlinks \.\.\. [^`]+)`", readme)
    run(all_at_once.replace("--dump ...", f"--dump {dump}").replace("--langlinks ...", f"--langlinks {langlinks}"),
        "all three at once (the dev dump)")

    print(f"{ran} commands run, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    if args.keep:
        print(f"the clone: {clone}")
    else:
        shutil.rmtree(root)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
