"""Services: the only code that opens database sessions and runs SQL.

Each function owns its session and returns plain frozen dataclasses, so the
layers above never hold an ORM object or a connection.
"""
