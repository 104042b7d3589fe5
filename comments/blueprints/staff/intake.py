"""Back-office views: intake."""
