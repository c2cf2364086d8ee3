"""msgspec request and response structs: the API's contract (and its OpenAPI schema)."""
