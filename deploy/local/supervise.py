"""Run a set of processes under supervisord in the foreground: the runner of `make run` and
of ``python -m deploy.local.districts up``.

A process that dies is restarted (at once if it had been up ``STARTSECS``, else after a
back-off growing by a second each try, up to ``STARTRETRIES`` tries), and the others keep
serving meanwhile; supervisord says so in one line ("exited: applications (terminated by
SIGKILL; not expected)", "spawned: ...", "success: ... entered RUNNING state"). Every process
writes to this terminal. SIGINT or SIGTERM stops them all (SIGTERM to each process group, as
Ctrl-C did under honcho) and ends the run. ``supervisorctl -c RUNTIME/supervisord.conf status``
shows the processes while it runs.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

STARTSECS = 5
STARTRETRIES = 10
STOPWAITSECS = 30


def _escape(value: str) -> str:
    # supervisord expands %(name)s in its values: a literal % (a URL's %3D) is doubled.
    return value.replace("%", "%%")


def _environment(env: Mapping[str, str]) -> str:
    quoted = ",".join(
        f'{key}="{_escape(value).replace(chr(34), chr(92) + chr(34))}"'
        for key, value in env.items()
    )
    return f"environment={quoted}\n" if quoted else ""


def write_config(programs: Mapping[str, tuple[str, Mapping[str, str]]], runtime: Path,
                 cwd: Path) -> Path:
    """supervisord.conf for ``programs`` (name -> (command line, environment added to the
    launcher's own)), with its socket and pid file under ``runtime``."""
    runtime.mkdir(parents=True, exist_ok=True)
    sections = [
        # In the foreground supervisord prints its log to stdout already: no second copy.
        "[supervisord]\nnodaemon=true\nlogfile=/dev/null\nlogfile_maxbytes=0\n"
        f"pidfile={runtime / 'supervisord.pid'}\nchildlogdir={runtime}\n",
        f"[unix_http_server]\nfile={runtime / 'supervisor.sock'}\n",
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n",
        f"[supervisorctl]\nserverurl=unix://{runtime / 'supervisor.sock'}\n",
    ]
    for name, (command, env) in programs.items():
        sections.append(
            f"[program:{name}]\ncommand={_escape(command)}\ndirectory={cwd}\n"
            f"autorestart=true\nstartsecs={STARTSECS}\nstartretries={STARTRETRIES}\n"
            f"stopsignal=TERM\nstopwaitsecs={STOPWAITSECS}\nstopasgroup=true\n"
            "killasgroup=true\nredirect_stderr=true\nstdout_logfile=/dev/stdout\n"
            f"stdout_logfile_maxbytes=0\n{_environment(env)}"
        )
    path = runtime / "supervisord.conf"
    path.write_text("\n".join(sections), encoding="utf-8")
    return path


def supervise(programs: Mapping[str, tuple[str, Mapping[str, str]]], runtime: Path,
              cwd: Path) -> int:
    """Run ``programs`` until SIGINT or SIGTERM; supervisord's exit status."""
    config = write_config(programs, runtime, cwd)
    # In the launcher's process group, so that a kill of the group takes supervisord too.
    daemon = subprocess.Popen([sys.executable, "-m", "supervisor.supervisord", "-c", str(config)],
                              cwd=cwd)

    def stop(_signum: int, _frame: object) -> None:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return daemon.wait()
