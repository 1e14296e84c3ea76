"""Hybrid retrieval over a knowledge base (dense + BM25, fused), query cleaning, reranking, evaluation."""
