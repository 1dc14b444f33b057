TITLE SK: small-conductance Ca-activated K current

COMMENT
Published model: SK2 channels, Koehler, Hirschberg, Bond, Kinzie, Marrion, Maylie &
Adelman (1996) Science 273:1709, as a first-order Ca-gated process with a Hill function
of the internal Ca concentration, as used by Hay et al. (2011) PLoS Comput Biol
7:e1002107 ("SK_E2") and the Allen Cell Types Database perisomatic models.

Equations (cai in mM, times in ms):
    z_inf = 1 / (1 + (0.00043 / cai)^4.8)      (Kd = 0.43 uM, Hill coefficient 4.8)
    tau_z = zTau = 1 ms
    ik = gbar z (v - ek)
cai is raised by 1e-7 mM when below 1e-7 mM, so that z_inf stays defined at cai = 0.
Units: gbar, g in S/cm2; ik in mA/cm2.
Temperature: none.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX SK
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gbar, g, zTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
}

PARAMETER {
    gbar = 0.000001 (S/cm2)
    zTau = 1 (ms)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    cai (mM)
    g (S/cm2)
    zInf
}

STATE {
    z
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar*z
    ik = g*(v - ek)
}

DERIVATIVE states {
    rates(cai)
    z' = (zInf - z)/zTau
}

INITIAL {
    rates(cai)
    z = zInf
}

PROCEDURE rates(ca (mM)) {
    LOCAL c
    UNITSOFF
    c = ca
    if (c < 1e-7) {
        c = c + 1e-7
    }
    zInf = 1/(1 + (0.00043/c)^4.8)
    UNITSON
}
