"""Chapter 07: attribute-based continuous authentication (Samangouei's dissertation, Chapter 2)."""
