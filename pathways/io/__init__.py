"""Input and output: load and validate inventories, save them, import field mappings (XLSX, CSV,
GeoJSON, HSDS), export (HSDS, GeoJSON, GeoPackage, sheets, network, protocol), the base map's
builder, and the inventory's history in git. The stores of the editing issues go here too."""
