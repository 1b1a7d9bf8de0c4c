"""The commerce engine: a separate service speaking SAP Commerce's Integration API (OData v2)."""
