"""Expected values of PretrainingObjectiveParityTest, computed by the independent PyTorch peer.

Builds the peer's ElectraPretrainer (tiny generator + discriminator, shared embeddings, dropout 0), runs its own
forward pass on one fixed batch with the masking choices and the Gumbel noise fixed, and writes:

  discriminator/, generator/   the weights as Hugging Face folders (model.safetensors + config.json)
  expected.json                the batch, the fixed choices, the masked input, the discriminator's input,
                               the replaced-token labels and the three losses
  expected.safetensors         the fixed uniform noise and the gradient of every parameter ("grad/<peer name>")

Run from this folder with the peer's folder as argument (see README.md).
"""
import json
import pathlib
import sys

import torch

sys.path.insert(0, sys.argv[1])
import torch_electra as te  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
torch.manual_seed(20261205)

DISC = te.ElectraConfig(vocab_size=128, embedding_size=8, hidden_size=16, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=32, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0, max_position_embeddings=16, initializer_range=0.3)
GEN = te.generator_config(DISC, 0.5)
MASK_PROB, MAX_PREDICTIONS, GEN_WEIGHT, DISC_WEIGHT, TEMPERATURE = 0.25, 3, 1.0, 50.0, 1.0
CLS, SEP, MASK = 101, 102, 103

# Two sequences: 8 real tokens then padding, and 12 real tokens in two segments.
INPUT_IDS = [[CLS, 110, 111, 112, 113, 114, 115, SEP, 0, 0, 0, 0],
             [CLS, 120, 121, 122, SEP, 123, 124, 125, 126, 127, 109, SEP]]
INPUT_MASK = [[1] * 8 + [0] * 4, [1] * 12]
SEGMENT_IDS = [[0] * 12, [0] * 5 + [1] * 7]
# The fixed masking choices: round(8 x 0.25) = 2 and round(12 x 0.25) = 3 slots; True shows [MASK], False keeps.
POSITIONS = [[3, 5, 0], [2, 6, 9]]
SHOW_MASK = [[True, False, False], [True, True, False]]
WEIGHTS = [[1, 1, 0], [1, 1, 1]]
# The slot whose noise makes the generator draw the original token: (row, slot).
SAMPLES_ORIGINAL = (1, 0)

model = te.ElectraPretrainer(DISC, GEN, mask_prob=MASK_PROB, max_predictions=MAX_PREDICTIONS,
                             gen_weight=GEN_WEIGHT, disc_weight=DISC_WEIGHT, temperature=TEMPERATURE,
                             cls_id=CLS, sep_id=SEP, mask_id=MASK)
input_ids = torch.tensor(INPUT_IDS)
input_mask = torch.tensor(INPUT_MASK)
segment_ids = torch.tensor(SEGMENT_IDS)
positions = torch.tensor(POSITIONS)
weights = torch.tensor(WEIGHTS, dtype=torch.bool)
labels = input_ids.gather(1, positions) * weights.long()
masked = input_ids.clone()
for b, row in enumerate(SHOW_MASK):
    for i, show in enumerate(row):
        if show and WEIGHTS[b][i]:
            masked[b, POSITIONS[b][i]] = MASK
model.mask = lambda ids, mask: (masked, positions, labels, weights)

uniform = torch.rand(len(INPUT_IDS), MAX_PREDICTIONS, DISC.vocab_size)
row, slot = SAMPLES_ORIGINAL
uniform[row, slot, INPUT_IDS[row][POSITIONS[row][slot]]] = 1.0 - 1e-7
real_rand_like = torch.rand_like
torch.rand_like = lambda t, **kw: uniform.clone()
seen = {}


def remember_discriminator_input(module, args):
    seen["ids"] = args[0].clone()  # returns None: the forward pass keeps its own arguments


model.discriminator.register_forward_pre_hook(remember_discriminator_input)
try:
    loss, parts = model(input_ids, input_mask, segment_ids)
finally:
    torch.rand_like = real_rand_like
loss.backward()

corrupted = seen["ids"]
for name, tower in (("discriminator", model.discriminator), ("generator", model.generator)):
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    te.save_safetensors({k: v.contiguous() for k, v in tower.hf_state_dict().items()}, folder / "model.safetensors")
    config = (DISC if name == "discriminator" else GEN).to_dict()
    config["model_type"] = "electra"
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")

tensors = {"gumbel_uniform": uniform.reshape(-1, DISC.vocab_size).contiguous()}
for name, p in model.named_parameters():
    tensors["grad/" + name] = p.grad.contiguous()
te.save_safetensors(tensors, HERE / "expected.safetensors")

expected = {
    "input_ids": INPUT_IDS, "input_mask": INPUT_MASK, "segment_ids": SEGMENT_IDS,
    "mask_prob": MASK_PROB, "max_predictions": MAX_PREDICTIONS, "gen_weight": GEN_WEIGHT,
    "disc_weight": DISC_WEIGHT, "temperature": TEMPERATURE,
    "masked_lm_positions": POSITIONS, "show_mask": SHOW_MASK, "masked_lm_weights": WEIGHTS,
    "masked_lm_ids": labels.tolist(), "masked_input_ids": masked.tolist(),
    "discriminator_input_ids": corrupted.tolist(),
    "labels": (corrupted != input_ids).long().tolist(),
    "samples_original": list(SAMPLES_ORIGINAL),
    "masked_lm_loss": parts["mlm_loss"], "disc_loss": parts["disc_loss"], "total_loss": float(loss),
    "torch": torch.__version__,
}
(HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
print("total %.6f  mlm %.6f  disc %.6f  fake fraction %.3f" % (float(loss), parts["mlm_loss"], parts["disc_loss"],
                                                                parts["fake_fraction"]))
