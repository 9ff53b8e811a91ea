"""The constant POSIX sh scripts behind the built-in actions and path guard.

They target a minimal Linux host: /proc, a POSIX sh, and coreutils or
busybox; no Python. Each is run as ``sh -c SCRIPT sh ARG...``: parameter
values arrive as positional arguments (``"$1"``), always double-quoted, and
are never pasted into the script text.

Readings are printed in sections headed ``==ssop:NAME==`` so one parser
(``readings.py``) reads the combined crawl and the single get actions alike.
"""

from __future__ import annotations

from collections.abc import Sequence

# $1 = exact process name. Skips PID 1, this shell and every ancestor (sudo,
# the login shell, the sshd session), so ssop never kills its own session.
KILL_SCRIPT = r"""name=$1
skip=" 1 $$ "
p=$$
while [ "$p" -gt 1 ]; do
  pp=
  while read -r key val; do
    if [ "$key" = PPid: ]; then pp=$val; break; fi
  done 2>/dev/null < "/proc/$p/status"
  [ -n "$pp" ] || break
  skip="$skip$pp "
  p=$pp
done
n=0
for d in /proc/[0-9]*; do
  pid=${d#/proc/}
  case $skip in *" $pid "*) continue ;; esac
  IFS= read -r comm 2>/dev/null < "$d/comm" || continue
  [ "$comm" = "$name" ] || continue
  kill -s TERM "$pid" 2>/dev/null && n=$((n + 1))
done
echo "killed $n process(es) named $name"
[ "$n" -gt 0 ]
"""

# $1 = days, then the roots. -P: never follow symlinks; -xdev: stay on each
# root's file system; -delete: GNU find unlinks relative to the directory it
# walked, so a directory swapped for a symlink meanwhile is not followed.
# -delete implies -depth, which disables -prune: exclusions are by -path.
_CLEANUP_HEAD = r"""days=$1
shift
total=0
for root in "$@"; do
  if [ -L "$root" ] || [ ! -d "$root" ]; then continue; fi
  n=$(find -P "$root" -xdev -type f -mtime +"$days" """

_CLEANUP_TAIL = r""" -delete -print | wc -l)
  total=$((total + n))
done
echo "deleted $total file(s) older than $days day(s) under $*"
"""

# systemd-private-* holds the PrivateTmp of running services.
CLEANUP_TEMP_SCRIPT = (
    _CLEANUP_HEAD + r"""! -path '*/systemd-private-*'""" + _CLEANUP_TAIL
)

# Only rotated files: compressed, numbered, .old or dateext; never a live log
# (so not "*.0.log": Xorg.0.log is live) and never the journal, which
# journald rotates itself.
CLEANUP_LOGS_SCRIPT = (
    _CLEANUP_HEAD
    + r"""! -path '*/journal/*' \( -name '*.gz' -o -name '*.xz' """
    + r"""-o -name '*.bz2' -o -name '*.zst' -o -name '*.old' """
    + r"""-o -name '*.[0-9]' -o -name '*.[0-9][0-9]' """
    + r"""-o -name '*-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' \)"""
    + _CLEANUP_TAIL
)

# The exit status when CONFINE_SCRIPT refuses (the shell's "found, not run").
CONFINE_REFUSED = 126

# $1 = a path, then the allowed roots, then "--" and the command. The host
# resolves both sides (readlink -f follows every symlink) and runs the
# command only if the path leads to a root or below one, never to "/". A
# user who can write under a root may still swap a component after this
# check, so cleanup commands should not follow symlinks themselves either.
CONFINE_SCRIPT = (
    r"""target=$1
shift
real=$(readlink -f "$target" 2>/dev/null) || real=
[ "$real" = / ] && real=
ok=
while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
  root=$(readlink -f "$1" 2>/dev/null) || root=
  shift
  [ -n "$real" ] && [ -n "$root" ] || continue
  case $real in "$root" | "$root"/*) ok=1 ;; esac
done
shift
if [ -z "$ok" ]; then
  echo "refused: $target leads to ${real:-nowhere}, outside the cleanup roots" >&2
  exit """
    + str(CONFINE_REFUSED)
    + """
fi
exec "$@"
"""
)

# The drop zone by source address: runtime now, permanent for the next reload.
BLOCK_SCRIPT = r"""firewall-cmd --quiet --zone=drop --add-source="$1" &&
firewall-cmd --quiet --permanent --zone=drop --add-source="$1" &&
echo "blocked $1 (firewalld drop zone, runtime and permanent)"
"""

UNBLOCK_SCRIPT = r"""firewall-cmd --quiet --zone=drop --remove-source="$1" &&
firewall-cmd --quiet --permanent --zone=drop --remove-source="$1" &&
echo "unblocked $1 (firewalld drop zone, runtime and permanent)"
"""

REBOOT_SCRIPT = r"""if command -v systemctl >/dev/null 2>&1; then
  exec systemctl reboot
fi
exec reboot
"""

