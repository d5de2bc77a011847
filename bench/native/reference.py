"""PyTorch reference for bench/native: the same two-head LeNet (Adam) and three-head
MLP (Adam) training steps as bench/native/models.ts, the per-task gradients + PCGrad
step on that MLP that bench/native/steps.ts times through the library's trainStep,
a 512^3 float32 matmul, and the process's peak resident set size.

Usage: python3 reference.py --threads N --seconds S   (prints one JSON line)
Reports steps per wall-clock second and per CPU-second of the process (the latter
is robust to other processes sharing the machine when running 1 thread).
Uses Debian's python3-torch (run it with /usr/bin/python3 when another Python is
first on PATH). Results are steps/s and GFLOP/s at the given thread count.
"""
import argparse
import json
import random
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


def pcgrad_steps_per_second(model, optimizer, x, labels, seconds, seed=0):
    """Per-task gradients + PCGrad (Yu et al., NeurIPS 2020), the same step as the
    library's trainStep with method "pcgrad" in gradient mode "parameters": one
    forward, one backward pass per task (torch.autograd.grad, retain_graph) for the
    task's gradient on every shared (trunk) parameter and on its own head; PCGrad on
    the flattened shared gradients; the projected gradients summed into the trunk's
    .grad, each head's own gradient into its .grad; one Adam step.

    PCGrad as in the library (src/weighting/pcgrad.ts) and the paper's reference code:
    for each task i, g_i' <- g_i, then for j in a fresh random order of all tasks
    (i included; g_i' . g_i < 0 is rare but possible after earlier projections),
    if g_i' . g_j < 0: g_i' <- g_i' - (g_i' . g_j / |g_j|^2) g_j against the original
    g_j; zero gradients are never projected against; the update is sum_i g_i'.
    """
    shared = list(model.trunk.parameters())
    heads = [list(head.parameters()) for head in model.heads]
    rng = random.Random(seed)
    tasks = len(heads)

    def step():
        optimizer.zero_grad(set_to_none=True)
        outputs = model(x)
        losses = [F.cross_entropy(out, y) for out, y in zip(outputs, labels)]
        grads = []
        for t, loss in enumerate(losses):
            g = torch.autograd.grad(loss, shared + heads[t], retain_graph=t < tasks - 1)
            grads.append(torch.cat([p.reshape(-1) for p in g[:len(shared)]]))
            for p, gp in zip(heads[t], g[len(shared):]):
                p.grad = gp
        norms = [torch.dot(g, g).item() for g in grads]
        combined = torch.zeros_like(grads[0])
        for i in range(tasks):
            projected = grads[i].clone()
            order = list(range(tasks))
            rng.shuffle(order)
            for j in order:
                if not norms[j] > 0:
                    continue
                inner = torch.dot(projected, grads[j]).item()
                if inner < 0:
                    projected.sub_(grads[j], alpha=inner / norms[j])
            combined.add_(projected)
        offset = 0
        for p in shared:
            n = p.numel()
            p.grad = combined[offset:offset + n].view_as(p).clone()
            offset += n
        optimizer.step()
        return sum(loss.item() for loss in losses)

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
    parser.add_argument("--only", choices=["lenet", "mlp", "pcgrad", "matmul"], default=None)
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
    if args.only in (None, "pcgrad"):
        # Same model and batch shape as the MLP above, Adam at the library workload's lr.
        mlp = Mlp()
        x = torch.rand(256, 64)
        labels = [torch.randint(0, 3, (256,)) for _ in range(3)]
        result["pcgrad"], result["pcgradPerCpuSecond"] = pcgrad_steps_per_second(
            mlp, torch.optim.Adam(mlp.parameters(), 5e-4), x, labels, args.seconds)
    if args.only in (None, "lenet"):
        lenet = LeNet()
        x = torch.rand(256, 1, 28, 28)
        labels = [torch.randint(0, 10, (256,)) for _ in range(2)]
        result["lenet"], result["lenetPerCpuSecond"] = steps_per_second(
            lenet, torch.optim.Adam(lenet.parameters(), 5e-4), x, labels, args.seconds)
    if args.only in (None, "matmul"):
        result["matmulGflops"] = matmul_gflops(args.seconds)
    # Peak resident set size of this whole process (ru_maxrss is in KiB on Linux) after
    # all the workloads above, run one after another in this process: the baseline of
    # the Python interpreter + torch (libtorch and its BLAS; about 225 MiB after
    # `import torch` on the development machine) plus what the workloads added on top.
    # steps.ts reports the same for Node + tfjs + the native addon.
    result["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
