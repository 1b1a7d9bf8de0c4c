"""Pure values of the engine: item types, integration objects, keys, query options, EDMX."""
