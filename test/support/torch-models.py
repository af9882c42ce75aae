"""
Makes the PyTorch files the conversion tests open, in the folder given as the only argument:

  cnn.pt            TorchScript (torch.jit.trace) of a small CNN over images [batch, 3, 32, 32]
  tagger.pt         TorchScript (torch.jit.script) of embedding + GRU + linear over int64 tokens
                    [batch, sequence]: a model with a dynamic sequence axis
  whole.pt          torch.save(model): a whole-module pickle of fixture_models.TinyMLP ([batch, 16])
  weights.pth       torch.save(model.state_dict()) of fixture_models.TinyMLP (ZIP format)
  legacy.pth        the same state_dict in the legacy (non-ZIP) torch.save format
  checkpoint.pth    a training checkpoint dict: epoch, model and optimizer state
  gate.pth          state_dict of fixture_models.LengthGate, whose forward branches on the sequence
                    length: tracing keeps one branch, so its ONNX export computes something else
                    for other lengths (the conversion check must catch it)
  fixture_models.py the module defining TinyMLP and LengthGate (state_dicts need it)
  gate_factory.py   make_model() for gate.pth
  sleepy_factory.py make_model() that sleeps for ten minutes (time limits, cancel)
  crash_factory.py  make_model() that raises after printing to stderr

Seeded, so the files are the same on every run of one torch version.
"""
import os
import sys
import textwrap

import torch

MODELS_PY = textwrap.dedent(
    """
    import torch
    from torch import nn


    class TinyMLP(nn.Module):
        def __init__(self, features=16, hidden=32, classes=4):
            super().__init__()
            self.fc1 = nn.Linear(features, hidden)
            self.fc2 = nn.Linear(hidden, classes)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))


    class LengthGate(nn.Module):
        def __init__(self, channels=4):
            super().__init__()
            self.proj = nn.Linear(channels, channels)

        def forward(self, x):
            # Decided in Python from the shape: a trace keeps whichever branch its example took.
            if x.shape[1] > 8:
                return self.proj(x) * 2.0
            return self.proj(x) + 1.0
    """
)

GATE_FACTORY = textwrap.dedent(
    """
    from fixture_models import LengthGate


    def make_model():
        return LengthGate(channels=4)
    """
)

SLEEPY_FACTORY = textwrap.dedent(
    """
    import sys
    import time


    def make_model():
        print("sleeping before the model is made", file=sys.stderr, flush=True)
        time.sleep(600)
    """
)

CRASH_FACTORY = textwrap.dedent(
    """
    import sys


    def make_model():
        print("about to fail on purpose", file=sys.stderr, flush=True)
        raise RuntimeError("the factory failed on purpose")
    """
)


class TinyCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.head = torch.nn.Linear(16, 10)

    def forward(self, image):
        x = torch.relu(self.bn(self.conv1(image)))
        x = torch.relu(self.conv2(x))
        x = torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return torch.softmax(self.head(x), dim=1)


class Tagger(torch.nn.Module):
    def __init__(self, vocabulary: int = 100, width: int = 16, tags: int = 5):
        super().__init__()
        self.embed = torch.nn.Embedding(vocabulary, width)
        self.gru = torch.nn.GRU(width, 24, batch_first=True)
        self.out = torch.nn.Linear(24, tags)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.gru(self.embed(tokens))
        return self.out(hidden)


def write(folder: str, name: str, text: str) -> None:
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text.lstrip())


def main(folder: str) -> None:
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(7)
    write(folder, "fixture_models.py", MODELS_PY)
    write(folder, "gate_factory.py", GATE_FACTORY)
    write(folder, "sleepy_factory.py", SLEEPY_FACTORY)
    write(folder, "crash_factory.py", CRASH_FACTORY)
    sys.path.insert(0, folder)
    import fixture_models  # noqa: E402 (written just above)

    cnn = TinyCnn().eval()
    with torch.no_grad():
        # Non-trivial running statistics, so batch norm is not the identity.
        cnn.bn.running_mean.uniform_(-0.2, 0.2)
        cnn.bn.running_var.uniform_(0.5, 1.5)
    torch.jit.save(torch.jit.trace(cnn, torch.rand(1, 3, 32, 32)), os.path.join(folder, "cnn.pt"))

    tagger = Tagger().eval()
    torch.jit.save(torch.jit.script(tagger), os.path.join(folder, "tagger.pt"))

    mlp = fixture_models.TinyMLP().eval()
    torch.save(mlp, os.path.join(folder, "whole.pt"))
    torch.save(mlp.state_dict(), os.path.join(folder, "weights.pth"))
    torch.save(mlp.state_dict(), os.path.join(folder, "legacy.pth"), _use_new_zipfile_serialization=False)
    optimizer = torch.optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9)
    mlp(torch.rand(2, 16)).sum().backward()
    optimizer.step()
    checkpoint = {"epoch": 3, "model_state_dict": mlp.state_dict(), "optimizer_state_dict": optimizer.state_dict()}
    torch.save(checkpoint, os.path.join(folder, "checkpoint.pth"))

    gate = fixture_models.LengthGate().eval()
    torch.save(gate.state_dict(), os.path.join(folder, "gate.pth"))
    print(f"torch {torch.__version__}: fixtures written to {folder}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: torch-models.py FOLDER")
    main(sys.argv[1])
