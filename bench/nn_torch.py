#!/usr/bin/python3
"""The mtsi drift-network U-Net rebuilt in PyTorch (same layers, widths and
parameter count) for bench/nn-vs-torch: training (forward + backward +
AdamW) and inference samples per second, CPU float32, and peak RSS.
Prints one line of key=value like bench/nn_bench."""
import argparse
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def parse_arch(spec):
    a = dict(inc=1, out=1, width=32, mult=[1, 2, 2], blocks=1, k=(3, 3), pad="circular",
             groups=8, cond=0, odd=0)
    for kv in spec.split(","):
        k, v = kv.split("=")
        if k == "mult":
            a["mult"] = [int(m) for m in v.split("-")]
        elif k == "k":
            a["k"] = tuple(int(t) for t in v.split("x")) if "x" in v else (int(v), int(v))
        elif k == "pad":
            a["pad"] = v
        elif k == "in":
            a["inc"] = int(v)
        else:
            a[k] = int(v)
    if a["cond"] or a["odd"]:
        raise SystemExit("nn_torch.py: cond and odd are not mirrored")
    return a


def conv(a, cin, cout, k=None):
    k = k or a["k"]
    return nn.Conv2d(cin, cout, k, padding=(k[0] // 2, k[1] // 2),
                     padding_mode="circular" if a["pad"] == "circular" else "zeros")


class ResBlock(nn.Module):
    def __init__(self, a, cin, cout):
        super().__init__()
        self.gn1 = nn.GroupNorm(a["groups"], cin)
        self.c1 = conv(a, cin, cout)
        self.gn2 = nn.GroupNorm(a["groups"], cout)
        self.c2 = conv(a, cout, cout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.c1(F.silu(self.gn1(x)))
        h = self.c2(F.silu(self.gn2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class UNet(nn.Module):
    def __init__(self, a):
        super().__init__()
        w = [a["width"] * m for m in a["mult"]]
        L = len(w)
        self.L, self.blocks = L, a["blocks"]
        self.stem = conv(a, a["inc"] + 1, w[0])
        enc, c = [], w[0]
        for l in range(L):
            for _ in range(a["blocks"]):
                enc.append(ResBlock(a, c, w[l]))
                c = w[l]
        self.enc = nn.ModuleList(enc)
        self.mid = ResBlock(a, c, w[-1])
        dec = []
        for l in reversed(range(L)):
            c = c + w[l]
            for _ in range(a["blocks"]):
                dec.append(ResBlock(a, c, w[l]))
                c = w[l]
        self.dec = nn.ModuleList(dec)
        self.gn = nn.GroupNorm(a["groups"], c)
        self.head = conv(a, c, a["out"])

    def forward(self, x):
        h = self.stem(x)
        skips, i = [], 0
        for l in range(self.L):
            for _ in range(self.blocks):
                h = self.enc[i](h)
                i += 1
            skips.append(h)
            if l < self.L - 1:
                h = F.avg_pool2d(h, 2)
        h = self.mid(h)
        i = 0
        for l in reversed(range(self.L)):
            if l < self.L - 1:
                h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = torch.cat([h, skips[l]], 1)
            for _ in range(self.blocks):
                h = self.dec[i](h)
                i += 1
        return self.head(F.silu(self.gn(h)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="width=32,mult=1-2-2,groups=8")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--infer-steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    o = p.parse_args()
    torch.set_num_threads(o.threads)
    torch.manual_seed(1)
    base = rss_mb()
    a = parse_arch(o.arch)
    net = UNet(a)
    nparam = sum(t.numel() for t in net.parameters())
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.0)
    x = torch.randn(o.batch, a["inc"], o.size, o.size)
    al = torch.rand(o.batch, 1, o.size, o.size)

    def train(steps):
        for _ in range(steps):
            y = net(torch.cat([x, al], 1))
            loss = F.mse_loss(y, x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    def infer(steps):
        with torch.inference_mode():
            for _ in range(steps):
                net(torch.cat([x, al], 1))

    train(1)
    infer(1)
    tt = ti = float("inf")
    for _ in range(o.repeat):  # best of `repeat`, as bench/nn_bench
        t0 = time.perf_counter()
        train(o.steps)
        tt = min(tt, time.perf_counter() - t0)
        t0 = time.perf_counter()
        infer(o.infer_steps)
        ti = min(ti, time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"nparam={nparam} train_sps={o.batch * o.steps / tt:.2f} "
          f"infer_sps={o.batch * o.infer_steps / ti:.2f} peak_mb={peak:.1f} base_mb={base:.1f}")


if __name__ == "__main__":
    main()
