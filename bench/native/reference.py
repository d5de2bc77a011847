"""PyTorch reference for bench/native: the same training steps that bench/native/steps.ts
times through the library (bench/native/workloads.ts): the two-head LeNet and the
three-head MLP (Adam), the per-task gradients + PCGrad step on that MLP, MMoE on a
tabular batch of 1,024 and MTAN on the LeNet; a 512^3 float32 matmul; and the
process's peak resident set size.

Usage: python3 reference.py --threads N --seconds S [--only mlp,mmoe,...]   (prints one JSON line)
Reports steps per wall-clock second and per CPU-second of the process (the latter
is robust to other processes sharing the machine when running 1 thread). Any Python
with torch: a PyTorch 2 CPU wheel in a venv (python3 -m venv ~/torch && ~/torch/bin/pip
install torch, what a user installs today: MKL and oneDNN inside) or Debian's
python3-torch (1.13, OpenBLAS).
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


class Mmoe(nn.Module):
    """MMoE (Ma et al., KDD 2018) as the library builds it for bench/native/workloads.ts:
    8 experts, each one dense 100->64 ReLU layer; per task a softmax gate over the
    experts reading the input and a tower dense 64->16 (ReLU) -> 1."""

    def __init__(self, features=100, experts=8, width=64, tasks=2, tower=16):
        super().__init__()
        self.experts = nn.ModuleList([nn.Linear(features, width) for _ in range(experts)])
        self.gates = nn.ModuleList([nn.Linear(features, experts) for _ in range(tasks)])
        self.towers = nn.ModuleList(
            [nn.Sequential(nn.Linear(width, tower), nn.ReLU(), nn.Linear(tower, 1)) for _ in range(tasks)])

    def forward(self, x):
        e = torch.stack([F.relu(expert(x)) for expert in self.experts], 1)  # batch x E x width
        outs = []
        for gate, tower in zip(self.gates, self.towers):
            g = F.softmax(gate(x), -1).unsqueeze(1)  # batch x 1 x E
            outs.append(tower(torch.bmm(g, e).squeeze(1)))
        return outs


def bn(channels, dims):
    # tfjs's batchNormalization with the library's momentum 0.9 (PyTorch's 0.1) and epsilon 1e-3.
    return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(channels, eps=1e-3, momentum=0.1)


class Attention(nn.Module):
    """MTAN's attention module: two 1x1 convs (dense layers on vectors) with batch norm, ReLU between, sigmoid out."""

    def __init__(self, cin, cout, dims):
        super().__init__()
        layer = (lambda i, o: nn.Conv2d(i, o, 1)) if dims == 2 else nn.Linear
        self.net = nn.Sequential(layer(cin, cout), bn(cout, dims), nn.ReLU(), layer(cout, cout), bn(cout, dims), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


class Mtan(nn.Module):
    """MTAN (Liu et al., CVPR 2019) on the LeNet encoder as src/architectures/mtan.ts builds
    it: shared stages p0 = relu(pool(conv 1->10)), p1 = relu(pool(conv 10->20)),
    p2 = relu(fc 320->50); per task attention a_j over p_j, reading [p_j ; f_j(a_{j-1})]
    with shared f_1 = pool3(relu(bn(conv3x3 10->20))) and f_2 = relu(fc 320->50); heads 50->10."""

    def __init__(self, tasks=2):
        super().__init__()
        self.conv1, self.conv2, self.fc = nn.Conv2d(1, 10, 5), nn.Conv2d(10, 20, 5), nn.Linear(320, 50)
        self.f1 = nn.Sequential(nn.Conv2d(10, 20, 3, padding=1, bias=False), bn(20, 2), nn.ReLU(), nn.MaxPool2d(3))
        self.f2 = nn.Linear(320, 50)
        self.att0 = nn.ModuleList([Attention(10, 10, 2) for _ in range(tasks)])
        self.att1 = nn.ModuleList([Attention(40, 20, 2) for _ in range(tasks)])
        self.att2 = nn.ModuleList([Attention(100, 50, 1) for _ in range(tasks)])
        self.heads = nn.ModuleList([nn.Linear(50, 10) for _ in range(tasks)])

    def forward(self, x):
        p0 = F.relu(F.max_pool2d(self.conv1(x), 2))
        p1 = F.relu(F.max_pool2d(self.conv2(p0), 2))
        p2 = F.relu(self.fc(p1.flatten(1)))
        outs = []
        for t, head in enumerate(self.heads):
            a0 = self.att0[t](p0) * p0
            a1 = self.att1[t](torch.cat([p1, self.f1(a0)], 1)) * p1
            a2 = self.att2[t](torch.cat([p2, F.relu(self.f2(a1.flatten(1)))], 1)) * p2
            outs.append(head(a2))
        return outs


def warm_up(step, seconds):
    """At least 20 steps and a quarter of `seconds`, as bench/native/steps.ts warms up."""
    start, i = time.perf_counter(), 0
    while i < 20 or time.perf_counter() - start < seconds / 4:
        step()
        i += 1


def steps_per_second(model, optimizer, x, labels, seconds, loss_fn=F.cross_entropy):
    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = sum(loss_fn(out, y) for out, y in zip(model(x), labels))
        loss.backward()
        optimizer.step()
        return loss.item()

    warm_up(step, seconds)
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

    warm_up(step, seconds)
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        step()
        n += 1
    return n / (time.perf_counter() - start), n / (time.process_time() - cpu)


def matmul_gflops(seconds):
    a, b = torch.rand(512, 512), torch.rand(512, 512)
    warm_up(lambda: a @ b, seconds)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    return 2 * 512**3 * n / (time.perf_counter() - start) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--only", default=None, help="comma-separated: mlp,pcgrad,lenet,mmoe,mtan,matmul")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else {"mlp", "pcgrad", "lenet", "mmoe", "mtan", "matmul"}
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    result = {"torch": torch.__version__, "threads": args.threads,
              "mkldnn": bool(torch.backends.mkldnn.is_available()), "mkl": bool(torch.backends.mkl.is_available())}
    if "mlp" in wanted:
        mlp = Mlp()
        x = torch.rand(256, 64)
        labels = [torch.randint(0, 3, (256,)) for _ in range(3)]
        result["mlp"], result["mlpPerCpuSecond"] = steps_per_second(
            mlp, torch.optim.Adam(mlp.parameters(), 1e-3), x, labels, args.seconds)
    if "pcgrad" in wanted:
        # Same model and batch shape as the MLP above, Adam at the library workload's lr.
        mlp = Mlp()
        x = torch.rand(256, 64)
        labels = [torch.randint(0, 3, (256,)) for _ in range(3)]
        result["pcgrad"], result["pcgradPerCpuSecond"] = pcgrad_steps_per_second(
            mlp, torch.optim.Adam(mlp.parameters(), 5e-4), x, labels, args.seconds)
    if "lenet" in wanted:
        lenet = LeNet()
        x = torch.rand(256, 1, 28, 28)
        labels = [torch.randint(0, 10, (256,)) for _ in range(2)]
        result["lenet"], result["lenetPerCpuSecond"] = steps_per_second(
            lenet, torch.optim.Adam(lenet.parameters(), 5e-4), x, labels, args.seconds)
    if "mmoe" in wanted:
        # Two binary tasks (sigmoid cross-entropy), Adam at the library workload's lr.
        mmoe = Mmoe()
        x = torch.rand(1024, 100)
        labels = [torch.randint(0, 2, (1024, 1)).float() for _ in range(2)]
        result["mmoe"], result["mmoePerCpuSecond"] = steps_per_second(
            mmoe, torch.optim.Adam(mmoe.parameters(), 5e-4), x, labels, args.seconds,
            loss_fn=F.binary_cross_entropy_with_logits)
    if "mtan" in wanted:
        mtan = Mtan()
        x = torch.rand(256, 1, 28, 28)
        labels = [torch.randint(0, 10, (256,)) for _ in range(2)]
        result["mtan"], result["mtanPerCpuSecond"] = steps_per_second(
            mtan, torch.optim.Adam(mtan.parameters(), 5e-4), x, labels, args.seconds)
    if "matmul" in wanted:
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
