"""Widget catalog tests: case files per widget type."""
