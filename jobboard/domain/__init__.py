"""Pure domain rules: no I/O, no starlette, tortoise or whoosh imports."""
