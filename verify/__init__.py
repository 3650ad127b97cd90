"""`make verify`: prove a deployed stack works end to end; and a local sandbox that runs the same chain."""
