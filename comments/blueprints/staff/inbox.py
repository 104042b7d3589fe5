"""Back-office views: inbox."""
