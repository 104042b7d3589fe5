"""Pure parsers of what arrives as files or text, and the pipelines that hand the results to domain/."""
