"""The web app: layout (Gradio Blocks), handlers (one method per event), render (HTML as pure functions)."""
