"""The chairman's approval of a return: the signed Phụ lục 2 among its evidence (phu-luc-2.pdf), read and
compared with the recomputed scores. `check.ApprovalCheck` is the importer's step; `reading` parses the
report's lines, `ocr` reads scans (Tesseract), `marks` finds the seal and the signature, `trust` the signer,
`printing` prints the Phụ lục 2 sheet alone with LibreOffice (the demo's and the tests' documents)."""
