"""Guard rails: values that are well-formed but must never be acted on, ssop's own addresses included."""
