"""The pages the browser tests must check: the public pages opened by URL, and what each demo account must
reach by links from where signing in lands it. The crawl (test_cycle_crawl.py) asserts them, and the check of
the committed results file (tests/unit/test_accessibility_results.py) asserts the file lists them.
"""

from __future__ import annotations

# Opened by URL in Japanese and English (test_accessibility.py); {slug} is the open demo consultation's.
STATIC_PAGES = {
    "list": "/",
    "consultation": "/consultations/{slug}",
    "comment-form": "/consultations/{slug}/comment",
    "accessibility": "/accessibility",
    "accessibility-results": "/accessibility/results",
    "not-found": "/consultations/no-such-consultation",
    "login": "/auth/login",
}

# Who walks the service: the public from the home page, each demo account from where signing in lands it.
WHO = [
    "public",
    "admin@example.jp",
    "jimukyoku@example.jp",
    "kenkohoken@example.jp",
    "kenkohoken-kacho@example.jp",
    "bukaicho@example.jp",
    "iin@example.jp",
]

# What each of them must reach by links (paths, as regular expressions).
MUST_REACH = {
    "public": [
        r"^/meetings$",
        r"^/meetings/\d+$",
        r"^/meetings/\d+/minutes$",
        r"^/accessibility$",
        r"^/accessibility/results$",
    ],
    "admin@example.jp": [r"^/admin/accounts$", r"^/admin/accounts/\d+$", r"^/admin/audit$", r"^/admin/service-status$"],
    "jimukyoku@example.jp": [
        r"^/staff/$",
        r"^/staff/consultations/\d+$",
        r"^/staff/consultations/\d+/inbox$",
        r"^/staff/consultations/\d+/items$",
        r"^/staff/meetings/\d+$",
        r"^/staff/meetings/\d+/agenda$",
        r"^/staff/meetings/\d+/attendance$",
        r"^/staff/meetings/\d+/minutes$",
        r"^/staff/meetings/\d+/minutes/edit$",
        r"^/staff/opinions/\d+$",
        r"^/staff/consultations/\d+/schedule$",
        r"^/staff/consultations/\d+/council-report$",
        r"^/auth/notifications$",
    ],
    "kenkohoken@example.jp": [r"^/staff/queue$", r"^/staff/items/\d+/response$"],
    "kenkohoken-kacho@example.jp": [r"^/staff/queue$", r"^/staff/items/\d+/response$"],
    "bukaicho@example.jp": [
        r"^/committee/$",
        r"^/committee/meetings/\d+$",
        r"^/committee/meetings/\d+/minutes$",
        r"^/committee/consultations/\d+/council-report$",
        r"^/auth/notifications$",
    ],
    "iin@example.jp": [r"^/committee/$", r"^/committee/meetings/\d+$"],
}
