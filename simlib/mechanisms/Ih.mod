TITLE Ih: hyperpolarisation-activated cation current (HCN)

COMMENT
Published model: Ih of layer 5 pyramidal neuron dendrites, Kole, Hallermann & Stuart
(2006) J Neurosci 26:1677, as used by Hay et al. (2011) PLoS Comput Biol 7:e1002107 and
the Allen Cell Types Database perisomatic models.

Equations (v in mV, rates in 1/ms):
    alpha_m = 0.001 * 6.43 (v + 154.9) / (exp((v + 154.9)/11.9) - 1)
    beta_m  = 0.001 * 193 exp(v/33.1)
    m_inf = alpha_m / (alpha_m + beta_m),  tau_m = 1 / (alpha_m + beta_m)
    ihcn = gbar m (v - ehcn),  ehcn = -45 mV (mixed Na/K reversal potential)
Units: gbar, g in S/cm2; ihcn in mA/cm2 (a non-specific current).
Temperature: none; the published rates are used at every temperature.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Ih
    NONSPECIFIC_CURRENT ihcn
    RANGE gbar, g, ehcn
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    ehcn = -45.0 (mV)
}

ASSIGNED {
    v (mV)
    ihcn (mA/cm2)
    g (S/cm2)
    mInf
    mTau (ms)
}

STATE {
    m
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar*m
    ihcn = g*(v - ehcn)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
}

INITIAL {
    rates(v)
    m = mInf
}

PROCEDURE rates(vm (mV)) {
    LOCAL am, bm
    UNITSOFF
    am = 0.001*6.43*exprel_inv(-(vm + 154.9), 11.9)
    bm = 0.001*193*exp(vm/33.1)
    mInf = am/(am + bm)
    mTau = 1/(am + bm)
    UNITSON
}

FUNCTION exprel_inv(x, k) {
    : x / (1 - exp(-x/k)), continuous through x = 0 where it equals k
    if (fabs(x/k) < 1e-6) {
        exprel_inv = k*(1 + x/k/2)
    } else {
        exprel_inv = x/(1 - exp(-x/k))
    }
}
