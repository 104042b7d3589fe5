"""The demo consultation of ``flask seed-demo``, built from the committee meeting in shared/seed/."""
