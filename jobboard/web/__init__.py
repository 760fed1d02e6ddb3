"""HTTP layer: routes by area, templating, middleware."""
