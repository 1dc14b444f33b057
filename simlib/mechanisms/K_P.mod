TITLE K_P: persistent (slowly inactivating) K current

COMMENT
Published model: slow, persistent K current of layer 5 pyramidal neurons measured in
nucleated patches, Korngreen & Sakmann (2000) J Physiol 525:621, in the m^2 h form used
by Hay et al. (2011) PLoS Comput Biol 7:e1002107 ("K_Pst") and the Allen Cell Types
Database perisomatic models (Allen Institute 2015 technical white paper).

Equations (v in mV, times in ms), with vs = vshift:
    m_inf = 1 / (1 + exp(-(v - (-14.3 + vs))/14.6))
    tau_m = tauF (1.25 + 175.03 exp( 0.026 (v - vs))) / qt   for v < -50 + vs
          = tauF (1.25 +  13    exp(-0.026 (v - vs))) / qt   otherwise
    h_inf = 1 / (1 + exp((v - (-54 + vs))/11))
    tau_h = (360 + (1010 + 24 (v - (-55 + vs))) exp(-((v - (-75 + vs))/48)^2)) / qt
    ik = gbar m^2 h (v - ek)
Units: gbar, g in S/cm2; ik in mA/cm2.
Temperature: qt = 2.3^((celsius - 21)/10).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX K_P
    USEION k READ ek WRITE ik
    RANGE gbar, g, vshift, tauF
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    vshift = 0 (mV)
    tauF = 1
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
    g = gbar*m*m*h
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
    mInf = 1/(1 + exp(-(vm - (-14.3 + vshift))/14.6))
    if (vm < -50 + vshift) {
        mTau = tauF*(1.25 + 175.03*exp(0.026*(vm - vshift)))/qt
    } else {
        mTau = tauF*(1.25 + 13*exp(-0.026*(vm - vshift)))/qt
    }
    hInf = 1/(1 + exp((vm - (-54 + vshift))/11))
    hTau = (360 + (1010 + 24*(vm - (-55 + vshift)))*exp(-((vm - (-75 + vshift))/48)^2))/qt
    UNITSON
}
