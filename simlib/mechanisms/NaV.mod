TITLE NaV: 12-state Markov model of the mouse neuronal Na channel

COMMENT
Published model: the Na channel model of Carter, Giessel, Sabatini & Bean (2012) Neuron
75:1081 ("Transient sodium current at subthreshold voltages: activation by EPSP
waveforms"), fit to 37 degC recordings from mouse CA1 pyramidal neurons; it has the
allosteric structure of Raman & Bean (2001) Biophys J 80:729 without the open-channel
block state. Used by the Allen Cell Types Database models (Gouwens et al. 2018 Nat
Commun 9:710).

States: closed C1..C5, open O, inactivated I1..I6, forward,backward rates:
    C1 <-> C2 <-> C3 <-> C4 <-> C5 <-> O     4a,b  3a,2b  2a,3b  a,4b  g,d
    I1 <-> I2 <-> I3 <-> I4 <-> I5 <-> I6    4aA,b/B  3aA,2b/B  2aA,3b/B  aA,4b/B  g,d
    Ck <-> Ik: Con A^(k-1), Coff / B^(k-1)  (k = 1..5);   O <-> I6: Oon, Ooff
with a = alpha exp(v/x1), b = beta exp(v/x2), g = gamma, d = delta, A = alfac, B = btfac.
Rate constants (1/ms at 37 degC): alpha = 400, x1 = 24 mV, beta = 12, x2 = -24 mV,
gamma = 250, delta = 60, Con = 0.01, Coff = 40, Oon = 8, Ooff = 0.05, alfac = 2.51,
btfac = 5.32.
    ina = gbar O (v - ena)

The Markov scheme is written as explicit ODEs for the occupancies rather than a KINETIC
block, so that the CoreNEURON code generator needs no sparse kinetic solver. C1 is not a
state: C1 = 1 - sum(others), which conserves total probability exactly; derivimplicit
integrates the coupled linear system with backward Euler, the method NEURON uses for
KINETIC blocks.
With the published alfac and btfac the scheme is not in detailed balance, so INITIAL finds
the steady state by block elimination over the six (Ck, Ik) columns of the ladder
(a Schur complement that keeps every intermediate rate positive, hence stable).
BMTK's compiled NaV instead starts away from this steady state and relaxes within ~2 ms;
simlib deliberately starts at it (the dynamics after that agree to ~1e-14).
Units: gbar, g in S/cm2; ina in mA/cm2.
Temperature: every rate is multiplied by qt = 2.3^((celsius - 37)/10).
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX NaV
    USEION na READ ena WRITE ina
    RANGE gbar, g, C1
    GLOBAL Con, Coff, Oon, Ooff, alpha, beta, gamma, delta, alfac, btfac, x1, x2
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gbar = 0.00001 (S/cm2)
    Con = 0.01 (/ms)
    Coff = 40 (/ms)
    Oon = 8 (/ms)
    Ooff = 0.05 (/ms)
    alpha = 400 (/ms)
    beta = 12 (/ms)
    gamma = 250 (/ms)
    delta = 60 (/ms)
    alfac = 2.51
    btfac = 5.32
    x1 = 24 (mV)
    x2 = -24 (mV)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    celsius (degC)
    g (S/cm2)
    C1
    : transition rates (1/ms) at the current voltage and temperature
    ka (/ms)
    kb (/ms)
    kaI (/ms)
    kbI (/ms)
    kg (/ms)
    kd (/ms)
    kon1 (/ms)
    kon2 (/ms)
    kon3 (/ms)
    kon4 (/ms)
    kon5 (/ms)
    kOon (/ms)
    koff1 (/ms)
    koff2 (/ms)
    koff3 (/ms)
    koff4 (/ms)
    koff5 (/ms)
    kOoff (/ms)
    : scratch of the steady-state elimination: x(k+1) = M x(k) and the next pivot block E
    m11
    m12
    m21
    m22
    e11
    e12
    e21
    e22
}

STATE {
    C2
    C3
    C4
    C5
    O
    I1
    I2
    I3
    I4
    I5
    I6
}

BREAKPOINT {
    SOLVE states METHOD derivimplicit
    C1 = 1 - (C2 + C3 + C4 + C5 + O + I1 + I2 + I3 + I4 + I5 + I6)
    g = gbar*O
    ina = g*(v - ena)
}

DERIVATIVE states {
    : C1 = 1 - (C2 + ... + I6) is written out, not held in a LOCAL: with a LOCAL, the
    : CoreNEURON code generator of NEURON 9.0.2 made an unstable step (states blew up)
    rates(v)
    C2' = 4*ka*(1 - C2 - C3 - C4 - C5 - O - I1 - I2 - I3 - I4 - I5 - I6) + 2*kb*C3 + koff2*I2 - (kb + 3*ka + kon2)*C2
    C3' = 3*ka*C2 + 3*kb*C4 + koff3*I3 - (2*kb + 2*ka + kon3)*C3
    C4' = 2*ka*C3 + 4*kb*C5 + koff4*I4 - (3*kb + ka + kon4)*C4
    C5' = ka*C4 + kd*O + koff5*I5 - (4*kb + kg + kon5)*C5
    O' = kg*C5 + kOoff*I6 - (kd + kOon)*O
    I1' = kbI*I2 + kon1*(1 - C2 - C3 - C4 - C5 - O - I1 - I2 - I3 - I4 - I5 - I6) - (4*kaI + koff1)*I1
    I2' = 4*kaI*I1 + 2*kbI*I3 + kon2*C2 - (kbI + 3*kaI + koff2)*I2
    I3' = 3*kaI*I2 + 3*kbI*I4 + kon3*C3 - (2*kbI + 2*kaI + koff3)*I3
    I4' = 2*kaI*I3 + 4*kbI*I5 + kon4*C4 - (3*kbI + kaI + koff4)*I4
    I5' = kaI*I4 + kd*I6 + kon5*C5 - (4*kbI + kg + koff5)*I5
    I6' = kg*I5 + kOon*O - (kd + kOoff)*I6
}

