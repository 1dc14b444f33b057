TITLE Kv2like: slow delayed-rectifier K current (Kv2-like)

COMMENT
Published model: Kv2-like slowly inactivating K current of layer 5 pyramidal neurons,
Keren, Peled & Korngreen (2005) J Neurophysiol 94:3730 (activation), with the two
inactivation processes of the persistent K current of Korngreen & Sakmann (2000)
J Physiol 525:621, as formulated for the Allen Cell Types Database perisomatic models
(Allen Institute 2015 technical white paper; Gouwens et al. 2018 Nat Commun 9:710).

Equations (v in mV, times in ms):
    alpha_m = 0.12 (43 - v) / (exp((43 - v)/11) - 1)
    beta_m  = 0.02 exp(-(v + 1.27)/120)
    m_inf = alpha_m / (alpha_m + beta_m),  tau_m = 2.5 / ((alpha_m + beta_m) qt)
    h_inf = 1 / (1 + exp((v + 58)/11))                      (both h1 and h2)
    tau_h1 = (360 + (1010 + 23.7 (v + 54)) exp(-((v + 75)/48)^2)) / qt
    tau_h2 = (2350 + 1380 exp(-0.011 v) - 210 exp(-0.03 v)) / qt   (>= 1e-3 ms)
    ik = gbar m^2 (0.5 h1 + 0.5 h2) (v - ek)
Units: gbar, g in S/cm2; ik in mA/cm2.
Temperature: qt = 2.3^((celsius - 21)/10).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Kv2like
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
    hInf
    h1Tau (ms)
    h2Tau (ms)
}

STATE {
    m
    h1
    h2
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar*m*m*(0.5*h1 + 0.5*h2)
    ik = g*(v - ek)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
    h1' = (hInf - h1)/h1Tau
    h2' = (hInf - h2)/h2Tau
}

INITIAL {
    rates(v)
    m = mInf
    h1 = hInf
    h2 = hInf
}

PROCEDURE rates(vm (mV)) {
    LOCAL qt, am, bm
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    am = 0.12*exprel_inv(vm - 43, 11)
    bm = 0.02*exp(-(vm + 1.27)/120)
    mInf = am/(am + bm)
    mTau = 2.5/((am + bm)*qt)
    hInf = 1/(1 + exp((vm + 58)/11))
    h1Tau = (360 + (1010 + 23.7*(vm + 54))*exp(-((vm + 75)/48)^2))/qt
    h2Tau = (2350 + 1380*exp(-0.011*vm) - 210*exp(-0.03*vm))/qt
    if (h2Tau < 1e-3) {
        h2Tau = 1e-3
    }
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
