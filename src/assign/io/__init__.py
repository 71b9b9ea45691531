"""Reading and writing: scenarios, rosters and pair tables, roads, coordinates, workbooks,
maps and manifests."""

from .schema import table_reference as table_reference
