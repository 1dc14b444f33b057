TITLE CaDynamics: submembrane Ca pool with buffering and first-order extrusion

COMMENT
Published model: the Ca pool of Hay et al. (2011) PLoS Comput Biol 7:e1002107
("CaDynamics_E2", after Destexhe, Contreras, Sejnowski & Steriade 1994), used by the
Allen Cell Types Database perisomatic and all-active models. Ca entering through ica is
spread over a shell of thickness `depth` under the membrane; only the fraction `gamma`
stays free (the rest is buffered); free Ca decays to `minCai` with time constant `decay`.

Equation (cai in mM, t in ms):
    dcai/dt = -10000 gamma ica / (2 F depth) - (cai - minCai) / decay
10000 converts mA/cm2 / (C/mol * um) to mM/ms; F is Faraday's constant in C/mol.
cai starts at minCai (the steady state without Ca influx).
Units: gamma dimensionless; decay in ms; depth in um; minCai in mM.
Temperature: none.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX CaDynamics
    USEION ca READ ica WRITE cai
    RANGE gamma, decay, depth, minCai
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulombs)
    (molar) = (1/liter)
    (mM) = (millimolar)
    (um) = (micron)
}

PARAMETER {
    gamma = 0.05
    decay = 80 (ms)
    depth = 0.1 (um)
    minCai = 1e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
}

STATE {
    cai (mM)
}

INITIAL {
    : start from the resting free Ca level, not from the ion default cai0_ca_ion
    cai = minCai
}

BREAKPOINT {
    SOLVE states METHOD cnexp
}

DERIVATIVE states {
    cai' = -(10000)*(ica*gamma/(2*FARADAY*depth)) - (cai - minCai)/decay
}
