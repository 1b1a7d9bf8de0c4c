"""Integration objects defined at run time: the IntegrationService Meta API and definition files."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pyodata  # type: ignore[import-untyped]
import pytest
import requests

from commerce.engine.cli import main

META = "IntegrationService"


def _unit_io(code: str, *, unique: str = "code") -> dict[str, Any]:
    return {
        "code": code,
        "items": [
            {
                "code": "Unit",
                "type": "Unit",
                "root": True,
                "attributes": [
                    {
                        "attributeName": "code",
                        "attributeDescriptor": "code",
                        "unique": unique == "code",
                    },
                    {
                        "attributeName": "kind",
                        "attributeDescriptor": "unitType",
                        "unique": unique == "kind",
                    },
                    {"attributeName": "name", "attributeDescriptor": "name"},
                ],
            }
        ],
    }


def test_an_io_created_through_the_meta_api_serves_data(
    http: requests.Session, odata_url: str, engine_server: Any
) -> None:
    r = http.post(f"{odata_url}/{META}/IntegrationObjects", json=_unit_io("InboundUnit"))
    assert r.status_code == 201, r.text
    r = http.post(
        f"{odata_url}/{META}/InboundChannelConfigurations",
        json={"integrationObject": {"code": "InboundUnit"}, "authenticationType": "BASIC"},
    )
    assert r.status_code == 201, r.text
    client = pyodata.Client(f"{odata_url}/InboundUnit", http)
    unit = client.schema.entity_type("Unit")
    assert "kind" in [p.name for p in unit.proprties()]
    client.entity_sets.Units.create_entity().set(
        code="kg", kind="weight", name="Kilogram"
    ).execute()
    assert client.entity_sets.Units.get_entity("kg").execute().kind == "weight"
    items = http.get(
        f"{odata_url}/{META}/IntegrationObjects('InboundUnit')",
        params={"$expand": "items/attributes"},
    ).json()["d"]
    attributes = items["items"]["results"][0]["attributes"]["results"]
    assert {a["attributeName"] for a in attributes} == {"code", "kind", "name"}
    assert attributes[0]["integrationKey"] == "code|Unit|InboundUnit"


def test_the_ootb_ios_are_stored_and_editable(http: requests.Session, odata_url: str) -> None:
    r = http.get(f"{odata_url}/{META}/IntegrationObjects", params={"$top": "100"})
    codes = {io["code"] for io in r.json()["d"]["results"]}
    assert {"InboundProduct", "InboundCategory", "InboundB2BUnit", "InboundB2BCustomer"} <= codes
    channels = http.get(f"{odata_url}/{META}/InboundChannelConfigurations", params={"$top": "100"})
    kinds = {c["integrationKey"]: c["authenticationType"] for c in channels.json()["d"]["results"]}
    assert kinds["InboundProduct"] == "BASIC"


@pytest.mark.parametrize(
    "broken",
    [
        {"attributeName": "x", "attributeDescriptor": "nosuch"},
        {
            "attributeName": "unitType",
            "attributeDescriptor": "unitType",
            "returnIntegrationObjectItem": {"code": "Unit"},
        },
    ],
)
def test_an_invalid_definition_is_refused_and_nothing_changes(
    http: requests.Session, odata_url: str, assert_error: Any, broken: dict[str, Any]
) -> None:
    definition = _unit_io("BrokenUnit")
    definition["items"][0]["attributes"].append(broken)
    r = http.post(f"{odata_url}/{META}/IntegrationObjects", json=definition)
    assert_error(r, 400, "misconfigured_attribute")
    assert http.get(f"{odata_url}/{META}/IntegrationObjects('BrokenUnit')").status_code == 404


def test_deleting_an_io_with_a_channel_fails(
    http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    assert http.post(f"{odata_url}/{META}/IntegrationObjects", json=_unit_io("DoomedUnit")).ok
    assert http.post(
        f"{odata_url}/{META}/InboundChannelConfigurations",
        json={"integrationObject": {"code": "DoomedUnit"}, "authenticationType": "BASIC"},
    ).ok
    url = f"{odata_url}/{META}/IntegrationObjects('DoomedUnit')"
    assert_error(http.delete(url), 400, "deletion_failure")
    assert (
        http.delete(f"{odata_url}/{META}/InboundChannelConfigurations('DoomedUnit')").status_code
        == 204
    )
    assert http.get(f"{odata_url}/DoomedUnit/Units").status_code == 404
    assert http.delete(url).status_code == 204
    assert http.get(url).status_code == 404


def test_changing_the_key_of_an_io_changes_its_alias(
    http: requests.Session, odata_url: str
) -> None:
    assert http.post(f"{odata_url}/{META}/IntegrationObjects", json=_unit_io("KeyedUnit")).ok
    assert http.post(
        f"{odata_url}/{META}/InboundChannelConfigurations",
        json={"integrationObject": {"code": "KeyedUnit"}, "authenticationType": "BASIC"},
    ).ok
    assert 's:Alias="Unit_code"' in http.get(f"{odata_url}/KeyedUnit/$metadata").text
    r = http.patch(
        f"{odata_url}/{META}/IntegrationObjects('KeyedUnit')",
        json=_unit_io("KeyedUnit", unique="kind"),
    )
    assert r.status_code == 204, r.text
    assert 's:Alias="Unit_kind"' in http.get(f"{odata_url}/KeyedUnit/$metadata").text


def test_definition_file_and_generated_admin_password(tmp_path: Path, make_server: Any) -> None:
    definitions = tmp_path / "ios.json"
    definitions.write_text(
        json.dumps(
            {
                "integrationObjects": [
                    {
                        "code": "FileUnit",
                        "authenticationType": "BASIC",
                        "items": [
                            {
                                "code": "Unit",
                                "root": True,
                                "attributes": {"code": {"unique": True}, "name": {}},
                            }
                        ],
                    }
                ]
            }
        )
    )
    server = make_server(admin_password=None, definitions_file=definitions)
    password_file = server.settings.data_dir / "admin-password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    http = server.session("admin", password)
    r = http.post(
        f"{server.url}/odata2webservices/FileUnit/Units", json={"code": "pc", "name": "Piece"}
    )
    assert r.status_code == 201, r.text
    assert (
        server.session("admin", "admin-secret")
        .get(f"{server.url}/odata2webservices/FileUnit/Units")
        .status_code
        == 401
    )


def test_cli_rejects_bad_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["serve", "--data-dir", str(tmp_path), "--set", "odata2services.page.size.max=x"]) == 2
    )
    assert "odata2services.page.size.max" in capsys.readouterr().err
    assert main(["serve", "--data-dir", str(tmp_path), "--set", "nosuch=1"]) == 2
    assert main(["serve", "--data-dir", str(tmp_path), "--set", "novalue"]) == 2


def test_a_stored_io_cannot_shadow_a_built_in_service(
    http: requests.Session, odata_url: str, assert_error: Any
) -> None:
    r = http.post(f"{odata_url}/{META}/IntegrationObjects", json=_unit_io(META))
    assert_error(r, 400, "misconfigured_attribute")
