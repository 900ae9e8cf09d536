"""A GPT-style decoder: pre-norm blocks, causal self-attention, tied embeddings, learned positions.

`forward` takes an explicit KV cache and attention mask so the same module exports to the
Optimum / transformers.js decoder layout (inputs input_ids, attention_mask, position_ids,
past_key_values.N.key/value; outputs logits, present.N.key/value, last_hidden_state).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK_VALUE = -1e4  # finite, so fully padded rows stay NaN-free and it survives fp16


@dataclass
class GPTConfig:
    vocab_size: int = 8192
    n_positions: int = 256
    n_embd: int = 256
    n_layer: int = 6
    n_head: int = 8
    bos_token_id: int = 0
    eos_token_id: int = 0

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.head_dim = cfg.head_dim
        self.ln_1 = nn.LayerNorm(cfg.n_embd)
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.ln_2 = nn.LayerNorm(cfg.n_embd)
        self.fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.fc_out = nn.Linear(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x, bias, past_k=None, past_v=None):
        b, s, d = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(d, dim=2)
        q = q.view(b, s, self.n_head, self.head_dim).transpose(1, 2)
        k = k.view(b, s, self.n_head, self.head_dim).transpose(1, 2)
        v = v.view(b, s, self.n_head, self.head_dim).transpose(1, 2)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        if bias is None:  # plain causal attention: the fused kernel, no [s, total] bias tensor
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim)) + bias
            y = att.softmax(dim=-1) @ v
        y = y.transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(y)
        x = x + self.fc_out(F.gelu(self.fc(self.ln_2(x))))
        return x, k, v


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.apply(self._init)
        for blk in self.blocks:  # GPT-2's scaled init of residual projections
            nn.init.normal_(blk.proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))
            nn.init.normal_(blk.fc_out.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def num_params(self, non_embedding: bool = False) -> int:
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= self.wte.weight.numel() + self.wpe.weight.numel()
        return n

    def hidden(self, input_ids, attention_mask=None, position_ids=None, past=None, middle=None):
        """Returns (last_hidden_state after ln_f, list of (k, v) presents). A list passed as `middle` receives the
        residual stream after every block but the last (layers 1 .. n_layer - 1)."""
        b, s = input_ids.shape
        past_len = past[0][0].shape[2] if past else 0
        if position_ids is None:
            position_ids = torch.arange(past_len, past_len + s, device=input_ids.device).unsqueeze(0).expand(b, s)
        # Plain causal attention (training, scoring) runs the fused kernel where PyTorch has one (>= 2.0); a cache, a
        # padding mask or the ONNX export needs the explicit bias.
        fused = (not past and attention_mask is None and hasattr(F, "scaled_dot_product_attention")
                 and not torch.onnx.is_in_onnx_export())
        bias = None
        if not fused:
            total = past_len + s
            q_pos = torch.arange(s, device=input_ids.device).unsqueeze(1) + past_len
            k_pos = torch.arange(total, device=input_ids.device).unsqueeze(0)
            allowed = (k_pos <= q_pos).unsqueeze(0).unsqueeze(0)  # [1,1,s,total]
            if attention_mask is not None:
                allowed = allowed & attention_mask.bool()[:, None, None, :]
            bias = torch.zeros(allowed.shape, dtype=torch.float32, device=input_ids.device).masked_fill(~allowed, MASK_VALUE)
        x = self.wte(input_ids) + self.wpe(position_ids)
        presents = []
        for i, blk in enumerate(self.blocks):
            pk, pv = past[i] if past else (None, None)
            x, k, v = blk(x, bias, pk, pv)
            presents.append((k, v))
            if middle is not None and i < len(self.blocks) - 1:
                middle.append(x)
        return self.ln_f(x), presents

    def forward(self, input_ids, targets=None):
        h, _ = self.hidden(input_ids)
        logits = h @ self.wte.weight.t()
        if targets is None:
            return logits
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100)


class OnnxWrapper(nn.Module):
    """Flat-argument wrapper in the Optimum decoder-with-past signature."""

    def __init__(self, model: GPT):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        middle = []
        h, presents = self.model.hidden(input_ids, attention_mask, position_ids, past, middle)
        logits = h @ self.model.wte.weight.t()
        out = [logits]
        for k, v in presents:
            out += [k, v]
        out.append(h)
        # Inner layers, for discriminator heads (a toxicity head reads every layer's mean state).
        out += middle
        return tuple(out)


@torch.no_grad()
def sequence_logprobs(model: GPT, batch_ids: list[list[int]], pad_id: int = 0) -> list[list[float]]:
    """Per-token log P(ids[i+1] | ids[..i]) for each sequence, batched with right padding."""
    maxlen = max(len(x) for x in batch_ids)
    ids = torch.full((len(batch_ids), maxlen), pad_id, dtype=torch.long)
    for r, x in enumerate(batch_ids):
        ids[r, :len(x)] = torch.tensor(x)
    logits = model(ids)
    lp = logits.float().log_softmax(-1)
    tgt = lp[:, :-1].gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    return [tgt[r, :len(x) - 1].tolist() for r, x in enumerate(batch_ids)]
