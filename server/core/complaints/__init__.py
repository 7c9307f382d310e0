"""The complaint lifecycle: transition table, actions that write, routing, visibility, deadlines."""
