"""The scope-then-resolve conversation: platform-neutral and free of I/O."""