# Failed SSH logins since the previous crawl, counted per source address on
# the host so the output stays small. Arguments: $1 the marker the previous
# crawl printed ("-" for none), $2 seconds to look back when there is none
# (0: count nothing, only print a marker), $3 journald's run folder, then the
# log files to try where there is no journal. Prints "@MARKER" (j:CURSOR or
# f:INODE:SIZE), then "COUNT ADDRESS" lines, busiest first.
# Only sshd's own message starts are counted, and the address is the one
# before the last "port N": a user name is attacker-chosen text and comes
# earlier in the line, so it cannot name another address.
_AUTH_AWK = r"""/^-- (cursor|marker): / {
  mark = (substr($0, 4, 1) == "c" ? "j:" : "") substr($0, 12); next
}
file {
  if ($0 !~ / sshd(-session)?\[[0-9]+\]: /) next
  $0 = substr($0, index($0, "]: ") + 3)
}
count && /^(Failed |Invalid user |Connection closed by authenticating user )/ {
  a = ""
  for (i = NF - 1; i > 1; i--)
    if ($i == "port" && $(i + 1) ~ /^[0-9]+$/) { a = $(i - 1); break }
  if (a ~ /^[0-9A-Fa-f:.]+$/ && length(a) <= 45) n[a]++
}
END { print "@" mark; for (a in n) print n[a], a }"""

AUTH_FAILURES_SECTION = (
    "(a='"
    + _AUTH_AWK
    + r"""'
m=$1 back=$2 jdir=$3
shift 3
case $m in
  j:*|f:*) count=1 ;;
  *) m= count=0; if [ "$back" -gt 0 ] 2>/dev/null; then count=1; fi ;;
esac
if command -v journalctl >/dev/null 2>&1 && [ -d "$jdir" ]; then
  case $m in
    j:*) from="--after-cursor=${m#j:}" ;;
    *) if [ "$count" = 1 ]; then from="--since=@$(($(date +%s) - back))"
       else from="--lines=1"; fi ;;
  esac
  journalctl --quiet --no-pager --output=cat --show-cursor \
    -t sshd -t sshd-session "$from" 2>/dev/null |
    awk -v count="$count" -v file=0 "$a"
else
  f=
  for c in "$@"; do if [ -r "$c" ]; then f=$c; break; fi; done
  if [ -z "$f" ]; then echo '!unavailable'; exit 0; fi
  set -- $(stat -L -c '%i %s' "$f" 2>/dev/null)
  ino=${1:-0} size=${2:-0} off=
  case $m in "f:$ino:"*) off=${m##*:} ;; f:*) off=0 ;; esac
  case $off in *[!0-9]*) off=0 ;; esac
  if [ -n "$off" ] && [ "$off" -gt "$size" ]; then off=0; fi
  { if [ -n "$off" ]; then tail -c +$((off + 1)) "$f" | head -c $((size - off))
    elif [ "$count" = 1 ]; then tail -n 2000 "$f"; fi
    echo "-- marker: f:$ino:$size"
  } | awk -v count="$count" -v file=1 "$a"
fi) | { IFS= read -r first; echo "$first"; sort -rn | head -n 100; }"""
)

TERMINAL_SECTION = "procs"
DF_TIMEOUT_S = 10
SECTIONS: dict[str, str] = {
    "format": "echo 1",
    # read/echo are builtins: one-line files cost no fork.
    "loadavg": 'read -r l < /proc/loadavg && echo "$l"',
    "uptime": 'read -r l < /proc/uptime && echo "$l"',
    "stat": "grep '^cpu' /proc/stat",
    "meminfo": "cat /proc/meminfo",
    "pagesize": "getconf PAGESIZE 2>/dev/null || echo 4096",
    "failed": (
        "if command -v systemctl >/dev/null 2>&1 &&"
        " systemctl list-units --state=failed --no-legend --plain --no-pager"
        " 2>/dev/null; then :; else echo '!unavailable'; fi"
    ),
    # A hung network mount hangs df: it gets DF_TIMEOUT_S. When df fails,
    # the section ends with "!failed STATUS" (124: it was stopped).
    "df": (
        "if command -v timeout >/dev/null 2>&1;"
        f" then timeout {DF_TIMEOUT_S} df -kP 2>/dev/null;"
        ' else df -kP 2>/dev/null; fi || echo "!failed $?"'
    ),
    "auth": AUTH_FAILURES_SECTION,
    # Raw, parsed by ssop: cheaper for the host than reducing it with awk.
    # Any user can name a process "\n==ssop:df==\n" (comm holds 15 bytes), so
    # procs is always printed last and the parser honours no header after it.
    TERMINAL_SECTION: "cat /proc/[0-9]*/stat 2>/dev/null",
}
RESAMPLE = "==ssop:resample=="
END = "==ssop:end=="
# Fractional sleep is not POSIX; busybox and coreutils both take it.
PAUSE = "sleep 0.2 2>/dev/null || sleep 1"
# Tool output (df's header, number formats) must not depend on the locale.
_C_LOCALE = "LC_ALL=C; export LC_ALL"


def header(name: str) -> str:
    return f"==ssop:{name}=="


def sections_script(*names: str) -> str:
    """A script printing the named sections, each under its header, then END."""
    if TERMINAL_SECTION in names[:-1]:
        raise ValueError(f"{TERMINAL_SECTION} must be the last section")
    lines = [f"echo '{header(n)}'; {SECTIONS[n]}" for n in names]
    return "\n".join([_C_LOCALE, *lines, f"echo '{END}'"]) + "\n"


def two_sample_script(*names: str, second: Sequence[str] = ()) -> str:
    """Two samples of the named sections ~0.2 s apart, for rates (CPU %);
    ``second``, when given, names the second sample's sections instead (a
    reading that needs no rate, such as the failed logins, is read once)."""
    first = "\n".join(
        [_C_LOCALE, *(f"echo '{header(n)}'; {SECTIONS[n]}" for n in names)]
    )
    resample = f"\n{PAUSE}\necho '{RESAMPLE}'\n"
    return first + resample + sections_script(*(second or names))
