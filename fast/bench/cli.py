"""``altledger bench``: one sub-command per area, imported only when used.

To add a benchmark, write a click command in its own module (use
:mod:`altledger.fast.bench.timing` for measuring and printing) and add one
line to :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import importlib

import click

# name -> (module, attribute, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "crypto": ("altledger.fast.bench.crypto", "crypto_bench",
               "Ed25519 and BLS (py_ecc vs blst): verify, sign, aggregate."),
    "abft": ("altledger.fast.bench.abft", "abft_bench", "Hashgraph: events ordered per second, reference vs fast."),
    "twopc": ("altledger.fast.bench.twopc", "twopc_bench",
              "Two-phase commit round schedule: transfers/s, reference vs fast with 1 and 2 workers."),
}


class _LazyBenchGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in SUBCOMMANDS:
            return None
        module, attribute, _ = SUBCOMMANDS[name]
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUBCOMMANDS[name][2]) for name in self.list_commands(ctx)])


@click.group("bench", cls=_LazyBenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
def bench_command() -> None:
    """Benchmarks: reference vs fast implementations (median of several runs)."""
