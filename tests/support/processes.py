"""A process tree's CPU time and memory, read from /proc (Linux): the local stack is one process with its
Lambda containers as children."""

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessFigures:
    pid: int
    name: str
    cpu_seconds: float
    peak_rss_mb: float


def process_tree(pid: int) -> list[int]:
    found = [pid]
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in children:
            found += process_tree(int(child))
    return found


def figures(pid: int) -> ProcessFigures | None:
    """CPU time so far (user + system) and peak resident memory (VmHWM); None once it has exited."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    name = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return ProcessFigures(pid, name, (int(fields[11]) + int(fields[12])) / TICKS, peak_kb / 1024)


def tree_figures(pid: int) -> list[ProcessFigures]:
    return [found for child in process_tree(pid) if (found := figures(child)) is not None]
