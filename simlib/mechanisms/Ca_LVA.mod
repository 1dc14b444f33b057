TITLE Ca_LVA: low-voltage-activated (T-type) Ca current

COMMENT
Published model: low-voltage-activated Ca current, Avery & Johnston (1996) J Neurosci
16:5567 and Randall & Tsien (1997) Neuropharmacology 36:879, in the m^2 h form used by
Hay et al. (2011) PLoS Comput Biol 7:e1002107 ("Ca_LVAst", voltage shifted by +10 mV
for the liquid junction potential) and the Allen Cell Types Database perisomatic models.

Equations (v in mV, times in ms), with u = v + 10:
    m_inf = 1 / (1 + exp(-(u + 30)/6))
    tau_m = (5 + 20 / (1 + exp((u + 25)/5))) / qt
    h_inf = 1 / (1 + exp((u + 80)/6.4))
    tau_h = (20 + 50 / (1 + exp((u + 40)/7))) / qt
    ica = gbar m^2 h (v - eca)
Units: gbar, g in S/cm2; ica in mA/cm2.
Temperature: qt = 2.3^((celsius - 21)/10).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX Ca_LVA
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
    celsius (degC)
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
    LOCAL qt, u
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    u = vm + 10
    mInf = 1/(1 + exp(-(u + 30)/6))
    mTau = (5 + 20/(1 + exp((u + 25)/5)))/qt
    hInf = 1/(1 + exp((u + 80)/6.4))
    hTau = (20 + 50/(1 + exp((u + 40)/7)))/qt
    UNITSON
}
