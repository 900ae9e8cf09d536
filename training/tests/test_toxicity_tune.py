"""Multi-task tuning (toxicity_tune.py): the probe's features are the recipe's, and tuning moves the hidden states
toward a linear split of the labels while the token embeddings (the tied LM head) stay as they were."""
from __future__ import annotations

import random
import unittest

import numpy as np
import torch

from plausibility_train.model import GPT, GPTConfig
from plausibility_train.toxicity_tune import auroc, pooled_features, tune


def tiny() -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=64, n_positions=32, n_embd=16, n_layer=3, n_head=2))


class ToxicityTuneTests(unittest.TestCase):
    def test_features_are_mean_states_of_every_layer_without_bos(self):
        m = tiny().eval()
        seqs = [[5, 6, 7], [9], []]
        with torch.no_grad():
            f = pooled_features(m, seqs, bos=0)
            self.assertEqual(tuple(f.shape), (3, 4 * 16))
            # Text 0 alone, by hand: BOS + ids through the model, states of positions 1..3 averaged.
            ids = torch.tensor([[0, 5, 6, 7]])
            middle: list[torch.Tensor] = []
            last, _ = m.hidden(ids, middle=middle)
            want = torch.cat([m.wte(ids)[0, 1:].mean(0)] + [h[0, 1:].mean(0) for h in middle] + [last[0, 1:].mean(0)])
            self.assertTrue(torch.allclose(f[0], want, atol=1e-5))
            # Right padding never changes a shorter text's features (causal attention).
            alone = pooled_features(m, [[9]], bos=0)
            self.assertTrue(torch.allclose(f[1], alone[0], atol=1e-5))
            # An empty text reads BOS's states.
            self.assertTrue(torch.isfinite(f[2]).all())

    def test_auroc(self):
        self.assertEqual(auroc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0])), 1.0)
        self.assertEqual(auroc(np.array([0.1, 0.2, 0.9, 0.8]), np.array([1, 1, 0, 0])), 0.0)

    def test_tuning_separates_the_labels_and_keeps_the_embeddings(self):
        m = tiny()
        rng = random.Random(1)
        # Label 1 texts contain token 3; label 0 texts never do.
        rows = []
        for i in range(160):
            label = int(rng.random() < 0.5)
            ids = [rng.randrange(10, 64) for _ in range(rng.randrange(3, 8))]
            if label:
                ids[rng.randrange(len(ids))] = 3
            general = i % 5 != 0
            rows.append({"ids": ids, "label": label, "source": "wikipedia_jigsaw" if general else "clean_prose",
                         "split": "dev" if i % 4 == 0 else "train", "weight": 1.0, "general": general})
        stream = np.array([rng.randrange(10, 64) for _ in range(4000)], dtype=np.uint16)
        wte = m.wte.weight.detach().clone()
        res = tune(m, rows, stream, stream, 0, steps=60, lr=3e-3, head_lr=3e-2, tox_batch=16, lm_batch=2, context=16,
                   eval_every=60, log=lambda _m: None)
        last = res["history"][-1]
        self.assertEqual(last["step"], 60)
        self.assertGreater(last["general_auroc"], 0.8)
        self.assertTrue(torch.equal(m.wte.weight.detach(), wte))


if __name__ == "__main__":
    unittest.main()
