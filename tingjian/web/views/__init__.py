"""Views of the agent UI, one module per page family; each parses, calls one service, renders."""
