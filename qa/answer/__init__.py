"""Answers with verified citations (extractive offline, or an OpenAI-compatible LLM), similar experience,
draft citations and exports."""
