"""Reading and writing: scenarios, rosters and pair tables, roads, coordinates, workbooks,
maps and manifests."""
