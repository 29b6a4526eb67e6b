"""Writing a fine-tuned Llama-architecture model back into a GGUF file llama.cpp loads.

The tuned weights replace the tensors of the GGUF the model came from; every
metadata key (tokenizer, chat template, architecture sizes) is copied from
that file, so the result is read exactly like the original. Facts from the
GGUF format carried over here: tensor names (``blk.N.attn_q.weight``...),
and llama.cpp's row order for the query and key projections, which groups
each head's rotary pairs differently from Hugging Face's (transformers undoes
it on load; it is redone on write).

Needs the ``gguf`` package (the ``redline[train]`` extra).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import gguf
import numpy as np

from redline.core import ConfigError

GgufType = Literal["q8_0", "f16", "f32"]
GGUF_TYPES: tuple[GgufType, ...] = ("q8_0", "f16", "f32")
# llama.cpp's general.file_type values ("mostly" that type; norms stay F32).
_FILE_TYPES = {"f32": 0, "f16": 1, "q8_0": 7}

# Hugging Face Llama parameter name -> GGUF tensor name ({n} = block number).
_LAYER_NAMES = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_TOP_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)\.weight$")


def gguf_tensor_name(hf_name: str) -> str | None:
    """The GGUF name of a Hugging Face Llama parameter (None for unknown names)."""
    if hf_name in _TOP_NAMES:
        return _TOP_NAMES[hf_name]
    match = _LAYER.match(hf_name)
    if match is None or match.group(2) not in _LAYER_NAMES:
        return None
    return f"blk.{match.group(1)}.{_LAYER_NAMES[match.group(2)]}.weight"


def to_llama_cpp_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    """Reorder a q/k projection's rows from Hugging Face's rotary layout to llama.cpp's."""
    rows = weight.shape[0]
    half = rows // heads // 2
    grouped = weight.reshape(heads, 2, half, *weight.shape[1:])
    return grouped.swapaxes(1, 2).reshape(weight.shape)


def _copy_metadata(reader: Any, writer: Any, *, file_type: int) -> None:
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == gguf.Keys.General.ARCHITECTURE:
            continue  # the writer writes the header and architecture itself
        if key == gguf.Keys.General.FILE_TYPE:
            writer.add_uint32(key, file_type)
            continue
        kind = field.types[0]
        sub_type = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), kind, sub_type=sub_type)


def _encoded(array: np.ndarray, kind: GgufType) -> tuple[np.ndarray, Any]:
    """The tensor as stored: F32 for 1-D (norms), else the chosen type."""
    if array.ndim == 1 or kind == "f32":
        return array.astype(np.float32), None
    if kind == "f16":
        return array.astype(np.float16), None
    qtype = gguf.GGMLQuantizationType.Q8_0
    return gguf.quants.quantize(array.astype(np.float32), qtype), qtype


def export_gguf(
    weights: Mapping[str, np.ndarray],
    *,
    source: Path,
    out: Path,
    kind: GgufType = "q8_0",
) -> Path:
    """Write ``weights`` (Hugging Face Llama names, float arrays) as a GGUF at ``out``,
    with the metadata and tensor list of ``source`` (the GGUF the model was loaded from).

    Every tensor of ``source`` must have a tuned counterpart, or ConfigError.
    """
    if kind not in GGUF_TYPES:
        raise ConfigError(f"--gguf-type: expected one of {', '.join(GGUF_TYPES)}, got {kind!r}")
    reader = gguf.GGUFReader(str(source))
    arch = str(reader.fields[gguf.Keys.General.ARCHITECTURE].contents())
    if arch != "llama":
        raise ConfigError(f"{source}: GGUF export supports the llama architecture, not {arch}")
    heads = int(reader.fields["llama.attention.head_count"].contents())
    kv_heads = int(reader.fields["llama.attention.head_count_kv"].contents())
    by_gguf = {name: hf for hf in weights if (name := gguf_tensor_name(hf)) is not None}
    missing = [t.name for t in reader.tensors if t.name not in by_gguf]
    if missing:
        raise ConfigError(f"tuned model lacks tensors of {source.name}: {', '.join(missing[:5])}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    writer = gguf.GGUFWriter(str(partial), arch)
    _copy_metadata(reader, writer, file_type=_FILE_TYPES[kind])
    for tensor in reader.tensors:
        array = np.asarray(weights[by_gguf[tensor.name]], dtype=np.float32)
        if tensor.name.endswith("attn_q.weight"):
            array = to_llama_cpp_rows(array, heads)
        elif tensor.name.endswith("attn_k.weight"):
            array = to_llama_cpp_rows(array, kv_heads)
        data, raw_type = _encoded(array, kind)
        writer.add_tensor(tensor.name, data, raw_dtype=raw_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    partial.replace(out)  # a killed export never leaves a half-written model.gguf
    return out
