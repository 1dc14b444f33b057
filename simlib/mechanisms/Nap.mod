TITLE Nap: persistent Na current

COMMENT
Published model: persistent Na current of entorhinal cortex layer II neurons,
Magistretti & Alonso (1999) J Gen Physiol 114:491, as adapted for cortical pyramidal
neurons by Hay et al. (2011) PLoS Comput Biol 7:e1002107 ("Nap_Et2") and used in the
Allen Cell Types Database perisomatic models (Allen Institute 2015 technical white paper;
Gouwens et al. 2018 Nat Commun 9:710). Activation is taken as instantaneous (the Allen
form), inactivation is slow.

Equations (v in mV, rates in 1/ms):
    m_inf   = 1 / (1 + exp(-(v + 52.6)/4.6))                  (instantaneous)
    h_inf   = 1 / (1 + exp((v + 48.8)/10))
    alpha_h = 2.88e-6 (v + 17) / (exp((v + 17)/4.63) - 1)
    beta_h  = 6.94e-6 (v + 64.4) / (1 - exp(-(v + 64.4)/2.63))
    tau_h   = 1 / ((alpha_h + beta_h) qt)
    ina = gbar m_inf h (v - ena)
Units: gbar, g in S/cm2; ina in mA/cm2.
Temperature: qt = 2.3^((celsius - 21)/10).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Nap
    USEION na READ ena WRITE ina
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
    ena (mV)
    ina (mA/cm2)
    celsius (degC)
    g (S/cm2)
    mInf
    hInf
    hTau (ms)
}

STATE {
    h
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    rates(v)
    g = gbar*mInf*h
    ina = g*(v - ena)
}

DERIVATIVE states {
    rates(v)
    h' = (hInf - h)/hTau
}

INITIAL {
    rates(v)
    h = hInf
}

PROCEDURE rates(vm (mV)) {
    LOCAL qt, ah, bh
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    mInf = 1/(1 + exp(-(vm + 52.6)/4.6))
    hInf = 1/(1 + exp((vm + 48.8)/10))
    ah = 2.88e-6*exprel_inv(-(vm + 17), 4.63)
    bh = 6.94e-6*exprel_inv(vm + 64.4, 2.63)
    hTau = 1/((ah + bh)*qt)
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
