"""Small real models made in a test's folder: architectures of the project's models with random weights."""

from __future__ import annotations

from pathlib import Path

from index_builder.backends.bert import default_model_dir


def tiny_mpnet(folder: Path) -> Path:
    """A 4-layer, 32-d random MPNet (all-mpnet-base-v2's architecture: <s>/</s> specials, positions offset
    past the padding index) with MiniLM's vocabulary, saved with its tokenizer into `folder`. transformers
    is imported here, not with this module: seconds, for the tests that make a model only."""
    import torch
    from transformers import MPNetConfig, MPNetModel, MPNetTokenizerFast

    torch.manual_seed(0)
    tokenizer = MPNetTokenizerFast(vocab_file=str(default_model_dir() / "vocab.txt"), model_max_length=512)
    config = MPNetConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=514,
    )
    MPNetModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
