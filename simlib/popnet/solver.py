"""Population-density solver for leaky integrate-and-fire populations (the method DiPDE implements).

Each internal population is the probability mass of its neurons' membrane potential on a voltage
grid (:mod:`simlib.popnet.grid`). Over one step ``dt`` with the input rates held fixed, the mass
evolves by the leak and by Poisson synaptic jumps; the mass that crosses threshold is re-injected
at the reset and, divided by ``dt``, is the population's firing rate over the step. The two
processes are combined by Strang splitting: leak for dt/2 (exact along the characteristics, a
fixed sparse matrix), jumps for dt, leak for dt/2. The jump part is the generator
``G = sum_c lambda_c (T_c - I)`` (T_c: one event of connection c, lambda_c = nsyns × source rate)
and is stepped per population's ``update_method``:

``approx`` (default)
    the series of ``exp(dt G)`` by uniformization, ``sum_n Poisson(n; q dt) Tq^n`` with
    ``Tq = I + G/q`` stochastic (q the largest total input rate): every term is non-negative, so
    the series is stable at any ``dt``; ``approx_order`` terms, or as many as keep the dropped
    Poisson tail below ``tol`` (the tail's weight goes to the last term, so mass is exact).
``exact``
    ``scipy.sparse.linalg.expm_multiply`` of ``dt G`` (slow; a reference).
``gmres``
    backward Euler, ``(I - dt G) p' = p``, as DiPDE's default for BMTK's model files; solved with a
    sparse LU factorisation instead of GMRES, whose tolerance would leak mass.

Populations with the same update method are stacked into one block-diagonal system, so a step costs
a few sparse products whatever the number of populations. Internal sources drive their targets
with their rate of an earlier step (delay rounded to whole steps, at least one: the coupling is
explicit).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from simlib.popnet import grid
from simlib.popnet.model import PopulationNetwork, PopulationRates
from simlib.popnet.params import LIFPopulation

try:        # scipy's compiled CSR product, called without its Python dispatch; public API as a fallback
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:     # pragma: no cover
    _csr_matvec = None

log = logging.getLogger("simlib.popnet")

MAX_POISSON_MEAN = 30.0     # larger q·dt: the step is split in sub-steps (keeps exp(-q dt) far from underflow)


def solve(network: PopulationNetwork, tstop_s: float, dt_s: float) -> PopulationRates:
    """Run the density solver on ``network`` from 0 to ``tstop_s`` in steps of ``dt_s`` (s).

    Returns
    -------
    PopulationRates
        Per step: each internal population's mean firing rate (Hz) and its total mass (1 up to
        rounding; the test of conservation).
    """
    n_steps = int(round(tstop_s / dt_s))
    inputs = network.input_rates(dt_s, n_steps)
    blocks = _blocks(network, dt_s)
    history = np.zeros((n_steps, network.n_internal))
    mass = np.zeros((n_steps, network.n_internal))
    for step in range(n_steps):
        lam = inputs.at(step, history)
        for block in blocks:
            crossings = block.step(lam[block.channels])
            history[step, block.pops] = crossings / dt_s
            mass[step, block.pops] = block.mass()
    times = (np.arange(n_steps) + 1) * dt_s
    return PopulationRates(times, history, list(network.internal_names), dt_s, mass)


def _blocks(network: PopulationNetwork, dt_s: float) -> list["Block"]:
    """One block per update method (and its order/tol), holding the connections onto its populations."""
    target = network.channels()["target"]
    weight = network.channels()["weight_v"]
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(network.internal):
        groups.setdefault((p.update_method, p.approx_order, p.tol), []).append(i)
    blocks = []
    for (method, order, tol), pops in groups.items():
        channels = np.flatnonzero(np.isin(target, pops))
        local = np.searchsorted(pops, target[channels])
        blocks.append(Block([network.internal[i] for i in pops], pops, channels, local, weight[channels], dt_s,
                            method, order, tol))
    return blocks


class Block:
    """Internal populations stepped together: stacked bin masses and block-diagonal sparse operators.

    Parameters
    ----------
    params : the populations' parameters.
    pops : their indices among the network's internal populations.
    channels : indices of the connections that target them; ``local``: each one's target in ``params``;
        ``weight_v``: each one's jump (V).
    dt_s : the step (s).
    method, order, tol : the update method and its series settings.
    """

    def __init__(self, params: Sequence[LIFPopulation], pops: Sequence[int], channels: np.ndarray,
                 local: np.ndarray, weight_v: np.ndarray, dt_s: float, method: str, order: int | None, tol: float):
        self.params, self.pops, self.channels = list(params), np.asarray(pops), channels
        self.dt, self.method, self.order, self.tol = dt_s, method, order, tol
        sizes = np.array([p.n_bins for p in self.params])
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.n = int(self.offsets[-1])
        self.state = np.concatenate([grid.initial_state(p) for p in self.params])
        self.leak_half, self.leak_half_fires = self._build_leak(dt_s / 2)
        self.leak_full, self.leak_full_fires = self._build_leak(dt_s)
        self._leak_ahead = False
        self._warned = False
        self._terms = np.empty((0, self.n))
        self._build_jumps(local, weight_v)

    # --- construction ------------------------------------------------------------------------------

    def _build_leak(self, h_s: float) -> tuple:
        """The leak over ``h_s`` (block-diagonal CSR) and the fraction of each bin it fires (None: none)."""
        rows, cols, vals, fire_rows, fire_cols, fire_vals = [], [], [], [], [], []
        for j, p in enumerate(self.params):
            to, frm, frac, fires = grid.leak_entries(p, h_s)
            off = self.offsets[j]
            rows.append(to + off), cols.append(frm + off), vals.append(frac)
            hit = np.flatnonzero(fires)
            fire_rows.append(np.full(hit.size, j)), fire_cols.append(hit + off), fire_vals.append(fires[hit])
        leak = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(self.n, self.n))
        fires = np.concatenate(fire_vals)
        return leak, None if not fires.size else sp.csr_matrix(
            (fires, (np.concatenate(fire_rows), np.concatenate(fire_cols))), shape=(len(self.params), self.n))

    def _build_jumps(self, local: np.ndarray, weight_v: np.ndarray) -> None:
        """Tq = I + sum_(pop,k) rho_(pop,k) (R_k - I) with data = base + C @ rho, rho = S @ (lambda / q).

        (pop, k): a population and a whole-bin shift k; S splits each connection's rate over its
        two shifts k, k+1 (fractions 1-f, f); R_k moves every bin of pop by k bins (see
        :func:`grid.shift_entries`). The sparsity pattern is fixed, only the data change per step.
        """
        keys, s_rows, s_cols, s_vals = {}, [], [], []
        for c, (j, w) in enumerate(zip(local.tolist(), weight_v.tolist())):
            k, f = grid.jump_split(self.params[j], w)
            for kk, frac in ((k, 1.0 - f), (k + 1, f)):
                if frac > 0.0:
                    s_rows.append(keys.setdefault((j, kk), len(keys))), s_cols.append(c), s_vals.append(frac)
        self.split = sp.csr_matrix((s_vals, (s_rows, s_cols)), shape=(len(keys), len(local)))
        self.key_pop = np.array([j for j, _ in keys], dtype=np.int64)
        # entries of every R_k - I (tagged with their key) and of the identity (tag -1)
        diag = np.arange(self.n)
        rows, cols, vals, tags = [diag], [diag], [np.ones(self.n)], [np.full(self.n, -1)]
        f_rows, f_cols, f_tags = [], [], []
        for key, (j, k) in enumerate(keys):
            to, frm, frac, fires = grid.shift_entries(self.params[j], k)
            off = self.offsets[j]
            n_j = self.params[j].n_bins
            rows += [to + off, np.arange(n_j) + off]
            cols += [frm + off, np.arange(n_j) + off]
            vals += [frac, -np.ones(n_j)]
            tags += [np.full(to.size + n_j, key)]
            hit = np.flatnonzero(fires)
            f_rows.append(np.full(hit.size, j)), f_cols.append(hit + off), f_tags.append(np.full(hit.size, key))
        self.jump, self.base, self.coef = _pattern(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                                                   np.concatenate(tags), (self.n, self.n), len(keys))
        n_f = sum(x.size for x in f_rows)
        self.fires, _, self.fires_coef = _pattern(
            np.concatenate(f_rows) if n_f else np.zeros(0, np.int64), np.concatenate(f_cols) if n_f else
            np.zeros(0, np.int64), np.ones(n_f), np.concatenate(f_tags) if n_f else np.zeros(0, np.int64),
            (len(self.params), self.n), len(keys))

    # --- stepping ----------------------------------------------------------------------------------

    def mass(self) -> np.ndarray:
        """Total mass of each population."""
        return np.add.reduceat(self.state, self.offsets[:-1])

    def step(self, lam_hz: np.ndarray) -> np.ndarray:
        """Advance one step with connection input rates ``lam_hz`` (nsyns × rate, Hz); return each
        population's expected threshold crossings per neuron during the step.

        Strang splitting with the half steps of leak of consecutive steps merged: the state is kept
        half a step of leak ahead (one leak product per step), jumps for dt, then leak for dt.
        """
        crossings = np.zeros(len(self.params))
        if not self._leak_ahead:
            crossings += self._leak(self.leak_half, self.leak_half_fires)
            self._leak_ahead = True
        rate_by_key = np.empty(self.split.shape[0])
        _matvec(self.split, lam_hz, rate_by_key)
        total = np.bincount(self.key_pop, weights=rate_by_key, minlength=len(self.params))
        q = float(total.max()) if total.size else 0.0
        if q > 0.0:
            if q * self.dt > MAX_POISSON_MEAN and not self._warned:
                self._warned = True
                log.warning("input rates of %.3g Hz x dt %g s: %.0f synaptic events per step; the step needs many "
                            "series terms (a network running away? LIF populations here have no refractory period)",
                            q, self.dt, q * self.dt)
            if self.method == "approx":
                crossings += self._series(rate_by_key / q, q * self.dt)
            elif self.method == "exact":
                crossings += self._expm(rate_by_key)
            else:
                crossings += self._backward_euler(rate_by_key)
        return crossings + self._leak(self.leak_full, self.leak_full_fires)

    def _leak(self, matrix, fires) -> np.ndarray:
        fired = np.zeros(len(self.params)) if fires is None else fires @ self.state
        new = np.empty(self.n)
        _matvec(matrix, self.state, new)
        self.state = new
        return fired

    def _set(self, rho: np.ndarray) -> None:
        _matvec(self.coef, rho, self.jump.data)
        self.jump.data += self.base
        _matvec(self.fires_coef, rho, self.fires.data)

    def _series(self, rho: np.ndarray, mean: float) -> np.ndarray:
        """exp(mean (Tq - I)) applied to the state by its Poisson series; expected crossings."""
        self._set(rho)
        substeps = max(1, math.ceil(mean / MAX_POISSON_MEAN))
        weights, tails = poisson_weights(mean / substeps, self.tol, self.order)
        if self._terms.shape[0] < weights.size:
            self._terms = np.empty((weights.size, self.n))
        terms = self._terms[:weights.size]
        crossings = np.zeros(len(self.params))
        for _ in range(substeps):
            terms[0] = self.state
            for i in range(1, weights.size):
                _matvec(self.jump, terms[i - 1], terms[i])
            # an event fires the mass it moves past threshold; P(N > n) events follow the n-th term.
            # einsum, not matmul: OpenBLAS's gemv/gemm on this (terms x bins) shape is 10-20x slower
            state, tail = np.einsum("ki,ij->kj", np.stack([weights, tails]), terms)
            crossings += self.fires @ tail
            self.state = state
        return crossings

    def _generator(self, rate_by_key: np.ndarray):
        """G = sum lambda (R_k - I) (1/s) and the firing-rate rows F (crossings per s per unit mass)."""
        self._set(rate_by_key)
        g = self.jump.copy()
        g.data -= self.base
        return g, self.fires

    def _expm(self, rate_by_key: np.ndarray) -> np.ndarray:
        from scipy.sparse.linalg import expm_multiply

        g, f = self._generator(rate_by_key)
        m = len(self.params)
        # augmented with one counter per population integrating its firing rate
        aug = sp.bmat([[g, None], [f, sp.csr_matrix((m, m))]], format="csr")
        out = expm_multiply(aug * self.dt, np.concatenate([self.state, np.zeros(m)]))
        self.state = out[:self.n]
        return out[self.n:]

    def _backward_euler(self, rate_by_key: np.ndarray) -> np.ndarray:
        from scipy.sparse.linalg import splu

        g, f = self._generator(rate_by_key)
        system = (sp.identity(self.n, format="csc") - self.dt * g).tocsc()
        self.state = splu(system).solve(self.state)
        return self.dt * (f @ self.state)


def _matvec(a, x: np.ndarray, out: np.ndarray) -> None:
    """out = a @ x for a CSR matrix, without scipy's per-call dispatch (a quarter of a small step's time)."""
    out.fill(0.0)
    if _csr_matvec is None:
        out += a @ x
    else:
        _csr_matvec(a.shape[0], a.shape[1], a.indptr, a.indices, a.data, x, out)


def _pattern(rows, cols, vals, tags, shape, n_keys):
    """A CSR matrix on the union pattern of tagged entries, with data = base + coef @ rho.

    Entries tagged -1 are constant (``base``); an entry tagged k contributes ``val * rho[k]``.
    """
    lin = rows.astype(np.int64) * shape[1] + cols
    positions, where = np.unique(lin, return_inverse=True)
    where = where.ravel()
    const = tags < 0
    base = np.bincount(where[const], weights=vals[const], minlength=positions.size).astype(float)
    coef = sp.csr_matrix((vals[~const], (where[~const], tags[~const])), shape=(positions.size, n_keys))
    indptr = np.searchsorted(positions // shape[1], np.arange(shape[0] + 1))
    matrix = sp.csr_matrix((base.copy(), positions % shape[1], indptr), shape=shape)
    matrix.has_sorted_indices = True
    return matrix, base, coef


def poisson_weights(mean: float, tol: float, order: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the terms 0..N of a Poisson(mean) series and P(N_capped > n), with the tail beyond N
    given to the last term (so the weights sum to 1 exactly).

    N is ``order`` if given, else the smallest N whose dropped tail P(X > N) is below ``tol``.
    """
    key = (mean, tol, order)
    if key == _last_weights[0]:
        return _last_weights[1]
    term = math.exp(-mean)
    pmf, cdf = [term], term
    while len(pmf) <= (order or 0) or (order is None and 1.0 - cdf > tol and len(pmf) < 100_000):
        term *= mean / len(pmf)
        pmf.append(term)
        cdf += term
    pmf[-1] = max(0.0, 1.0 - (cdf - pmf[-1]))
    tails, above = [], 0.0
    for w in reversed(pmf):
        tails.append(above)
        above += w
    result = (np.array(pmf), np.array(tails[::-1]))
    _last_weights[:] = [key, result]
    return result


_last_weights: list = [None, None]    # the last series weights: constant input rates reuse them every step
