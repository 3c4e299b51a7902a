"""Where the CPU goes during a benchmark run: CPU seconds of Elasticsearch, RabbitMQ and the contender, read from
/proc, plus the contender's peak resident memory."""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _pids_where(predicate) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if predicate((entry / "comm").read_text().strip(), (entry / "cmdline").read_bytes()):
                    pids.append(int(entry.name))
            except OSError:  # gone meanwhile
                continue
    return pids


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, its threads included (fields 14 and 15 of /proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _idle_seconds() -> float:
    """Idle CPU time of the whole machine, all cores together."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return (int(fields[3]) + int(fields[4])) / TICKS


class CpuMeter:
    """Snapshots CPU seconds at construction; `stop()` returns what each party burnt since."""

    def __init__(self):
        self.groups = {
            "elasticsearch": _pids_where(lambda comm, cmd: comm == "java" and b"elasticsearch" in cmd),
            "rabbitmq": _pids_where(lambda comm, cmd: comm == "beam.smp"),
        }
        self.start = {name: self._group(name) for name in self.groups}
        self.start["idle"] = _idle_seconds()

    def watch(self, name: str, pid: int) -> None:
        self.groups[name] = [pid]
        self.start[name] = self._group(name)

    def _group(self, name: str) -> float:
        return sum(_cpu_seconds(pid) for pid in self.groups[name])

    def stop(self) -> dict[str, float]:
        spent = {name: self._group(name) - self.start[name] for name in self.groups}
        spent["idle"] = _idle_seconds() - self.start["idle"]
        return spent


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a running process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")
