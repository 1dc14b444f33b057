TITLE Ca_HVA: high-voltage-activated Ca current

COMMENT
Published model: high-voltage-activated Ca current of neocortical pyramidal neurons,
Reuveni, Friedman, Amitai & Gutnick (1993) J Neurosci 13:4609, in the m^2 h form used by
Hay et al. (2011) PLoS Comput Biol 7:e1002107 ("Ca_HVA") and the Allen Cell Types
Database perisomatic models.

Equations (v in mV, rates in 1/ms):
    alpha_m = 0.055 (-27 - v) / (exp((-27 - v)/3.8) - 1)
    beta_m  = 0.94 exp((-75 - v)/17)
    alpha_h = 0.000457 exp((-13 - v)/50)
    beta_h  = 0.0065 / (exp((-v - 15)/28) + 1)
    x_inf = alpha_x / (alpha_x + beta_x),  tau_x = 1 / (alpha_x + beta_x)
    ica = gbar m^2 h (v - eca)
Units: gbar, g in S/cm2; ica in mA/cm2.
Temperature: none; the published rates are used at every temperature.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Ca_HVA
    USEION ca READ eca WRITE ica
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
    eca (mV)
    ica (mA/cm2)
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
    g = gbar*m*m*h
    ica = g*(v - eca)
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
    LOCAL am, bm, ah, bh
    UNITSOFF
    am = 0.055*exprel_inv(vm + 27, 3.8)
    bm = 0.94*exp((-75 - vm)/17)
    ah = 0.000457*exp((-13 - vm)/50)
    bh = 0.0065/(exp((-vm - 15)/28) + 1)
    mInf = am/(am + bm)
    mTau = 1/(am + bm)
    hInf = ah/(ah + bh)
    hTau = 1/(ah + bh)
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
