"""Analysis: a rule engine and an LLM analyst behind one ``Analyser`` port.

``rules`` works with no key and decides whether the model is worth asking;
``llm`` asks an OpenAI-compatible endpoint through a compact, redacted
``prompt``; ``guard`` reviews every recommendation of either against the
server's allow-list and what was observed; ``service`` ties them together
and stores the result.
"""
