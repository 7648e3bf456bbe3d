#!/usr/bin/env bash
# The panes rendered without tmux against golden screens (tests/ui/render.c).
exec "$TOP_BUILDDIR/tests/ui/render" "$TOP_SRCDIR/tests/ui/golden"
