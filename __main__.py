"""The ``altledger`` command line (also ``python -m altledger``).

The repository root is the ``altledger`` package, so this file is
``altledger.__main__``.  Sub-commands live beside the code they drive and are
imported only when used: ``altledger --help`` must not pay for Numba, z3 or
py_ecc start-up.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

# name -> (module, attribute, one-line help).  The help is repeated here so
# that listing the commands does not import them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "verify": ("altledger.conformance.verify", "verify_command",
               "Run every check the repository holds and print a summary table."),
    "tlc": ("altledger.tla.cli", "tlc_command",
            "Run the TLC model checker on a spec; validate traces against specs."),
    "crypto": ("altledger.reference.crypto.cli", "crypto_command",
               "Check the crypto layer against the external test vectors."),
    "twopc": ("altledger.reference.twopc.cli", "twopc_command",
              "Two-phase commit: simulate runs of cross-shard transactions."),
    "abft": ("altledger.reference.abft.cli", "abft_command",
             "Hashgraph aBFT: simulate gossip DAGs and compute consensus order."),
    "conformance": ("altledger.conformance.cli", "conformance_command",
                    "Generate conformance vectors and check a client against them."),
    "proofs": ("altledger.proofs.cli", "proofs_command",
               "Discharge the z3 proofs and their negative controls."),
    "bench": ("altledger.fast.bench.cli", "bench_command",
              "Benchmarks: reference vs fast implementations."),
    "fuzz": ("altledger.conformance.fuzz", "fuzz_command",
             "Long differential fuzzing runs (Hypothesis, reference vs fast)."),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (module, _, _) in COMMANDS.items() if _available(module))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(module: str) -> bool:
    """True when the module's file exists (commands arrive with their issues)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="altledger")
def cli() -> None:
    """altledger: the formal, executable core of a BFT ledger.

    Every protocol runs through the same chain: spec/ (normative prose), tla/
    (TLC-checked models), reference/ and fast/ (two implementations that must
    agree), conformance/ (language-neutral vectors), proofs/ (z3).
    """


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="altledger", standalone_mode=True)
    except SystemExit as stop:  # click exits; keep the code for callers
        return int(stop.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
