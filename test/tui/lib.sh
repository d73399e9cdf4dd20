# Helpers for the console tests (tmux-driven), on top of the integration
# tests' lib.sh.  Each console runs in a tmux server of its own; every
# screen captured is kept in $T/screens, so a test can look through all of
# them at the end (no passphrase may ever be on one).
. "$(dirname "$0")/../integration/lib.sh"

if ! command -v tmux >/dev/null; then
	echo "SKIP: tmux is not installed"
	exit 77
fi
tty_begin tui
mkdir -p "$T/screens"
shots=0

# console ARGS...: a fresh 80x24 terminal running `keyrite ARGS`, then
# "EXIT=status"; $CONSOLE_ENV (NAME=VALUE ...) is its environment's.
# With ALTSCREEN_OFF set, tmux has no alternate screen: what the console
# leaves on the terminal stays in the pane.
console() {
	tm_reap "$sock"
	tm kill-server >/dev/null 2>&1 || true
	n=$((n + 1))
	sock="$tty_tag-$n"
	cmd="cd '$SRCDIR' && ${CONSOLE_ENV:-} '$KEYRITE' $*; echo EXIT=\$?; \
	    sleep 60"
	if [ -n "${ALTSCREEN_OFF:-}" ]; then
		tm start-server \; set-option -g alternate-screen off \; \
		    new-session -d -x "${COLS_:-80}" -y "${ROWS_:-24}" "$cmd"
	else
		tm new-session -d -x "${COLS_:-80}" -y "${ROWS_:-24}" "$cmd"
	fi
}

# snap: the screen now, kept in $T/pane and among the screens.
snap() {
	tm capture-pane -p > "$T/pane" 2>/dev/null || true
	shots=$((shots + 1))
	cp "$T/pane" "$T/screens/$shots"
}

# see TEXT [SECS]: until the screen shows TEXT (grep -E), 15 s at most,
# and has stopped changing: two captures 0.1 s apart alike.  A console
# slowed by the sanitizers may be caught halfway through drawing a
# screen (its header there, its rows not yet), and a test reads the rows
# of $T/pane right after see.
see() {
	i=0
	while [ "$i" -lt "$((${2:-15} * 10))" ]; do
		snap
		if grep -Eq -- "$1" "$T/pane"; then
			cp "$T/pane" "$T/pane.seen"
			sleep 0.1
			snap
			cmp -s "$T/pane" "$T/pane.seen" &&
			    grep -Eq -- "$1" "$T/pane" && return 0
		else
			sleep 0.1
		fi
		i=$((i + 1))
	done
	echo "# the screen never showed: $1"
	sed 's/^/#   | /' "$T/pane"
	return 1
}

# keys KEY...: tmux send-keys (KEY names as tmux has them).
keys() { tm send-keys "$@"; }
# typed TEXT: the text as typed, then Enter.
typed() { tm send-keys -l "$1"; tm send-keys Enter; }

# The keyrite process in the terminal (a child of its shell).
console_pid() {
	pgrep -P "$(tm list-panes -F '#{pane_pid}' | head -n 1)" -x keyrite
}

# has TEXT: the screen shows TEXT, however the box wrapped it (its lines
# joined, box sides and runs of blanks taken out).
has() {
	sed 's/[│|]//g' "$T/pane" | tr '\n' ' ' | tr -s ' ' | grep -qF -- "$1"
}

# secret TEXT: a passphrase typed at a field that draws nothing: its
# first half, the screen captured then (listed in $T/partials), the rest,
# and Enter.  Every secret typed is kept in $T/typed for no_secrets.
secret() {
	printf '%s\n' "$1" >> "$T/typed"
	half=$((${#1} / 2))
	tm send-keys -l "$(printf '%s' "$1" | cut -c "1-$half")"
	sleep 0.3
	snap
	echo "$shots" >> "$T/partials"
	tm send-keys -l "$(printf '%s' "$1" | cut -c "$((half + 1))-")"
	tm send-keys Enter
}

# no_secrets: no screen captured holds 6 characters in a row of a secret
# typed, and none captured while one was half typed holds a '*'.
no_secrets() {
	[ -s "$T/typed" ] && [ -s "$T/partials" ] || return 1
	python3 - "$T/screens" "$T/typed" "$T/partials" <<'PY'
import os, sys
d, typed, parts = sys.argv[1:]
secrets = [l.rstrip("\n") for l in open(typed)]
partial = set(l.strip() for l in open(parts))
bad = 0
for name in sorted(os.listdir(d), key=int):
    text = open(os.path.join(d, name), errors="replace").read()
    for s in secrets:
        hit = [s[i:i + 6] for i in range(len(s) - 5) if s[i:i + 6] in text]
        if hit:
            print("# screen %s holds %r of a passphrase" % (name, hit[0]))
            bad = 1
    if name in partial and "*" in text:
        print("# screen %s (a passphrase half typed) holds a '*'" % name)
        bad = 1
sys.exit(bad)
PY
}
