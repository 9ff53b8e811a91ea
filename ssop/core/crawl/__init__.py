"""Crawling: visit servers, parse what they print, store it, tell the rest of ssop."""