INITIAL {
    : Column k of the ladder holds x(k) = (Ck, Ik), with C6 = O. At steady state
    : 0 = A(k) x(k-1) + D(k) x(k) + B(k) x(k+1) with A, B diagonal (left and right
    : inflow rates). Eliminating from the right gives x(k+1) = M(k) x(k), M(k) =
    : -E(k+1)^-1 A(k+1), E(k) = D(k) + B(k) M(k); E(1) is a 2-state generator whose
    : off-diagonal rates give C1 : I1.
    LOCAL n511, n512, n521, n522, n411, n412, n421, n422, n311, n312, n321, n322, n211, n212, n221, n222, n111, n112, n121, n122
    rates(v)
    : column 6 (O, I6): E(6) = D(6)
    e11 = -(kd + kOon)
    e12 = kOoff
    e21 = kOon
    e22 = -(kd + kOoff)
    eliminate(kg, kg)
    n511 = m11
    n512 = m12
    n521 = m21
    n522 = m22
    pivot(kon5, koff5, 4*kb, 4*kbI, kg, kg, kd, kd)
    eliminate(ka, kaI)
    n411 = m11
    n412 = m12
    n421 = m21
    n422 = m22
    pivot(kon4, koff4, 3*kb, 3*kbI, ka, kaI, 4*kb, 4*kbI)
    eliminate(2*ka, 2*kaI)
    n311 = m11
    n312 = m12
    n321 = m21
    n322 = m22
    pivot(kon3, koff3, 2*kb, 2*kbI, 2*ka, 2*kaI, 3*kb, 3*kbI)
    eliminate(3*ka, 3*kaI)
    n211 = m11
    n212 = m12
    n221 = m21
    n222 = m22
    pivot(kon2, koff2, kb, kbI, 3*ka, 3*kaI, 2*kb, 2*kbI)
    eliminate(4*ka, 4*kaI)
    n111 = m11
    n112 = m12
    n121 = m21
    n122 = m22
    pivot(kon1, koff1, 0, 0, 4*ka, 4*kaI, kb, kbI)
    : E(1) = [[-r, s], [r, -s]] has null vector (s, r)
    C1 = e12
    I1 = e21
    C2 = n111*C1 + n112*I1
    I2 = n121*C1 + n122*I1
    C3 = n211*C2 + n212*I2
    I3 = n221*C2 + n222*I2
    C4 = n311*C3 + n312*I3
    I4 = n321*C3 + n322*I3
    C5 = n411*C4 + n412*I4
    I5 = n421*C4 + n422*I4
    O = n511*C5 + n512*I5
    I6 = n521*C5 + n522*I5
    normalise()
}

PROCEDURE eliminate(a (/ms), aI (/ms)) {
    : M = -E^-1 diag(a, aI) for the pivot block E = (e11 e12; e21 e22)
    LOCAL det
    det = e11*e22 - e12*e21
    m11 = -e22*a/det
    m12 = e12*aI/det
    m21 = e21*a/det
    m22 = -e11*aI/det
}

PROCEDURE pivot(kon (/ms), koff (/ms), bl (/ms), bIl (/ms), ar (/ms), aIr (/ms), br (/ms), bIr (/ms)) {
    : E(k) = D(k) + diag(br, bIr) M(k) for a column with rung rates kon, koff, leftward
    : rates bl, bIl and rightward rates ar, aIr out of it, and rates br, bIr into it
    : from the right
    e11 = -(bl + ar + kon) + br*m11
    e12 = koff + br*m12
    e21 = kon + bIr*m21
    e22 = -(bIl + aIr + koff) + bIr*m22
}

PROCEDURE normalise() {
    LOCAL s
    s = C1 + C2 + C3 + C4 + C5 + O + I1 + I2 + I3 + I4 + I5 + I6
    C1 = C1/s
    C2 = C2/s
    C3 = C3/s
    C4 = C4/s
    C5 = C5/s
    O = O/s
    I1 = I1/s
    I2 = I2/s
    I3 = I3/s
    I4 = I4/s
    I5 = I5/s
    I6 = I6/s
}

PROCEDURE rates(vm (mV)) {
    LOCAL qt
    UNITSOFF
    qt = 2.3^((celsius - 37)/10)
    ka = alpha*exp(vm/x1)*qt
    kb = beta*exp(vm/x2)*qt
    kaI = ka*alfac
    kbI = kb/btfac
    kg = gamma*qt
    kd = delta*qt
    kOon = Oon*qt
    kOoff = Ooff*qt
    kon1 = Con*qt
    kon2 = kon1*alfac
    kon3 = kon2*alfac
    kon4 = kon3*alfac
    kon5 = kon4*alfac
    koff1 = Coff*qt
    koff2 = koff1/btfac
    koff3 = koff2/btfac
    koff4 = koff3/btfac
    koff5 = koff4/btfac
    UNITSON
}
