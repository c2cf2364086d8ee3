"""The campaigns context: broadcasts, segments, flows (console.md §8-§9)."""
