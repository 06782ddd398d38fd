"""The commune workbook: layout as data, writer, signing, generation."""
