"""Running a config: the runner, the shared stages, the topic and tone kinds, apply and sweep."""
