// Anchors the precompiled header that the CLI, examples and benchmarks share.
