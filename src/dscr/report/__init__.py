"""Tables and figures from result files (JSON in, md/csv/json/png out). Imports no torch."""
