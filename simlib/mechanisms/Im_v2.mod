TITLE Im_v2: M current (Kv7/KCNQ) of hippocampal pyramidal neurons

COMMENT
Published model: Kv7/KCNQ/M current of CA1 pyramidal neurons, Vervaeke, Gu, Agdestein,
Hu & Storm (2006) J Physiol 576:235, an Eyring-type gate with valence z = 6 and
asymmetry 0.4, as used by the Allen Cell Types Database perisomatic models (Allen
Institute 2015 technical white paper; Gouwens et al. 2018 Nat Commun 9:710).

Equations (v in mV, rates in 1/ms; 26.12 mV = RT/F at 30 degC):
    alpha_m = 0.007 exp( 6 * 0.4       (v + 48) / 26.12)
    beta_m  = 0.007 exp(-6 * (1 - 0.4) (v + 48) / 26.12)
    m_inf = alpha_m / (alpha_m + beta_m),  tau_m = (15 + 1/(alpha_m + beta_m)) / qt
    ik = gbar m (v - ek)
Units: gbar, g in S/cm2; ik in mA/cm2.
Temperature: qt = 2.3^((celsius - 30)/10).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Im_v2
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
    qt = 2.3^((celsius - 30)/10)
    am = 0.007*exp(6*0.4*(vm + 48)/26.12)
    bm = 0.007*exp(-6*(1 - 0.4)*(vm + 48)/26.12)
    mInf = am/(am + bm)
    mTau = (15 + 1/(am + bm))/qt
    UNITSON
}
