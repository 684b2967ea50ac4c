#!/usr/bin/env python3
"""Writes a tiny image classifier as TorchScript and as ONNX, for the tests.

The network (two convolutions, global average pooling, a linear head) takes
N x C x H x W floats and returns (logit N x 1, embedding N x 8). Weights come
from a fixed seed, so every run writes the same model.

  make_tiny_model.py OUT_DIR [--channels 1] [--size 32]
writes OUT_DIR/tiny.pt and OUT_DIR/tiny.onnx.
"""
import argparse
import os

import torch


class Tiny(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(channels, 6, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(6, 8, 3, padding=1, stride=2)
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        embedding = x.mean(dim=(2, 3))
        return self.head(embedding), embedding


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()
    torch.manual_seed(7)
    model = Tiny(args.channels).eval()
    with torch.no_grad():
        # Brightness matters: the head's weight on the embedding is made
        # positive so brighter, more textured images score higher.
        model.head.weight.abs_()
    os.makedirs(args.out, exist_ok=True)
    example = torch.rand(2, args.channels, args.size, args.size)
    torch.jit.trace(model, example).save(os.path.join(args.out, "tiny.pt"))
    torch.onnx.export(model, example, os.path.join(args.out, "tiny.onnx"),
                      input_names=["image"], output_names=["logit", "embedding"],
                      dynamic_axes={"image": {0: "batch"}, "logit": {0: "batch"},
                                    "embedding": {0: "batch"}},
                      opset_version=11)


if __name__ == "__main__":
    main()
