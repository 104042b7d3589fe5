"""Back-office views: consultations."""
