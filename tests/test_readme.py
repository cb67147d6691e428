"""The README runs as written, from a fresh install (issue 12.5).

Every ```python block and every line of a ```bash block that starts with ``evcore `` is run, in
file order, in one temporary folder (so a block may use a file an earlier block wrote with
evcore): python blocks in a subprocess with this interpreter, command lines as
``python -m evcore ...`` through :func:`shlex.split` (no shell). A block is skipped only by the
marker ``<!-- skip-test ... -->`` on the line before its opening fence (for blocks that need
outside files, a cluster, or take minutes); lines of a bash block that do not start with
``evcore `` (``pip``, ``pytest``, ``python benchmarks/...``) are never run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import evcore

README = Path(__file__).resolve().parents[1] / "README.md"
SKIP_MARKER = re.compile(r"^<!--\s*skip-test\b.*-->\s*$")
FENCE = re.compile(r"^```(\w*)\s*$")
# A command line is run without a shell: shell syntax in it would be passed on as arguments.
SHELL_SYNTAX = ("&&", "||", "|", ";", ">", "<", "$(", "`")
TIMEOUT_S = 120  # per snippet; each finishes in a few seconds on a quiet machine


def snippets(text: str) -> list[tuple[str, int, str]]:
    """``(kind, line, code)`` for every snippet the test runs, in file order.

    ``kind`` is ``"python"`` (a whole block) or ``"evcore"`` (one command line of a bash block,
    with ``\\`` continuations joined); ``line`` is the 1-based README line where it starts.
    """
    lines = text.splitlines()
    out, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        language, start = match.group(1), i
        end = start + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        if end == len(lines):
            raise AssertionError(f"README.md:{start + 1}: code block without its closing fence")
        skipped = start > 0 and SKIP_MARKER.match(lines[start - 1].strip())
        body = lines[start + 1:end]
        if not skipped and language == "python":
            out.append(("python", start + 2, "\n".join(body) + "\n"))
        elif not skipped and language == "bash":
            k = 0
            while k < len(body):
                first, command = k, body[k]
                while command.rstrip().endswith("\\") and k + 1 < len(body):
                    k += 1
                    command = command.rstrip()[:-1] + " " + body[k].strip()
                if command.startswith("evcore "):
                    out.append(("evcore", start + 2 + first, command))
                k += 1
        i = end + 1
    return out


def _env() -> dict:
    """This process's environment, with the evcore under test first on the path of the subprocesses."""
    env = dict(os.environ)
    root = str(Path(evcore.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _argv(kind: str, code: str) -> list[str]:
    if kind == "python":
        return [sys.executable, "-c", code]
    words = shlex.split(code, comments=True)
    bad = [w for w in words if any(s in w for s in SHELL_SYNTAX)]
    assert not bad, f"shell syntax {bad} in a README command; the test runs commands without a shell"
    assert words[0] == "evcore"
    return [sys.executable, "-m", "evcore", *words[1:]]


def test_snippet_extraction_finds_code_and_honours_the_skip_marker():
    text = ("```python\nx = 1\n```\n<!-- skip-test: needs a file -->\n```python\nraise SystemExit(1)\n```\n"
            "```bash\npip install .\nevcore --version   # a comment\nevcore queue mmc -c 2 \\\n"
            "    --arrival-rate 1 --service-rate 1\npython benchmarks/bench_x.py\n```\n"
            "<!-- skip-test -->\n```bash\nevcore grid pf my.dss\n```\n")
    assert snippets(text) == [("python", 2, "x = 1\n"), ("evcore", 10, "evcore --version   # a comment"),
                              ("evcore", 11, "evcore queue mmc -c 2  --arrival-rate 1 --service-rate 1")]
    assert _argv("evcore", "evcore --version   # a comment")[-1] == "--version"
    with pytest.raises(AssertionError, match="closing fence"):
        snippets("```python\nx = 1\n")


def test_readme_keeps_the_two_commands_on_top_and_names_no_checkout_files():
    text = README.read_text(encoding="utf-8")
    top = text[: text.index("## ")]
    assert "pip install . && evcore demo" in top
    assert 'pip install -e ".[test]" && pytest' in top
    assert "shared/data" not in text, "README examples must not rely on the project's reference-data folder"


def test_scripts_the_readme_names_exist():
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"\b((?:benchmarks|examples)/[\w.-]+\.py)\b", text))
    assert any(n.startswith("benchmarks/") for n in named)
    missing = sorted(n for n in named if not (README.parent / n).is_file())
    assert not missing, f"README names scripts that do not exist: {missing}"


def test_every_readme_snippet_runs_in_an_empty_folder(tmp_path):
    found = snippets(README.read_text(encoding="utf-8"))
    kinds = {kind for kind, _, _ in found}
    assert len(found) > 0 and kinds == {"python", "evcore"}, "the README test would test nothing"
    env, failures, ran = _env(), [], 0
    for kind, line, code in found:
        try:
            done = subprocess.run(_argv(kind, code), cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            failures.append(f"README.md:{line} ({kind}): no answer within {TIMEOUT_S} s")
            continue
        ran += 1
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            failures.append(f"README.md:{line} ({kind}) exited {done.returncode}:\n{code.strip()}\n--- stderr:\n{tail}")
    print(f"README snippets executed: {ran} ({sum(k == 'python' for k, _, _ in found)} python blocks, "
          f"{sum(k == 'evcore' for k, _, _ in found)} command lines)")
    assert not failures, "\n\n".join(failures)
    assert ran == len(found) > 0
