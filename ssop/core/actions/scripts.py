"""The constant POSIX sh scripts behind the built-in actions.

They target a minimal Linux host: /proc, a POSIX sh and awk, coreutils or
busybox; no Python. Each is run as ``sh -c SCRIPT sh ARG...``: parameter
values arrive as positional arguments (``"$1"``), always double-quoted, and
are never pasted into the script text.

Readings are printed in sections headed ``==ssop:NAME==`` so one parser
(``readings.py``) reads the combined crawl and the single get actions alike.
"""

from __future__ import annotations

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

# Process lines: "pid starttime utime stime rss_pages comm". comm may hold
# spaces and parentheses, so it is cut at the last ')' and printed last;
# numbers are copied as text because some awks print big numbers as 1e+09.
_PROCS_AWK = r"""{
  l = $0; o = index(l, "("); c = length(l)
  while (c > 0 && substr(l, c, 1) != ")") c--
  if (o < 2 || c <= o) next
  n = split(substr(l, c + 2), f, " ")
  if (n < 22) next
  print substr(l, 1, o - 2), f[20], f[12], f[13], f[22], substr(l, o + 1, c - o - 1)
}"""

SECTIONS: dict[str, str] = {
    "format": "echo 1",
    "loadavg": "cat /proc/loadavg",
    "uptime": "cat /proc/uptime",
    "stat": "grep '^cpu' /proc/stat",
    "meminfo": "cat /proc/meminfo",
    "pagesize": "getconf PAGESIZE 2>/dev/null || echo 4096",
    "procs": "cat /proc/[0-9]*/stat 2>/dev/null | awk '" + _PROCS_AWK + "'",
    "failed": (
        "if command -v systemctl >/dev/null 2>&1 &&"
        " systemctl list-units --state=failed --no-legend --plain --no-pager"
        " 2>/dev/null; then :; else echo '!unavailable'; fi"
    ),
    # Last on purpose: a mount point is the one text a local user controls
    # that could hold a line looking like a section header; the parser keeps
    # the first of each section, so a fake one here cannot replace a real one.
    "df": (
        "if command -v timeout >/dev/null 2>&1; then timeout 10 df -kP 2>/dev/null;"
        " else df -kP 2>/dev/null; fi"
    ),
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
    lines = [f"echo '{header(n)}'; {SECTIONS[n]}" for n in names]
    return "\n".join([_C_LOCALE, *lines, f"echo '{END}'"]) + "\n"


def two_sample_script(*names: str) -> str:
    """Two samples of the named sections ~0.2 s apart, for rates (CPU %)."""
    first = "\n".join(
        [_C_LOCALE, *(f"echo '{header(n)}'; {SECTIONS[n]}" for n in names)]
    )
    return first + f"\n{PAUSE}\necho '{RESAMPLE}'\n" + sections_script(*names)
