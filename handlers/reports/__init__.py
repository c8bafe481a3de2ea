"""Reports: exports of a unit's data (XLSX or CSV), the log of recent exports, and the
Resolution 21 scorecard (offered from the same 📊 Reports menu)."""
