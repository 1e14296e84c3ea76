"""The HTTP API: OpenAI-compatible chat completions and models, a Dify external-knowledge retrieval
endpoint and a plain JSON search, behind API keys and request limits."""
