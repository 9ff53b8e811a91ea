"""End a command on the host itself when its deadline passes, or when ssop asks.

ssop's own clock cannot stop a command on a server: OpenSSH honours a
signal request only for logins under privilege separation (not root's),
and closing the channel leaves a command that neither reads nor writes
running. So every SSH command runs under a small POSIX sh wrapper that:

- ends it a little before ssop stops waiting (``RemoteDeadline.within``):
  with GNU ``timeout --kill-after`` where the host has it, else a watchdog
  that sends TERM, then KILL, to the session's process group (sshd gives
  each session its own). Either way the exit status says so: 124 (TERM
  ended it) or 137 / a KILL signal;
- ends it when its stdin reaches EOF (``watch`` mode): the channel's stdin
  is kept open and never written, so ssop asks for an end by sending EOF
  (Ctrl-C), and a dropped connection or a closed channel (cap reached,
  ssop gone) ends it too. A command given stdin data (``feed`` mode)
  reads the channel itself and has only the deadline.

``wrap`` builds the wrapper as an argv; ``Command.as_shell`` quotes it, as
it quotes every command, in that one place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ssop.core.transport.base import Command

# $1 TERM after (s), $2 KILL after TERM (s), $3 watch|feed, then the argv.
# The command's process group is timeout's own (GNU timeout makes one), or
# else the session's, which the wrapper and its helpers share: they trap
# TERM to survive it, and only KILL takes them along.
WRAPPER_SCRIPT = r"""t=$1 k=$2 mode=$3
shift 3
exec 3<&0 </dev/null
if ! command -v "$1" >/dev/null 2>&1; then
  printf 'ssop: %s: command not found\n' "$1" >&2
  exit 127
fi
end_group() {
  kill -s TERM 0
  sleep "$k"
  kill -s KILL 0
}
if timeout --kill-after=1 1 true >/dev/null 2>&1 3<&-; then
  if [ "$mode" = feed ]; then
    timeout --kill-after="$k" "$t" "$@" <&3 3<&- &
  else
    timeout --kill-after="$k" "$t" "$@" 3<&- &
  fi
  pid=$!
  stop() { kill -s TERM "$pid"; }
else
  sleep 0.001 2>/dev/null || { t=${t%.*}; k=1; [ "$t" -gt 0 ] || t=1; }
  trap 'fired=1' TERM
  if [ "$mode" = feed ]; then "$@" <&3 3<&- & else "$@" 3<&- & fi
  pid=$!
  (
    trap 'kill "$s" 2>/dev/null; exit' HUP
    trap : TERM
    sleep "$t" & s=$!
    wait "$s" && { s=; end_group; }
  ) >/dev/null 2>&1 3<&- &
  dog=$!
  stop() { end_group; }
fi
if [ "$mode" = watch ]; then
  (
    trap : TERM
    while read -r _; do :; done <&3
    stop
  ) >/dev/null 2>&1 &
  watch=$!
fi
exec 3<&-
wait "$pid"
rc=$?
while [ "$rc" -gt 128 ] && kill -0 "$pid" 2>/dev/null; do
  wait "$pid"
  rc=$?
done
[ -z "${watch-}" ] || kill -s KILL "$watch" 2>/dev/null
[ -z "${dog-}" ] || kill -s HUP "$dog" 2>/dev/null
[ -z "${fired-}" ] || exit 124
exit "$rc"
"""

# Of the time left, the share the host keeps for ending the command and
# telling ssop (TERM, then KILL halfway through it): at least MIN_GRACE_S
# (but never more than half the time), at most MAX_GRACE_S.
GRACE_SHARE = 0.1
MIN_GRACE_S = 0.5
MAX_GRACE_S = 5.0
# An exit status the wrapper gives when its deadline ended the command:
# timeout's 124 (TERM) and 137 (KILL), or -1 when KILL took the wrapper too.
DEADLINE_STATUSES = frozenset({124, 137, -1})
_SHORTEST_S = 0.001  # timeout reads 0 as "no limit"


@dataclass(frozen=True)
class RemoteDeadline:
    """When the host ends a command: TERM after ``term_after`` seconds from
    ``sent_at`` (monotonic), KILL ``kill_after`` seconds later."""

    term_after: float
    kill_after: float
    sent_at: float

    @classmethod
    def within(cls, seconds: float) -> RemoteDeadline:
        """A deadline that has the host end the command within ``seconds``."""
        seconds = max(seconds, 0.0)
        grace = min(max(seconds * GRACE_SHARE, MIN_GRACE_S), seconds / 2, MAX_GRACE_S)
        term = max(seconds - grace, _SHORTEST_S)
        return cls(term, max(grace / 2, _SHORTEST_S), time.monotonic())

    def wrap(self, cmd: Command) -> Command:
        """``cmd`` under the wrapper: still an argv, quoted only by ``as_shell``."""
        mode = "feed" if cmd.stdin else "watch"
        argv = (
            "sh",
            "-c",
            WRAPPER_SCRIPT,
            "ssop-deadline",
            f"{self.term_after:.3f}",
            f"{self.kill_after:.3f}",
            mode,
            *cmd.argv,
        )
        return Command(argv, cmd.stdin, cmd.end_at_cap)

    def fired(self, exit_code: int, at: float) -> bool:
        """Whether an exit status seen at ``at`` (monotonic) says the host's
        deadline ended the command; a command exiting 124 by itself earlier
        is not mistaken for it."""
        return exit_code in DEADLINE_STATUSES and at - self.sent_at >= self.term_after
