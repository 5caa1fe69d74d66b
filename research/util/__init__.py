"""Low-level helpers below every stage: worker processes, hashing, GC pause, sizes, figure saving.

Nothing here imports a stage; a caller that needs a module warmed in a worker passes its name in."""
