"""`make verify`: prove a deployed stack works end to end, from its stack outputs alone."""
