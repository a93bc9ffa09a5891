"""Chapter 04: attribute-based continuous authentication (Samangouei's dissertation, Chapter 2)."""
