"""The action catalogue domain: action specs, parameter validation, rendering.

Pure logic, no database and no I/O: ``spec`` describes an action, ``params``
and ``guards`` validate what a user (or a model) asks for, ``render`` turns a
validated request into a ``Command`` or an ``HttpRequest``, ``builtin`` holds
the built-in catalogue and ``readings`` parses what the get actions print.
"""
