"""Config conventions: expect lines, discovery for `altledger verify`, and how
a TLC result is judged against a cfg's expectation (no TLC run needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from altledger.reference.errors import InputFileError
from altledger.tla.checks import checks, config_files, judge, module_of
from altledger.tla.config import parse_config
from altledger.tla.tlc_output import Outcome, TlcResult

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_expect_lines(tmp_path):
    assert parse_config(write(tmp_path, "A.x.cfg", "INIT Init\n")).expect.violation is None
    cfg = parse_config(write(tmp_path, "A.y.cfg", "\\* note\n\\*  expect:  violation NeverFull \nINIT I\n"))
    assert cfg.expect.violation == "NeverFull" and cfg.expect.line == 2
    assert parse_config(write(tmp_path, "A.z.cfg", "\\* expect: success\n")).expect.violation is None


@pytest.mark.parametrize("line", ["\\* expect: violation", "\\* expect: failure X",
                                  "\\* expect: violation A B", "\\* expect: violation 9x"])
def test_malformed_expect_lines_name_file_and_line(tmp_path, line):
    path = write(tmp_path, "A.bad.cfg", f"INIT Init\n{line}\n")
    with pytest.raises(InputFileError) as info:
        parse_config(path)
    assert info.value.location == f"{path}:2"


def test_a_config_that_is_not_utf8_names_the_byte(tmp_path):
    path = tmp_path / "A.bad.cfg"
    path.write_bytes(b"INIT Init\n\\* b\xf9nds\n")
    with pytest.raises(InputFileError, match="not UTF-8: invalid start byte at byte 14"):
        parse_config(path)


def test_two_expect_lines_are_refused(tmp_path):
    path = write(tmp_path, "A.two.cfg", "\\* expect: success\n\\* expect: violation X\n")
    with pytest.raises(InputFileError, match="second expect line"):
        parse_config(path)


def test_names_read_from_a_cfg(tmp_path):
    cfg = parse_config(write(tmp_path, "A.n.cfg", """
CONSTANTS N = 3  \\* a comment naming PROPERTY Fake
    S <- Def
(* INVARIANT Hidden *)
SPECIFICATION Spec
INVARIANTS TypeOK
    Safety
PROPERTY Live
"""))
    assert cfg.invariants == ["TypeOK", "Safety"] and cfg.properties == ["Live"]
    assert cfg.constants == ["N", "S"]


def test_discovery_skips_deep_configs(tmp_path):
    for name in ("M.ci.cfg", "M.deep.cfg", "M.broken.cfg", "M.tla", "N.cfg"):
        write(tmp_path, name, "")
    assert [p.name for p in config_files(tmp_path)] == ["M.broken.cfg", "M.ci.cfg", "N.cfg"]
    assert module_of(tmp_path / "M.ci.cfg") == tmp_path / "M.tla"


def test_verify_lists_one_check_per_repository_config():
    names = {c.name for c in checks() if c.group == "tlc"}
    expected = {p.name.removesuffix(".cfg") for p in (REPO / "tla").glob("*.cfg")
                if not p.name.endswith(".deep.cfg")}
    assert names == expected
    assert {"Demo.ci", "Demo.broken"} <= names and "Demo.deep" not in names
    assert (REPO / "tla" / "Demo.deep.cfg").is_file()


def result(outcome: str, violated: str | None = None, **kw) -> TlcResult:
    return TlcResult(outcome=outcome, violated=violated, exit_code=0, **kw)


def test_judging_success_expectations(tmp_path):
    cfg = write(tmp_path, "M.ci.cfg", "INIT Init\n")
    ok = judge(cfg, result(Outcome.SUCCESS, distinct=85, depth=9))
    assert ok.passed and ok.figure == "85 distinct states, depth 9"
    bad = judge(cfg, result(Outcome.INVARIANT, "Safety"))
    assert not bad.passed and "invariant Safety is violated" in bad.detail


def test_judging_negative_controls(tmp_path):
    cfg = write(tmp_path, "M.broken.cfg", "\\* expect: violation NeverFull\nINIT Init\n")
    good = judge(cfg, result(Outcome.INVARIANT, "NeverFull"))
    assert good.passed and good.figure == "violation of NeverFull found (expected)"
    assert not judge(cfg, result(Outcome.INVARIANT, "Other")).passed
    missed = judge(cfg, result(Outcome.SUCCESS, distinct=10, depth=2))
    assert not missed.passed and "found no error" in missed.detail
    assert not judge(cfg, result(Outcome.PARSE_ERROR)).passed
    unnamed = judge(cfg, result(Outcome.PROPERTY, None))
    assert not unnamed.passed and "single PROPERTY" in unnamed.detail
