"""Files → articles → chunks: loading, cleaning, structure, places, chunking, named practices, and the
indexing pipeline that embeds them and hands them to ``qa.index`` in one write."""
