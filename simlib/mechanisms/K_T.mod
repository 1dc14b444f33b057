TITLE K_T: fast inactivating (transient, A-type) K current

COMMENT
Published model: fast transient K current of layer 5 pyramidal neurons measured in
nucleated patches, Korngreen & Sakmann (2000) J Physiol 525:621, in the m^4 h form used
by Hay et al. (2011) PLoS Comput Biol 7:e1002107 ("K_Tst") and the Allen Cell Types
Database perisomatic models (Allen Institute 2015 technical white paper).

Equations (v in mV, times in ms), with vs = vshift:
    m_inf = 1 / (1 + exp(-(v - (-47 + vs))/29))
    tau_m = (0.34 + mTauF 0.92 exp(-((v + 71 - vs)/59)^2)) / qt
    h_inf = 1 / (1 + exp((v - (-66 + vs))/10))
    tau_h = (8 + hTauF 49 exp(-((v + 73 - vs)/23)^2)) / qt
    ik = gbar m^4 h (v - ek)
Units: gbar, g in S/cm2; ik in mA/cm2.
Temperature: qt = 2.3^((celsius - 21)/10).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX K_T
    USEION k READ ek WRITE ik
    RANGE gbar, g, vshift, mTauF, hTauF
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    vshift = 0 (mV)
    mTauF = 1
    hTauF = 1
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
    hTau (ms)
}

STATE {
    m
    h
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    g = gbar*m*m*m*m*h
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
    LOCAL qt
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    mInf = 1/(1 + exp(-(vm - (-47 + vshift))/29))
    mTau = (0.34 + mTauF*0.92*exp(-((vm + 71 - vshift)/59)^2))/qt
    hInf = 1/(1 + exp((vm - (-66 + vshift))/10))
    hTau = (8 + hTauF*49*exp(-((vm + 73 - vshift)/23)^2))/qt
    UNITSON
}
