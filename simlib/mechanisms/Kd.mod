TITLE Kd: slowly inactivating, D-type (Kv1) K current

COMMENT
Published model: Kv1-mediated D-type K current of layer 5 pyramidal axons,
Foust, Yu, Popovic, Zecevic & McCormick (2011) J Neurosci 31:15490, in the m h form of
the Allen Cell Types Database perisomatic models (Allen Institute 2015 technical white
paper; Gouwens et al. 2018 Nat Commun 9:710).

Equations (v in mV, times in ms):
    m_inf = 1 - 1 / (1 + exp((v + 43)/8))
    tau_m = 1
    h_inf = 1 / (1 + exp((v + 67)/7.3))
    tau_h = 1500
    ik = gbar m h (v - ek)
Units: gbar, g in S/cm2; ik in mA/cm2.
Temperature: none; the published time constants are used at every temperature.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Kd
    USEION k READ ek WRITE ik
    RANGE gbar, g
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE {
    m
    h
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar*m*h
    ik = g*(v - ek)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
    h' = (hInf - h)/hTau
}

INITIAL {
    rates(v)
    m = mInf
    h = hInf
}

PROCEDURE rates(vm (mV)) {
    UNITSOFF
    mInf = 1 - 1/(1 + exp((vm + 43)/8))
    mTau = 1
    hInf = 1/(1 + exp((vm + 67)/7.3))
    hTau = 1500
    UNITSON
}
