"""The rules of the API: pure Python, standard library only."""
