"""Catalog import (commerce-api §13): feeds, ranked import handlers, the importer, polling."""
