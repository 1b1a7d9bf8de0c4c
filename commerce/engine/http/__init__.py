"""HTTP layer of the engine: the only package that imports aiohttp.web."""
