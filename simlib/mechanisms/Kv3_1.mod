TITLE Kv3_1: fast, non-inactivating Kv3.1 (Shaw-related) K current

COMMENT
Published model: Kv3.1 channels expressed heterologously, Rettig, Wunder, Stocker,
Lichtinghagen, Mastiaux, Beckh, Kues, Pedarzani, Schroeter, Ruppersberg, Veh & Pongs
(1992) EMBO J 11:2473, in the first-order form used by Hay et al. (2011) PLoS Comput
Biol 7:e1002107 ("SKv3_1") and the Allen Cell Types Database perisomatic models.

Equations (v in mV, times in ms), with vs = vshift:
    m_inf = 1 / (1 + exp(-(v - (18.7 + vs))/9.7))
    tau_m = 0.2 * 20 / (1 + exp(-(v - (-46.56 + vs))/44.14))
    ik = gbar m (v - ek)
Units: gbar, g in S/cm2; ik in mA/cm2.
Temperature: none; the published time constants are used at every temperature.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Kv3_1
    USEION k READ ek WRITE ik
    RANGE gbar, g, vshift
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    vshift = 0 (mV)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
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
    ik = g*(v - ek)
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
    UNITSOFF
    mInf = 1/(1 + exp(-(vm - (18.7 + vshift))/9.7))
    mTau = 0.2*20/(1 + exp(-(vm - (-46.56 + vshift))/44.14))
    UNITSON
}
