#!/usr/bin/env python3
"""Run a command at a terminal (a pty) and answer keyrite's prompts as the
people in the room would: each custodian's passphrase ("passphrase of NAME,
long enough"), `y` to `Proceed? [y/N]`, and `yes` to a witness checkpoint.
Everything the terminal showed is copied to standard output; the exit
status is the command's.

Usage: pty_answer.py COMMAND [ARG...]

Each answer is typed a moment after its prompt is shown: keyrite flushes
what was typed ahead before it reads (it switches echo off, or says that
an answer typed before the question does not count).
"""
import os
import pty
import re
import select
import sys
import time

PROMPTS = [
    (re.compile(r"Custodian '([^']+)', choose the passphrase[^\n]*: $"),
     lambda m: "passphrase of %s, long enough" % m.group(1)),
    (re.compile(r"Custodian '([^']+)', enter it again: $"),
     lambda m: "passphrase of %s, long enough" % m.group(1)),
    (re.compile(r"Passphrase of custodian '([^']+)'[^\n]*: $"),
     lambda m: "passphrase of %s, long enough" % m.group(1)),
    (re.compile(r"Proceed\? \[y/N\] $"), lambda m: "y"),
    (re.compile(r"type yes if you saw this, or no: $"), lambda m: "yes"),
]
QUIET = 0.3      # seconds of no output before a prompt is answered
LIMIT = 1800     # seconds for the whole command


def main(argv):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    seen = ""
    start = time.monotonic()
    last_out = start
    while True:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            text = data.decode("utf-8", "replace")
            sys.stdout.write(text)
            sys.stdout.flush()
            seen = (seen + text)[-4096:]
            last_out = time.monotonic()
            continue
        if time.monotonic() - start > LIMIT:
            os.kill(pid, 9)
            print("\npty_answer: gave up after %d seconds" % LIMIT)
            break
        if time.monotonic() - last_out < QUIET:
            continue
        for rx, answer in PROMPTS:
            m = rx.search(seen)
            if m:
                os.write(fd, (answer(m) + "\n").encode())
                seen = ""
                break
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
