"""The action catalogue domain: specs, parameter validation, rendering, storage.

``spec`` describes an action, ``params`` and ``guards`` validate what a user
(or a model) asks for, ``render`` turns a validated request into a
``Command`` or an ``HttpRequest``, ``builtin`` holds the built-in catalogue,
``readings`` parses what the get actions print, ``stored`` maps catalogue
rows to specs and ``catalog`` is the service over them.
"""
