"""Crawling: visit servers, parse what they print, store it, and tell the rest of ssop."""
