#!/bin/bash
# layering.sh - the engine (src/) never uses curses or the screens; only
# screens/ includes curses.  TAP.
. "$top_srcdir/tests/lib/tap.sh"
cd "$top_srcdir" || bail "no source dir"

curses='#include *[<"](n?curses|ncursesw/[a-z]+|panel|menu|form|term)\.h'
hits=$(grep -lE "$curses" src/*.c src/*.h 2>/dev/null)
check "src/ includes no curses header" test -z "$hits"
[ -n "$hits" ] && diag "$hits"

hits=$(grep -lE '#include *"(ui|keys|draw|scr[a-z_]*)\.h"' src/*.c src/*.h 2>/dev/null)
check "src/ includes nothing from screens/" test -z "$hits"

hits=$(grep -lE '\b(initscr|newwin|wrefresh|doupdate|endwin)\b' src/*.c 2>/dev/null)
check "src/ calls no curses function" test -z "$hits"

check "screens/ does the drawing" grep -qE "$curses" screens/*.c
done_testing
