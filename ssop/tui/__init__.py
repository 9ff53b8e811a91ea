"""The Textual dashboard shell around ssop.core."""
