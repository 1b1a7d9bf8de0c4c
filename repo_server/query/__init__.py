"""Repository queries: a predicate model, declared property indexes, full text, the engine.

`model` and `indexing` depend on `model/`, `store/` and `nodetypes/` only (the commit pipeline
imports `indexing`); `engine` runs queries for a ContentSession; `querybuilder` turns AEM
QueryBuilder parameters into a `Query`. Import the modules, not this package.
"""
