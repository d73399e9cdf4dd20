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
console() {
	tm kill-server >/dev/null 2>&1 || true
	n=$((n + 1))
	sock="$tty_tag-$n"
	tm new-session -d -x "${COLS_:-80}" -y "${ROWS_:-24}" \
	    "cd '$SRCDIR' && ${CONSOLE_ENV:-} '$KEYRITE' $*; echo EXIT=\$?; \
	    sleep 60"
}

# snap: the screen now, kept in $T/pane and among the screens.
snap() {
	tm capture-pane -p > "$T/pane" 2>/dev/null || true
	shots=$((shots + 1))
	cp "$T/pane" "$T/screens/$shots"
}

# see TEXT [SECS]: until the screen shows TEXT (grep -E), 15 s at most.
see() {
	i=0
	while [ "$i" -lt "$((${2:-15} * 10))" ]; do
		snap
		grep -Eq -- "$1" "$T/pane" && return 0
		sleep 0.1
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
