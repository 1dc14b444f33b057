TITLE Im: muscarinic-sensitive, non-inactivating K current (M current)

COMMENT
Published model: M current of bullfrog sympathetic neurons, Adams, Brown & Constanti
(1982) J Physiol 330:537, in the first-order form used by Hay et al. (2011) PLoS Comput
Biol 7:e1002107 ("Im") and the Allen Cell Types Database perisomatic models.

Equations (v in mV, rates in 1/ms):
    alpha_m = 3.3e-3 exp( 2.5 * 0.04 (v + 35))
    beta_m  = 3.3e-3 exp(-2.5 * 0.04 (v + 35))
    m_inf = alpha_m / (alpha_m + beta_m),  tau_m = 1 / ((alpha_m + beta_m) qt)
    ik = gbar m (v - ek)
Units: gbar, g in S/cm2; ik in mA/cm2.
Temperature: qt = 2.3^((celsius - 21)/10).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Im
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
    celsius (degC)
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
    LOCAL qt, am, bm
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    am = 3.3e-3*exp(2.5*0.04*(vm + 35))
    bm = 3.3e-3*exp(-2.5*0.04*(vm + 35))
    mInf = am/(am + bm)
    mTau = 1/((am + bm)*qt)
    UNITSON
}
