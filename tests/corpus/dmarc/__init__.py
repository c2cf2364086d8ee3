"""The DMARC report corpus and the script that builds it (make_corpus.py)."""
