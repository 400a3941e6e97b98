"""Mutated input files through the commands that read them (``conformance.input_fuzz``): each gives a
result or a typed ``error:`` line, never a traceback; replays keep §11; reference and fast order a
mutated DAG alike.  ``altledger fuzz inputs`` runs the same machine for longer.

One file per example (the machine's rules keep no state between files), so that a failure shrinks
one file, in seconds, instead of a long sequence of them; twenty times the profile's example count
(1,200 files under ``ci``, about 20 s).
"""

from hypothesis import settings

from altledger.conformance.input_fuzz import InputFileMachine

TestInputFiles = InputFileMachine.TestCase
TestInputFiles.settings = settings(settings.default, stateful_step_count=1,
                                   max_examples=20 * settings.default.max_examples)


def test_fuzz_inputs_reports_an_injected_fast_bug(monkeypatch):
    """``altledger fuzz inputs`` with a fast ``abft order`` that gets the order wrong whenever the
    file's coin_period is not the seed DAG's 4 (as one that ignored the parameter might): a mutation
    changes it, the command finds the difference, exits 1 and prints the reproduction."""
    from click.testing import CliRunner

    from altledger.conformance.fuzz import fuzz_command
    from altledger.reference.abft import backends

    fast = backends.get_backend("fast")
    right = fast.consensus_output

    def coin_period_blind(dag):
        output = right(dag)
        if dag.coin_period != 4:
            output = {**output, "order": output["order"][::-1]}
        return output
    monkeypatch.setattr(fast, "consensus_output", coin_period_blind)
    result = CliRunner().invoke(fuzz_command, ["inputs", "--minutes", "2", "--shrink-seconds", "5"])
    assert result.exit_code == 1, result.output
    assert "inputs: FAILURE FOUND" in result.output and "reference and fast differ" in result.output
    assert "@reproduce_failure(" in result.output


def test_a_failure_to_write_the_seed_files_is_shown_again_when_retried(monkeypatch, tmp_path):
    """``fuzz all`` once reported ``FileExistsError: …/seeds``: writing the seed files had failed
    (the process had imported a module that a later one no longer matched), and the retry of the
    uncached call tripped over the folder the first try had made, hiding the real failure."""
    from altledger.conformance import input_fuzz
    monkeypatch.setattr(input_fuzz, "scratch_folder", lambda: tmp_path)
    input_fuzz.seed_files.cache_clear()
    try:
        (tmp_path / "seeds").mkdir()                     # left by a failed first try
        files = input_fuzz.seed_files()
        assert all(path.is_file() for path in files.values())
    finally:
        input_fuzz.seed_files.cache_clear()
