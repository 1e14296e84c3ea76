"""Question answering and semantic search over Chinese experience reports (经验材料).

Importing ``qa`` is light: numpy, faiss, jieba, torch and gradio load where they are used.
"""

__version__ = "0.1.0"
