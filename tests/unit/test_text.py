"""A node's searchable text, from its properties and from its stored blob."""

from __future__ import annotations

from repo_server.model.text import NOT_TEXT, node_text, stored_text
from repo_server.model.values import Property, PropertyType, encode_node, encode_properties

from .test_values import EVERY_TYPE


def test_the_text_holds_string_values_in_order_one_per_line() -> None:
    props = {
        "jcr:title": Property(PropertyType.STRING, False, ("Red hat",)),
        "tags": Property(PropertyType.STRING, True, ("wool", "winter")),
        "size": Property(PropertyType.LONG, False, (3,)),
        "link": Property(PropertyType.PATH, False, ("/content/x",)),
        "sling:resourceType": Property(PropertyType.STRING, False, ("shop/product",)),
        "jcr:createdBy": Property(PropertyType.STRING, False, ("admin",)),
    }
    assert node_text(props) == "Red hat\nwool\nwinter"


def test_the_text_of_a_stored_blob_is_the_text_of_its_properties() -> None:
    # The full-text index deletes a row with the text it was made of, made again from the
    # blob: the two must never differ.
    props = dict(EVERY_TYPE)
    for name in sorted(NOT_TEXT):
        props[name] = Property(PropertyType.STRING, False, (f"not searched {name}",))
    props["empty"] = Property(PropertyType.STRING, True, ())
    assert stored_text(encode_properties(props)) == node_text(props)
    assert stored_text(encode_node("nt:unstructured", ["mix:title"], props)) == node_text(props)
    assert stored_text(encode_properties({})) == ""
