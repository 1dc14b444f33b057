TITLE NaTs: fast inactivating (transient) Na current, somatic variant

COMMENT
Published model: transient Na current of layer 5 pyramidal neurons, Colbert & Pan (2002)
Nat Neurosci 5:533, in the Hodgkin-Huxley form m^3 h used for the soma by Hay, Hill,
Schuermann, Markram & Segev (2011) PLoS Comput Biol 7:e1002107 ("NaTs2_t"), with the
half-activation voltages and reference temperature of the Allen Cell Types Database
perisomatic models (Allen Institute 2015 technical white paper; Gouwens et al. 2018
Nat Commun 9:710).

Equations (v in mV, rates in 1/ms):
    alpha_m = 0.182 (v - Vm) / (1 - exp(-(v - Vm)/6)),   Vm = -40 mV
    beta_m  = 0.124 (Vm - v) / (1 - exp(-(Vm - v)/6))
    alpha_h = 0.015 (Vh - v) / (1 - exp(-(Vh - v)/6)),   Vh = -66 mV
    beta_h  = 0.015 (v - Vh) / (1 - exp(-(v - Vh)/6))
    x_inf = alpha_x / (alpha_x + beta_x),  tau_x = 1 / ((alpha_x + beta_x) qt)
    ina = gbar m^3 h (v - ena)
Units: gbar, g in S/cm2; ina in mA/cm2.
Temperature: qt = 2.3^((celsius - 23)/10) (Q10 = 2.3, reference temperature 23 degC).
Removable singularities of x/(1 - exp(-x/k)) are evaluated by a series expansion.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX NaTs
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
    vhalf_m = -40 (mV)
    vhalf_h = -66 (mV)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
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
    g = gbar*m*m*m*h
    ina = g*(v - ena)
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
    LOCAL qt, am, bm, ah, bh
    UNITSOFF
    qt = 2.3^((celsius - 23)/10)
    am = 0.182*exprel_inv(vm - vhalf_m, 6)
    bm = 0.124*exprel_inv(vhalf_m - vm, 6)
    ah = 0.015*exprel_inv(vhalf_h - vm, 6)
    bh = 0.015*exprel_inv(vm - vhalf_h, 6)
    mInf = am/(am + bm)
    mTau = 1/((am + bm)*qt)
    hInf = ah/(ah + bh)
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
