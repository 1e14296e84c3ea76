"""The knowledge base on disk, and the only code that speaks SQL: SQLite rows, FAISS segments or Milvus
collections behind one write path (``writer``) and one reading interface (``protocol.SearchIndex``)."""
