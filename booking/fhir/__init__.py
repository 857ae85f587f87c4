"""Free and busy consultation times published for other systems (SMART Scheduling Links, FHIR R4)."""
