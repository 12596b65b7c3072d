"""Local models: embeddings, the category classifier, priority. Pure functions over text."""
