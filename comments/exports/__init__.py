"""Builders for exported files, reused by every view that offers that export."""
