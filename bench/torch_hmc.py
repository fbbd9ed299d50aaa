#!/usr/bin/python3
"""Batched PyTorch HMC for the 2-d lattice phi^4 model: the peer of
bench/mcmc-vs-torch.

The algorithm is plain HMC as used for the published phi^4 data the mtsi
SPEC refers to: unit-mass Gaussian momenta, leapfrog with step eps (0.07)
and n steps (10), a Metropolis test per chain. The batch dimension holds
independent chains, all updated by the same tensor operations.

    E(phi) = sum_a [ chi/2 sum_mu (phi_{a+mu} - phi_a)^2
                     + kappa/2 phi_a^2 + gamma/4 phi_a^4 ]

with (m2, lambda) -> chi = 2, kappa = 2 m2, gamma = 4 lambda.

Modes:
  run   thermalise, then produce configurations for a fixed number of
        trajectories or for a wall-time budget; write an ensemble in the
        mtsi SPEC section 5 layout (/configs, /observables/*, /chain, root
        attributes) that `mtsi stats` reads; print a JSON summary.
  cost  time per trajectory (whole batch and per chain) after a warm-up.

The summary also carries tau_int of |M| from an independent numpy
implementation of Wolff's Gamma method (automatic window, S_tau = 1.5,
chains as replica), as a cross-check of `mtsi stats`.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch


def couplings(args):
    if args.m2 is not None:
        return 2.0, 2.0 * args.m2, 4.0 * args.lam
    return args.chi, args.kappa, args.gamma


class Phi4:
    def __init__(self, L, chi, kappa, gamma, dtype):
        self.L, self.chi, self.kappa, self.gamma = L, chi, kappa, gamma
        self.V = L * L
        self.dtype = dtype

    def action(self, phi):
        """E per chain, phi of shape [B, L, L]."""
        f2 = phi * phi
        link = phi * (torch.roll(phi, 1, 1) + torch.roll(phi, 1, 2))
        dens = (2.0 * self.chi + 0.5 * self.kappa) * f2 + 0.25 * self.gamma * f2 * f2 \
            - self.chi * link
        return dens.sum(dim=(1, 2))

    def force(self, phi):
        """dE/dphi."""
        nb = (torch.roll(phi, 1, 1) + torch.roll(phi, -1, 1)
              + torch.roll(phi, 1, 2) + torch.roll(phi, -1, 2))
        return (4.0 * self.chi + self.kappa + self.gamma * phi * phi) * phi - self.chi * nb


class HMC:
    def __init__(self, model, batch, eps, nleap, gen):
        self.m, self.eps, self.nleap, self.gen = model, eps, nleap, gen
        L = model.L
        # Start from N(0, 1/4): from N(0, 1) a site with |phi| > ~4 makes the
        # eps = 0.07 leapfrog unstable at gamma = 18.8 (eps sqrt(3 gamma
        # phi^2) > 2), every trajectory is rejected and that chain never
        # moves (seen for 1 chain in 32 at L = 32).
        self.phi = 0.5 * torch.randn(batch, L, L, dtype=model.dtype, generator=gen)
        self.S = model.action(self.phi)
        self.acc = torch.zeros(batch, dtype=torch.long)
        self.prop = 0

    def trajectory(self):
        m, eps = self.m, self.eps
        phi0, S0 = self.phi, self.S
        p = torch.randn(phi0.shape, dtype=m.dtype, generator=self.gen)
        K0 = 0.5 * (p * p).sum(dim=(1, 2))
        phi = phi0.clone()
        p = p - 0.5 * eps * m.force(phi)
        for s in range(self.nleap):
            phi = phi + eps * p
            h = 0.5 * eps if s == self.nleap - 1 else eps
            p = p - h * m.force(phi)
        S1 = m.action(phi)
        K1 = 0.5 * (p * p).sum(dim=(1, 2))
        dH = (S1 + K1) - (S0 + K0)
        u = torch.rand(dH.shape, dtype=m.dtype, generator=self.gen)
        ok = torch.isfinite(dH) & (u < torch.exp(-dH))
        self.phi = torch.where(ok[:, None, None], phi, phi0)
        self.S = torch.where(ok, S1, S0)
        self.acc += ok.long()
        self.prop += 1


def observables(model, phi):
    """m, |m|, m^2, m^4, energy per site, ghat0, ghat1 (mtsi's primaries),
    each of shape [B], as float64 numpy arrays."""
    L, V = model.L, model.V
    ph = phi.double()
    s = ph.sum(dim=(1, 2))
    M = s / V
    e = model.action(ph) / V if ph.dtype == model.dtype else None
    if e is None:
        e = Phi4(L, model.chi, model.kappa, model.gamma, torch.float64).action(ph) / V
    k = torch.arange(L, dtype=torch.float64) * (2.0 * math.pi / L)
    c, sn = torch.cos(k), torch.sin(k)
    r0 = ph.sum(dim=2)  # [B, L]: sum over axis 1, function of x0
    r1 = ph.sum(dim=1)  # function of x1
    g1 = ((r0 @ c) ** 2 + (r0 @ sn) ** 2 + (r1 @ c) ** 2 + (r1 @ sn) ** 2) / V / 2.0
    g0 = s * s / V
    out = [M, M.abs(), M * M, M ** 4, e, g0, g1]
    return [x.numpy().astype(np.float64) for x in out]


# ---- Wolff's Gamma method (U. Wolff, Comput. Phys. Commun. 156 (2004) 143) --

def gamma_method(series, stau=1.5):
    """series: list of 1-d arrays (replica). Returns dict with mean, err,
    tau_int, tau_int_err, window, window_found."""
    reps = [np.asarray(x, dtype=np.float64) for x in series]
    N = sum(len(x) for x in reps)
    R = len(reps)
    abar = sum(x.sum() for x in reps) / N
    nmax = min(len(x) for x in reps) // 2
    # Gamma(t) = sum over replica of sum_i d_i d_{i+t}, normalised by N - R t
    G = np.zeros(nmax + 1)
    for x in reps:
        d = x - abar
        n = len(d)
        nfft = 1 << int(math.ceil(math.log2(2 * n)))
        f = np.fft.rfft(d, nfft)
        ac = np.fft.irfft(f * np.conj(f), nfft)[: nmax + 1]
        G += ac
    G /= (N - R * np.arange(nmax + 1))
    if G[0] <= 0:
        return dict(mean=abar, err=0.0, tau_int=0.5, tau_int_err=0.0, window=0,
                    window_found=True)
    W, found = nmax, False
    csum = G[0]
    for w in range(1, nmax + 1):
        csum += 2.0 * G[w]
        tau = csum / (2.0 * G[0])
        if tau <= 0.5:
            tauhat = 1e-300
        else:
            tauhat = stau / math.log((2.0 * tau + 1.0) / (2.0 * tau - 1.0))
        g = math.exp(-w / tauhat) - tauhat / math.sqrt(w * N)
        if g < 0:
            W, found = w, True
            break
    C = G[0] + 2.0 * G[1:W + 1].sum()
    # bias correction of Gamma from the subtracted mean: Gamma(t) += C/N
    C *= 1.0 + (2.0 * W + 1.0) / N
    G0 = G[0] + C / N
    tau = C / (2.0 * G0)
    err = math.sqrt(max(C, 0.0) / N)
    tau_err = tau * math.sqrt(2.0 * (2.0 * W + 1.0) / N)
    return dict(mean=abar, err=err, tau_int=tau, tau_int_err=tau_err, window=W,
                window_found=found)


def write_ensemble(path, model, args, chi, kappa, gamma, obs, cfg_file, nchain, nper, acc):
    import h5py
    tmp = path + ".tmp"
    N = nchain * nper

    def fixed(text):  # fixed-length ASCII string attribute, as mtsi writes them
        return np.bytes_(text.encode("ascii", "replace"))

    with h5py.File(tmp, "w") as f:
        f.attrs["kind"] = fixed("mcmc")
        f.attrs["L"] = model.L
        f.attrs["dim"] = 2
        f.attrs["chi"] = chi
        f.attrs["kappa"] = kappa
        f.attrs["gamma"] = gamma
        f.attrs["field_h"] = 0.0
        f.attrs["quad_a"] = 0.0
        f.attrs["sampler"] = fixed("torch-hmc")
        f.attrs["seed"] = args.seed
        f.attrs["mtsi_version"] = fixed("none (bench/torch_hmc.py, torch %s)" % torch.__version__)
        f.attrs["command_line"] = fixed(" ".join(sys.argv))
        f.attrs["n_chains"] = nchain
        f.attrs["therm"] = args.therm
        f.attrs["thin"] = args.thin
        f.attrs["eps"] = args.eps
        f.attrs["nleap"] = args.nleap
        f.attrs["acceptance"] = acc
        f.attrs["dtype"] = fixed(args.dtype)
        # configurations, chain-major, copied from the raw scratch file
        raw = np.memmap(cfg_file, dtype=np.float32, mode="r", shape=(nper, nchain, model.L, model.L))
        d = f.create_dataset("configs", (N, model.L, model.L), dtype="f4",
                             chunks=(1, model.L, model.L))
        for c in range(nchain):
            d[c * nper:(c + 1) * nper] = raw[:, c]
        del raw
        g = f.create_group("observables")
        for name, x in zip(["m", "abs_m", "m2", "m4", "energy", "ghat0", "ghat1"], obs):
            g.create_dataset(name, data=np.ascontiguousarray(x.T).reshape(-1))
        f.create_dataset("chain", data=np.repeat(np.arange(nchain, dtype=np.int64), nper))
    os.replace(tmp, path)


def run(args):
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    chi, kappa, gamma = couplings(args)
    model = Phi4(args.L, chi, kappa, gamma, dtype)
    gen = torch.Generator().manual_seed(args.seed)
    hmc = HMC(model, args.batch, args.eps, args.nleap, gen)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.therm):
        hmc.trajectory()
    t_therm = time.perf_counter() - t0
    c_therm = time.process_time() - c0
    acc_therm = hmc.acc.clone()
    ntraj = args.ntraj
    if ntraj is None:
        per = t_therm / max(args.therm, 1)
        ntraj = max(args.thin * 20, int(args.budget / per))
    nper = ntraj // args.thin
    ntraj = nper * args.thin
    B = args.batch
    obs = [np.empty((nper, B)) for _ in range(7)]
    cfg_file = args.out + ".raw" if args.out else None
    raw = None
    if cfg_file:
        raw = np.memmap(cfg_file, dtype=np.float32, mode="w+", shape=(nper, B, args.L, args.L))
    hmc.acc.zero_()
    hmc.prop = 0
    t_io = c_io = 0.0
    t1, c1 = time.perf_counter(), time.process_time()
    k = 0
    for i in range(ntraj):
        hmc.trajectory()
        if (i + 1) % args.thin == 0:
            ta, ca = time.perf_counter(), time.process_time()
            for j, x in enumerate(observables(model, hmc.phi)):
                obs[j][k] = x
            if raw is not None:
                raw[k] = hmc.phi.float().numpy()
            t_io += time.perf_counter() - ta
            c_io += time.process_time() - ca
            k += 1
    t_prod = time.perf_counter() - t1
    c_prod = time.process_time() - c1
    acc = (hmc.acc.double() / hmc.prop).numpy()
    gm = gamma_method([obs[1][:, c] for c in range(B)])
    res = dict(L=args.L, batch=B, dtype=args.dtype, threads=torch.get_num_threads(),
               eps=args.eps, nleap=args.nleap, therm=args.therm, thin=args.thin,
               ntraj=ntraj, n=nper * B, wall_therm=t_therm, wall_prod=t_prod,
               wall_measure=t_io, wall_prod_hmc=t_prod - t_io,
               cpu_therm=c_therm, cpu_prod=c_prod, cpu_measure=c_io,
               cpu_prod_hmc=c_prod - c_io,
               acceptance=float(acc.mean()),
               acceptance_therm=float(acc_therm.double().mean() / max(args.therm, 1)),
               abs_m=gm)
    if args.out:
        raw.flush()
        del raw
        t2 = time.perf_counter()
        write_ensemble(args.out, model, args, chi, kappa, gamma, obs, cfg_file, B, nper,
                       acc)
        os.unlink(cfg_file)
        res["wall_write"] = time.perf_counter() - t2
        res["out"] = args.out
    print(json.dumps(res))


def cost(args):
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    chi, kappa, gamma = couplings(args)
    model = Phi4(args.L, chi, kappa, gamma, dtype)
    gen = torch.Generator().manual_seed(args.seed)
    hmc = HMC(model, args.batch, args.eps, args.nleap, gen)
    for _ in range(3):
        hmc.trajectory()
    n, t = 0, 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    while t < args.min_time or n < 3:
        hmc.trajectory()
        n += 1
        t = time.perf_counter() - t0
    per = t / n
    cper = (time.process_time() - c0) / n
    print(json.dumps(dict(L=args.L, batch=args.batch, dtype=args.dtype,
                          threads=torch.get_num_threads(), trajectories=n,
                          s_per_traj=per, s_per_chain_traj=per / args.batch,
                          cpu_s_per_traj=cper, cpu_s_per_chain_traj=cper / args.batch)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["run", "cost"])
    ap.add_argument("--L", type=int, default=32)
    ap.add_argument("--m2", type=float, default=None)
    ap.add_argument("--lambda", dest="lam", type=float, default=None)
    ap.add_argument("--chi", type=float, default=2.0)
    ap.add_argument("--kappa", type=float, default=-8.0)
    ap.add_argument("--gamma", type=float, default=18.8)
    ap.add_argument("--batch", type=int, default=16, help="chains (batch dimension)")
    ap.add_argument("--eps", type=float, default=0.07)
    ap.add_argument("--nleap", type=int, default=10)
    ap.add_argument("--therm", type=int, default=1000, help="trajectories per chain")
    ap.add_argument("--thin", type=int, default=1, help="trajectories between stored configs")
    ap.add_argument("--ntraj", type=int, default=None, help="production trajectories per chain")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="production wall seconds when --ntraj is not given")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--out", default=None, help="write the ensemble here (HDF5)")
    ap.add_argument("--min-time", type=float, default=1.0, help="cost mode: seconds to time")
    args = ap.parse_args()
    if (args.m2 is None) != (args.lam is None):
        ap.error("--m2 and --lambda go together")
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    if args.mode == "run":
        run(args)
    else:
        cost(args)


if __name__ == "__main__":
    main()
