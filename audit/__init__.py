"""The auditor: show and verify what happened to a case (auditor.py); its trail (trail.py), verification
(verify.py), history replay (replay.py), archive reader (archive.py), export and offline bundle checks
(export.py), and the reports they share (models.py). It sits above worker/ and below starter/."""
