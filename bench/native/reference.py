"""PyTorch reference for bench/native: the same two-head LeNet (SGD) and three-head
MLP (Adam) training steps as bench/native/models.ts, plus a 512^3 float32 matmul.

Usage: python3 reference.py --threads N --seconds S   (prints one JSON line)
Reports steps per wall-clock second and per CPU-second of the process (the latter
is robust to other processes sharing the machine when running 1 thread).
Uses Debian's python3-torch (run it with /usr/bin/python3 when another Python is
first on PATH). Results are steps/s and GFLOP/s at the given thread count.
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    """conv(1->10,5) -> maxpool2 -> relu -> conv(10->20,5) -> maxpool2 -> relu -> fc 320->50 -> relu -> 2 heads 50->10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.fc = nn.Linear(320, 50)
        self.heads = nn.ModuleList([nn.Linear(50, 10) for _ in range(2)])

    def forward(self, x):
        h = F.relu(F.max_pool2d(self.conv1(x), 2))
        h = F.relu(F.max_pool2d(self.conv2(h), 2))
        h = F.relu(self.fc(h.flatten(1)))
        return [head(h) for head in self.heads]


class Mlp(nn.Module):
    """64->256->256 (relu) trunk, three 256->3 heads."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())
        self.heads = nn.ModuleList([nn.Linear(256, 3) for _ in range(3)])

    def forward(self, x):
        h = self.trunk(x)
        return [head(h) for head in self.heads]


def steps_per_second(model, optimizer, x, labels, seconds):
    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = sum(F.cross_entropy(out, y) for out, y in zip(model(x), labels))
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(3):
        step()
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


def matmul_gflops(seconds):
    a, b = torch.rand(512, 512), torch.rand(512, 512)
    for _ in range(3):
        a @ b
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    return 2 * 512**3 * n / (time.perf_counter() - start) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--only", choices=["lenet", "mlp", "matmul"], default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    result = {"torch": torch.__version__, "threads": args.threads}
    if args.only in (None, "mlp"):
        mlp = Mlp()
        x = torch.rand(256, 64)
        labels = [torch.randint(0, 3, (256,)) for _ in range(3)]
        result["mlp"], result["mlpPerCpuSecond"] = steps_per_second(
            mlp, torch.optim.Adam(mlp.parameters(), 1e-3), x, labels, args.seconds)
    if args.only in (None, "lenet"):
        lenet = LeNet()
        x = torch.rand(256, 1, 28, 28)
        labels = [torch.randint(0, 10, (256,)) for _ in range(2)]
        result["lenet"], result["lenetPerCpuSecond"] = steps_per_second(
            lenet, torch.optim.SGD(lenet.parameters(), 0.05), x, labels, args.seconds)
    if args.only in (None, "matmul"):
        result["matmulGflops"] = matmul_gflops(args.seconds)
    result["peakRssMB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
