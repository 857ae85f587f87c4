"""The dry-needling consent: its versioned text, signing on the patient's link, the PDF, staff review."""
